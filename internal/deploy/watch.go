package deploy

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy/types"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/outcome"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/poll"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/stopcause"
)

// WatchOptions say how to drive a deployment to its end.
type WatchOptions struct {
	PauseAtReady      bool          // leave a deployment at Ready instead of continuing it
	Timeout           time.Duration // 0: none
	RollbackOnTimeout bool
	RollbackOnCancel  bool
	// UntilTrafficShifted returns once every AllowTraffic event has ended
	// (Outcome.TrafficShifted), leaving the deployment in its termination
	// wait.
	UntilTrafficShifted bool
	// StopOnError stops the deployment with rollback when a non-transient
	// API error ends the watch (the action created it and gives up on it).
	StopOnError bool
}

// Watch drives deployment id to its end: it continues it at Ready (or
// leaves it there with PauseAtReady), stops it on timeout or when ctx is
// cancelled, and follows the rollback CodeDeploy creates. The error is
// Outcome.Err, or why the deployment could not be watched.
func (d *Driver) Watch(ctx context.Context, id string, opts WatchOptions) (*Outcome, error) {
	w := d.watcher(id)
	w.untilTraffic = opts.UntilTrafficShifted
	mode := readyContinue
	if opts.PauseAtReady {
		mode = readyPause
	}
	end, err := w.follow(ctx, opts.Timeout, mode)
	if err != nil {
		if !opts.StopOnError {
			return w.outcome(), err
		}
		return d.abandon(ctx, w, err)
	}
	switch end {
	case poll.Ready:
		out := w.outcome()
		out.Paused = true
		return out, nil
	case poll.TrafficShifted:
		out := w.outcome()
		out.TrafficShifted = true
		w.note("traffic has moved to the replacement: not waiting for the termination wait (wait: traffic-shifted)")
		return out, nil
	case poll.Cancelled:
		return d.cancel(ctx, w, opts.RollbackOnCancel)
	case poll.Timeout:
		w.note(outcome.Stopping(fmt.Sprintf("the timeout (%s) passed", opts.Timeout), opts.RollbackOnTimeout))
		stopErr := d.stopAndSettle(ctx, w, opts.RollbackOnTimeout)
		out, err := d.finish(ctx, w, rollbackLimit(opts.Timeout))
		out.TimedOut, out.StopRequested, out.StopErr = true, stopErr == nil, stopErr
		out.Cancelled = ctx.Err() != nil // the runner's signal came meanwhile
		return out, errors.Join(err, out.Err())
	}
	out, err := d.finish(ctx, w, rollbackLimit(opts.Timeout))
	return out, errors.Join(err, out.Err())
}

// abandon stops, with rollback, a deployment the watch could not go on
// with because of cause (a non-transient API error), and says so.
func (d *Driver) abandon(ctx context.Context, w *watcher, cause error) (*Outcome, error) {
	w.note(fmt.Sprintf("giving up on the deployment (%v): stopping it with rollback", cause))
	stopErr := d.stopAndSettle(ctx, w, true)
	out := w.outcome()
	out.Abandoned, out.StopRequested, out.StopErr = cause, stopErr == nil, stopErr
	if out.RollbackID != "" {
		d.observer().Rollback(w.id, out.RollbackID)
	}
	return out, out.Err()
}

// stopFollowLimit bounds the wait for a stopped deployment to reach Stopped.
const stopFollowLimit = 5 * time.Minute

// rollbackLimit bounds following a rollback: the watch's timeout, or 30 min.
func rollbackLimit(timeout time.Duration) time.Duration {
	if timeout > 0 {
		return timeout
	}
	return timeoutMargin
}

// finish reads a deployment at its end: the failing event among the targets
// poll read last, and its rollback, followed to its own end within limit.
func (d *Driver) finish(ctx context.Context, w *watcher, limit time.Duration) (*Outcome, error) {
	info := w.info
	if st := info.Status; st == types.DeploymentStatusFailed || st == types.DeploymentStatusStopped {
		// CodeDeploy may name the rollback a moment after the status changes.
		for i := 0; i < 3 && w.rollbackID() == "" && rollbackExpected(info); i++ {
			if !d.clock().Sleep(ctx, w.d.pollMin()) {
				break
			}
			if _, err := w.poll(ctx); err != nil {
				break
			}
			info = w.info
		}
	}
	out := w.outcome()
	if out.RollbackID == "" {
		return out, nil
	}
	w.d.observer().Rollback(w.id, out.RollbackID)
	rb := d.watcher(out.RollbackID)
	end, err := rb.follow(ctx, limit, readyContinue)
	if err != nil {
		return out, fmt.Errorf("following rollback %s: %w", out.RollbackID, err)
	}
	out.RollbackStatus = rb.status()
	if end == poll.Timeout || end == poll.Cancelled {
		w.note(fmt.Sprintf("stopped following rollback %s while %s", out.RollbackID, out.RollbackStatus))
	}
	return out, nil
}

// rollbackExpected reports whether a failed or stopped deployment will
// likely name a rollback deployment.
func rollbackExpected(info *types.DeploymentInfo) bool {
	if info.RollbackInfo != nil && aws.ToString(info.RollbackInfo.RollbackMessage) != "" {
		return false // CodeDeploy said why there is none
	}
	return info.AutoRollbackConfiguration != nil && info.AutoRollbackConfiguration.Enabled
}

// cancel stops the deployment after the run was cancelled and reports
// what became of the stop.
func (d *Driver) cancel(ctx context.Context, w *watcher, rollback bool) (*Outcome, error) {
	_, why, _ := stopcause.Of(ctx)
	w.note(outcome.Stopping(cmp.Or(why, "the run was cancelled"), rollback))
	stopErr := d.stopAndSettle(ctx, w, rollback)
	out := w.outcome()
	out.Cancelled, out.StoppedFor, out.StopRequested, out.StopErr = true, why, stopErr == nil, stopErr
	if out.RollbackID != "" {
		d.observer().Rollback(w.id, out.RollbackID)
	}
	return out, out.Err()
}

// stopAndSettle asks CodeDeploy to stop the deployment, retrying transient
// errors, on a context that survives ctx's cancel by StopTimeout; then,
// as StopDeployment is asynchronous (it answers Pending), it looks until
// the deployment ends: within stopFollowLimit, or StopTimeout after a
// cancel. It returns the stop's error: the stop was refused or failed.
func (d *Driver) stopAndSettle(ctx context.Context, w *watcher, rollback bool) error {
	w.untilTraffic = false // follow the stop to its end
	sctx, done := d.survivor(ctx)
	defer done()
	if err := d.stopRetrying(sctx, w.id, rollback); err != nil {
		w.note(fmt.Sprintf("stop refused: %v", err))
		return err
	}
	follow := stopcause.Follow(ctx)
	if follow.Err() == nil {
		if _, err := w.follow(follow, stopFollowLimit, readyWait); err != nil {
			w.note(fmt.Sprintf("stop requested; reading the deployment since: %v", err))
		}
		return nil
	}
	pctx, pdone := d.withTimeout(sctx, d.stopTimeout())
	defer pdone()
	for {
		if _, err := w.poll(pctx); err != nil {
			w.note(fmt.Sprintf("stop requested; reading the deployment since: %v", err))
			return nil
		}
		if isTerminal(w.status()) || !d.clock().Sleep(pctx, d.pollMin()) {
			return nil
		}
	}
}
