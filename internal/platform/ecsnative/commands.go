package ecsnative

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/outcome"
)

// Continue continues the PAUSE hook of deployment arn that is awaiting
// action (ContinueServiceDeployment, CONTINUE).
func (d *Driver) Continue(ctx context.Context, arn string) error {
	w := d.watcher(arn)
	if _, err := w.poll(ctx); err != nil {
		return err
	}
	h := w.awaiting()
	if h == nil {
		return fmt.Errorf("service deployment %s is %s at %s with no PAUSE hook awaiting action: %w", arn, w.status, w.stage, ErrNotWaiting)
	}
	if err := d.continueHook(ctx, arn, aws.ToString(h.HookId)); err != nil {
		return err
	}
	d.observer().Note(arn, fmt.Sprintf("continued service deployment %s at %s (PAUSE hook %s)", arn, w.stage, aws.ToString(h.HookId)))
	return nil
}

// Stop stops deployment arn, with rollback (ROLLBACK) or without (ABORT);
// the stop is asynchronous (Watch sees it end). A deployment that has
// already ended or is rolling back is not an error.
func (d *Driver) Stop(ctx context.Context, arn string, rollback bool) error {
	if err := d.stop(ctx, arn, rollback); err != nil {
		if !errConflict(err) {
			return err
		}
		d.observer().Note(arn, fmt.Sprintf("service deployment %s can no longer be stopped: %v", arn, err))
		return nil
	}
	d.observer().Note(arn, "stop requested for service deployment "+arn+outcome.RollbackWords(rollback))
	return nil
}

// Status reads deployment arn as it is now: status, stage, weights, hooks
// and, in its bake time, when the bake ends; at a PAUSE hook awaiting
// action it is Ready.
func (d *Driver) Status(ctx context.Context, arn string) (*Outcome, error) {
	w := d.watcher(arn)
	_, err := w.poll(ctx)
	out := w.outcome()
	out.Paused = out.Awaiting() != nil
	return out, err
}

// Commands on an existing deployment, named as the command input names them.
const (
	ActContinue = "continue" // continue the PAUSE hook awaiting action
	ActStop     = "stop"     // stop with rollback
	ActStatus   = "status"   // read it
)

// Acted is how a command on an existing deployment ended.
type Acted struct {
	Outcome *Outcome // the deployment as last read; nil when continue or stop failed
	Watched bool     // Outcome is the end of a Watch, not one reading
	// Done: the command did what it was asked: it read the status, sent
	// continue or stop without waiting, or saw the deployment rolled back
	// as asked.
	Done bool
}

// Command runs act on deployment arn. Status reads it. Continue and stop
// act on it, then, with wait, Watch it with opts (a stopped deployment is
// not stopped again on cancel), or else read it.
func (d *Driver) Command(ctx context.Context, act, arn string, wait bool, opts WatchOptions) (Acted, error) {
	switch act {
	case ActStatus:
		out, err := d.Status(ctx, arn)
		return Acted{Outcome: out, Done: true}, err
	case ActContinue:
		if err := d.Continue(ctx, arn); err != nil {
			return Acted{}, err
		}
	case ActStop:
		if err := d.Stop(ctx, arn, true); err != nil {
			return Acted{}, err
		}
		opts.UntilTrafficShifted, opts.RollbackOnCancel, opts.stopped = false, false, true
	default:
		return Acted{}, fmt.Errorf("unknown command %q", act)
	}
	if !wait {
		out, err := d.Status(ctx, arn)
		if out != nil {
			out.StopRequested = opts.stopped
		}
		return Acted{Outcome: out, Done: true}, err
	}
	out, err := d.Watch(ctx, arn, opts)
	if act == ActStop && !out.Cancelled && (out.Status == types.ServiceDeploymentStatusRollbackSuccessful || out.Status == types.ServiceDeploymentStatusStopped) {
		return Acted{Outcome: out, Watched: true, Done: true}, nil // stopped as asked
	}
	return Acted{Outcome: out, Watched: true}, err
}
