package ecsnative

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
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
	d.observer().Note(arn, "stop requested for service deployment "+arn+rollbackWords(rollback))
	return nil
}

// Status reads deployment arn as it is now: status, stage, weights, hooks
// and, in its bake time, when the bake ends.
func (d *Driver) Status(ctx context.Context, arn string) (*Outcome, error) {
	w := d.watcher(arn)
	_, err := w.poll(ctx)
	return w.outcome(), err
}
