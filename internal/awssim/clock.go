package awssim

import (
	"context"
	"math"
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
	wake     chan struct{} // closed when Advance or SetScale changes the pace
}

// NewClock returns a clock at the current wall time running at scale.
func NewClock(scale float64) *Clock {
	now := time.Now().UTC()
	return &Clock{scale: scale, wallBase: now, simBase: now, wake: make(chan struct{})}
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
	c.wakeSleepers()
}

// SetScale changes how many simulated seconds pass per wall second from now on.
func (c *Clock) SetScale(scale float64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.simBase = c.now()
	c.wallBase = time.Now()
	c.scale = scale
	c.wakeSleepers()
}

// wakeSleepers lets every Sleep look at the time again; c.mu is held.
func (c *Clock) wakeSleepers() {
	close(c.wake)
	c.wake = make(chan struct{})
}

// Sleep waits until d of simulated time has passed (d/scale of wall time,
// less when Advance moves the clock), or reports false when ctx ends first.
func (c *Clock) Sleep(ctx context.Context, d time.Duration) bool {
	c.mu.Lock()
	until := c.now().Add(d)
	c.mu.Unlock()
	for {
		c.mu.Lock()
		left, scale, wake := until.Sub(c.now()), c.scale, c.wake
		c.mu.Unlock()
		if left <= 0 {
			return true
		}
		wall := time.Duration(math.MaxInt64) // a stopped clock moves only by Advance
		if scale > 0 {
			wall = time.Duration(float64(left) / scale)
		}
		t := time.NewTimer(wall)
		select {
		case <-ctx.Done():
			t.Stop()
			return false
		case <-wake:
			t.Stop()
		case <-t.C:
		}
	}
}

// Scale returns the simulated seconds per wall second.
func (c *Clock) Scale() float64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.scale
}
