// Package poll follows a deployment by polling it until it ends: the loop
// the CodeDeploy and ECS-native drivers share, with its deadline and how
// throttling and transient errors stretch its intervals, and Retry for a
// single call. What a poll reads, what ends the follow and what the driver
// does meanwhile are the driver's.
package poll

import (
	"context"
	"fmt"
	"time"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awscfg"
)

// End is why Follow returned.
type End int

const (
	Terminal       End = iota // the deployment ended, or an error ended the follow
	Ready                     // it waits for a decision the driver leaves to others
	Timeout                   // the limit passed
	Cancelled                 // ctx ended
	TrafficShifted            // traffic moved, and the driver follows no further
)

// Clock is the time the loop sleeps on.
type Clock interface {
	Now() time.Time
	// Sleep waits d, or reports false when ctx ends first.
	Sleep(ctx context.Context, d time.Duration) bool
}

// Loop is how one driver follows a deployment.
type Loop struct {
	Clock   Clock
	Min     time.Duration // the first interval
	Max     time.Duration // the interval after a transient error; throttling doubles the interval from it up to 4×Max
	Service string        // who throttles, for the note: "CodeDeploy"
	Note    func(msg string)
	// Read reads the deployment and reports whether anything changed.
	Read func(ctx context.Context) (changed bool, err error)
	// Ended says whether the deployment as last read ends the follow, and how.
	Ended func() (End, bool)
	// Act, after a Read that did not end the follow, acts on the deployment
	// (continues it) and reports whether it tried: then the next interval
	// is the one after a change. Its error ends the follow unless transient.
	Act func(ctx context.Context) (bool, error)
	// Next is the interval after a Read at now.
	Next func(now time.Time, changed bool) time.Duration
}

// Follow reads the deployment until it ends as Ended says, past limit (0:
// none) or ctx ends, sleeping Next's intervals; throttling lengthens them.
// Transient errors (throttling, server faults, network errors, after the
// SDK's own retries) are retried until limit; any other error ends the
// follow.
func (l Loop) Follow(ctx context.Context, limit time.Duration) (End, error) {
	var deadline time.Time
	if limit > 0 {
		deadline = l.Clock.Now().Add(limit)
	}
	interval, failing := l.Min, false
	for {
		changed, err := l.Read(ctx)
		switch {
		case err != nil && ctx.Err() != nil:
			return Cancelled, nil
		case err != nil && awscfg.Throttled(err):
			interval = min(max(2*interval, l.Max), 4*l.Max)
			l.Note(fmt.Sprintf("%s is throttling: polling every %s", l.Service, interval.Round(time.Millisecond)))
		case err != nil && awscfg.Transient(err):
			if !failing {
				l.Note(fmt.Sprintf("retrying until the timeout: %v", err))
			}
			failing, interval = true, l.Max
		case err != nil:
			return Terminal, err
		default:
			failing = false
			if end, ok := l.Ended(); ok {
				return end, nil
			}
			acted, err := l.Act(ctx)
			switch {
			case err != nil && ctx.Err() != nil:
				return Cancelled, nil
			case err != nil && !transient(err):
				return Terminal, err
			}
			interval = l.Next(l.Clock.Now(), changed || acted)
		}
		wait := interval
		if !deadline.IsZero() {
			wait = min(wait, deadline.Sub(l.Clock.Now()))
		}
		if !l.Clock.Sleep(ctx, wait) {
			return Cancelled, nil
		}
		if !deadline.IsZero() && !l.Clock.Now().Before(deadline) {
			return Timeout, nil
		}
	}
}

// Retry calls call until it succeeds, fails for good or ctx ends, sleeping
// interval on clock after each transient error.
func Retry(ctx context.Context, clock Clock, interval time.Duration, call func(context.Context) error) error {
	for {
		err := call(ctx)
		if err == nil || !transient(err) || !clock.Sleep(ctx, interval) {
			return err
		}
	}
}

// transient reports whether a call may pass when repeated: it was
// throttled, or met a server fault or a network error.
func transient(err error) bool { return awscfg.Throttled(err) || awscfg.Transient(err) }
