package ecsnative

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/outcome"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/poll"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/stopcause"
)

// WatchOptions say how to follow a service deployment.
type WatchOptions struct {
	PauseAtHook       bool          // on-ready: pause: end Ready at a PAUSE hook awaiting action
	Timeout           time.Duration // 0: none
	RollbackOnTimeout bool
	RollbackOnCancel  bool
	// UntilTrafficShifted returns once production traffic is all on the
	// new revision (its bake time began), leaving the deployment to bake.
	UntilTrafficShifted bool
	// StopOnError stops the deployment with rollback when a non-transient
	// API error ends the watch (the action started it and gives up on it).
	StopOnError bool
	// Previous is the task definition the service ran before, named with
	// the revision a rollback returns to.
	Previous string
	stopped  bool // the command stopped it: its rollback is a stop on request
}

// stopFollowLimit bounds the wait for a stopped deployment to end.
const stopFollowLimit = 5 * time.Minute

// Watch follows service deployment arn to its end: it continues PAUSE
// hooks (or stops at one with PauseAtHook), stops the deployment on
// timeout or when ctx is cancelled, and follows the rollback. The error is
// Outcome.Err, or why the deployment could not be watched.
func (d *Driver) Watch(ctx context.Context, arn string, opts WatchOptions) (*Outcome, error) {
	w := d.watcher(arn)
	w.untilTraffic = opts.UntilTrafficShifted
	mode := hookContinue
	if opts.PauseAtHook {
		mode = hookPause
	}
	end, err := w.follow(ctx, opts.Timeout, mode)
	var out *Outcome
	switch {
	case err != nil && !opts.StopOnError:
		out = w.outcome()
		out.PreviousTaskDef = opts.Previous
		return out, err
	case err != nil:
		w.note(fmt.Sprintf("giving up on the deployment (%v): stopping it with rollback", err))
		out = d.stopAndSettle(ctx, w, true)
		out.Abandoned = err
	case end == poll.Ready:
		out = w.outcome()
		out.Paused = true
		h := out.Awaiting()
		w.note(fmt.Sprintf("paused at %s: PAUSE hook %s awaits action until %s, when ECS will %s (on-ready: pause; continue or stop with command and deployment-id)",
			out.Stage, h.ID, h.ExpiresAt.UTC().Format(time.RFC3339), h.TimeoutAction))
	case end == poll.TrafficShifted:
		out = w.outcome()
		out.TrafficShifted = true
		w.note(fmt.Sprintf("production traffic is on the new revision: not waiting for the bake time, which ends at %s (wait: traffic-shifted)", out.BakeEnds.UTC().Format(time.RFC3339)))
	case end == poll.Cancelled:
		_, why, _ := stopcause.Of(ctx)
		w.note(outcome.Stopping(cmp.Or(why, "the run was cancelled"), opts.RollbackOnCancel))
		out = d.stopAndSettle(ctx, w, opts.RollbackOnCancel)
		out.Cancelled, out.StoppedFor = true, why
	case end == poll.Timeout:
		w.note(outcome.Stopping(fmt.Sprintf("the timeout (%s) passed", opts.Timeout), opts.RollbackOnTimeout))
		out = d.stopAndSettle(ctx, w, opts.RollbackOnTimeout)
		out.TimedOut, out.Cancelled = true, ctx.Err() != nil
	default:
		out = w.outcome()
		out.StopRequested = opts.stopped
	}
	out.PreviousTaskDef = opts.Previous
	return out, out.Err()
}

// stopAndSettle stops the deployment (ROLLBACK, or ABORT without
// rollback), retrying transient errors, on a context that survives ctx's
// cancel by StopTimeout; then, as the stop is asynchronous, it follows the
// deployment to its end: within stopFollowLimit, or StopTimeout after a
// cancel. The outcome says what became of the stop.
func (d *Driver) stopAndSettle(ctx context.Context, w *watcher, rollback bool) *Outcome {
	w.untilTraffic = false
	sctx, done := d.survivor(ctx)
	defer done()
	stopErr := d.stopRetrying(sctx, w.arn, rollback)
	if stopErr != nil {
		w.note(fmt.Sprintf("stop refused: %v", stopErr))
	} else {
		follow, limit := stopcause.Follow(ctx), stopFollowLimit
		if follow.Err() != nil {
			follow, limit = sctx, d.stopTimeout()
		}
		if _, err := w.follow(follow, limit, hookWait); err != nil {
			w.note(fmt.Sprintf("stop requested; reading the deployment since: %v", err))
		}
	}
	out := w.outcome()
	out.StopRequested, out.StopErr = stopErr == nil, stopErr
	return out
}

// stopRetrying is stop, repeated on transient errors until ctx ends.
func (d *Driver) stopRetrying(ctx context.Context, arn string, rollback bool) error {
	return poll.Retry(ctx, d.clock(), d.pollMin(), func(ctx context.Context) error { return d.stop(ctx, arn, rollback) })
}

// stop calls StopServiceDeployment: ROLLBACK, or ABORT (the service stays
// where the deployment left it).
func (d *Driver) stop(ctx context.Context, arn string, rollback bool) error {
	stopType := types.StopServiceDeploymentStopTypeAbort
	if rollback {
		stopType = types.StopServiceDeploymentStopTypeRollback
	}
	_, err := d.API.StopServiceDeployment(ctx, &ecs.StopServiceDeploymentInput{ServiceDeploymentArn: aws.String(arn), StopType: stopType})
	if err != nil {
		return fmt.Errorf("stopping service deployment %s (%s): %w", arn, stopType, err)
	}
	return nil
}

// errConflict reports whether ECS refused a stop because the deployment is
// no longer stoppable (it ended, or is rolling back).
func errConflict(err error) bool {
	var c *types.ConflictException
	return errors.As(err, &c)
}
