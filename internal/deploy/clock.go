package deploy

import (
	"context"
	"time"
)

// Clock is the driver's time: poll intervals, backoff and timeouts run on
// it. The sandbox's simulated clock (awssim.Clock) is one, so tests need not
// wait in real time.
type Clock interface {
	Now() time.Time
	// Sleep waits d, or reports false when ctx ends first.
	Sleep(ctx context.Context, d time.Duration) bool
}

// wallClock is the real time.
type wallClock struct{}

func (wallClock) Now() time.Time { return time.Now() }

func (wallClock) Sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

func (d *Driver) clock() Clock {
	if d.Clock == nil {
		return wallClock{}
	}
	return d.Clock
}

// Now is the time on the driver's clock.
func (d *Driver) Now() time.Time { return d.clock().Now() }

// withTimeout is context.WithTimeout on the driver's clock.
func (d *Driver) withTimeout(ctx context.Context, timeout time.Duration) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(ctx)
	go func() {
		if d.clock().Sleep(ctx, timeout) {
			cancel()
		}
	}()
	return ctx, cancel
}
