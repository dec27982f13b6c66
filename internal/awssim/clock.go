package awssim

import (
	"sync"
	"time"
)

// Clock is the sandbox's simulated time: it runs Scale simulated seconds per
// wall-clock second, and tests may move it forward with Advance. A scale of 0
// stops it, so only Advance moves it.
type Clock struct {
	mu       sync.Mutex
	scale    float64
	wallBase time.Time
	simBase  time.Time
}

// NewClock returns a clock at the current wall time running at scale.
func NewClock(scale float64) *Clock {
	now := time.Now().UTC()
	return &Clock{scale: scale, wallBase: now, simBase: now}
}

// Now returns the simulated time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now()
}

func (c *Clock) now() time.Time {
	elapsed := time.Since(c.wallBase)
	return c.simBase.Add(time.Duration(float64(elapsed) * c.scale))
}

// Advance moves simulated time forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.simBase = c.simBase.Add(d)
}

// SetScale changes how many simulated seconds pass per wall second from now on.
func (c *Clock) SetScale(scale float64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.simBase = c.now()
	c.wallBase = time.Now()
	c.scale = scale
}

// Scale returns the simulated seconds per wall second.
func (c *Clock) Scale() float64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.scale
}
