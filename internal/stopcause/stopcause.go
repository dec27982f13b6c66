// Package stopcause tells a deployment target whether its context ended
// because the run was cancelled, or because a run with several targets
// stopped it when another target failed: then the run goes on, and the
// target follows its deployment's stop to the end.
package stopcause

import (
	"context"
	"errors"
)

// stopError is the cause a run with several targets cancels a target's
// context with when it stops the target's deployment because another
// target failed. Unlike the run's own cancel, the run goes on.
type stopError struct{ reason string } // "target us-east-1/api failed"

func (e *stopError) Error() string { return e.reason }

// runKey holds, in a target's context, the run's context.
type runKey struct{}

// WithStop returns a context for a target of the run's ctx, and the stop
// that cancels it with the reason.
func WithStop(run context.Context) (ctx context.Context, stop func(reason string)) {
	ctx, cancel := context.WithCancelCause(context.WithValue(run, runKey{}, run))
	return ctx, func(reason string) { cancel(&stopError{reason}) }
}

// Of reports whether ctx was cancelled by WithStop's stop rather
// than with the run: then the target follows its deployment's stop to its
// end on the run's context, and why says why it was stopped.
func Of(ctx context.Context) (run context.Context, why string, ok bool) {
	var stop *stopError
	if !errors.As(context.Cause(ctx), &stop) {
		return nil, "", false
	}
	run, ok = ctx.Value(runKey{}).(context.Context)
	return run, stop.reason, ok
}

// Follow is the context to follow a deployment's stop on: the run's when
// WithStop's stop ended ctx (the run goes on), else ctx.
func Follow(ctx context.Context) context.Context {
	if run, _, ok := Of(ctx); ok {
		return run
	}
	return ctx
}
