package awssim_test

import (
	"context"
	"testing"
	"time"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim"
)

func TestClockSleep(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		scale   float64
		d       time.Duration
		advance time.Duration // moved forward 20 ms after the sleep starts
		cancel  bool
		want    bool
		maxWall time.Duration
	}{
		{name: "scaled", scale: 1000, d: 10 * time.Second, want: true, maxWall: 2 * time.Second},
		{name: "stopped clock woken by Advance", scale: 0, d: time.Hour, advance: time.Hour, want: true, maxWall: 2 * time.Second},
		{name: "Advance short of the end", scale: 0, d: time.Hour, advance: time.Minute, cancel: true, want: false, maxWall: 2 * time.Second},
		{name: "cancelled", scale: 1, d: time.Hour, cancel: true, want: false, maxWall: 2 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := awssim.NewClock(tt.scale)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if tt.advance > 0 {
				time.AfterFunc(20*time.Millisecond, func() { c.Advance(tt.advance) })
			}
			if tt.cancel {
				time.AfterFunc(100*time.Millisecond, cancel)
			}
			start, simStart := time.Now(), c.Now()
			got := c.Sleep(ctx, tt.d)
			if got != tt.want {
				t.Errorf("Sleep(%s) = %v, want %v", tt.d, got, tt.want)
			}
			if got && c.Now().Sub(simStart) < tt.d {
				t.Errorf("Sleep(%s) returned after %s of simulated time", tt.d, c.Now().Sub(simStart))
			}
			if wall := time.Since(start); wall > tt.maxWall {
				t.Errorf("Sleep(%s) took %s of wall time, want at most %s", tt.d, wall, tt.maxWall)
			}
		})
	}
}
