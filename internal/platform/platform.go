// Package platform is what the pipeline hands a deployment platform: the
// run's inputs, its AWS clients, its report and its clock. Each platform is
// a package under it with a New(Env) and its config.Platform.
package platform

import (
	"context"
	"errors"
	"time"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awscfg"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/config"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/report"
)

// Env is what a platform is made from.
type Env struct {
	Config  *config.Config
	Clients *awscfg.Clients
	Report  *report.Reporter
	Result  *report.Result // the platform fills Result.Deploy and, when it decides it, Result.Outcome
	Clock   Clock          // nil: the real time
}

// Clock is a platform's time: poll intervals, backoff and timeouts run on
// it. The sandbox's simulated clock is one, so tests need not wait in real
// time.
type Clock interface {
	Now() time.Time
	// Sleep waits d, or reports false when ctx ends first.
	Sleep(ctx context.Context, d time.Duration) bool
}

// StopError is the cause a run with several targets cancels a target's
// context with when it stops the target's deployment because another
// target failed. Unlike the run's own cancel, the run goes on.
type StopError struct{ Reason string } // "target us-east-1/api failed"

func (e *StopError) Error() string { return e.Reason }

// runKey holds, in a target's context, the run's context.
type runKey struct{}

// WithStop returns a context for a target of the run's ctx, and the stop
// that cancels it with a *StopError.
func WithStop(run context.Context) (ctx context.Context, stop func(reason string)) {
	ctx, cancel := context.WithCancelCause(context.WithValue(run, runKey{}, run))
	return ctx, func(reason string) { cancel(&StopError{Reason: reason}) }
}

// Stopping reports whether ctx was cancelled by WithStop's stop rather
// than with the run: then the target follows its deployment's stop to its
// end on the run's context, and why says why it was stopped.
func Stopping(ctx context.Context) (run context.Context, why string, ok bool) {
	var stop *StopError
	if !errors.As(context.Cause(ctx), &stop) {
		return nil, "", false
	}
	run, ok = ctx.Value(runKey{}).(context.Context)
	return run, stop.Reason, ok
}
