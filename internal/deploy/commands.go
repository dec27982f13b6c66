package deploy

import (
	"context"
	"errors"
	"fmt"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/outcome"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/poll"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
)

// Continue moves a waiting deployment on: at Ready it shifts traffic
// (READY_WAIT); in its termination wait it ends the wait (TERMINATION_WAIT).
func (d *Driver) Continue(ctx context.Context, id string) error {
	out, err := d.API.GetDeployment(ctx, &codedeploy.GetDeploymentInput{DeploymentId: aws.String(id)})
	if err != nil {
		return fmt.Errorf("reading deployment %s: %w", id, err)
	}
	info := out.DeploymentInfo
	var wait types.DeploymentWaitType
	switch {
	case info == nil:
		return fmt.Errorf("reading deployment %s: the answer has no deploymentInfo", id)
	case info.Status == types.DeploymentStatusReady:
		wait = types.DeploymentWaitTypeReadyWait
	case info.Status == types.DeploymentStatusInProgress && info.InstanceTerminationWaitTimeStarted:
		wait = types.DeploymentWaitTypeTerminationWait
	default:
		return fmt.Errorf("deployment %s is %s, not at Ready or in its termination wait: %w", id, info.Status, ErrNotWaiting)
	}
	if _, err := d.API.ContinueDeployment(ctx, &codedeploy.ContinueDeploymentInput{
		DeploymentId: aws.String(id), DeploymentWaitType: wait,
	}); err != nil {
		return fmt.Errorf("continuing deployment %s (%s): %w", id, wait, err)
	}
	d.observer().Note(id, fmt.Sprintf("continued deployment %s (%s)", id, wait))
	return nil
}

// Stop asks CodeDeploy to stop a deployment, with or without rollback; the
// stop is asynchronous (Watch sees it end). A deployment that has already
// ended is not an error.
func (d *Driver) Stop(ctx context.Context, id string, rollback bool) error {
	if err := d.stop(ctx, id, rollback); err != nil {
		return err
	}
	d.observer().Note(id, "stop requested for deployment "+id+outcome.RollbackWords(rollback))
	return nil
}

// Status reads a deployment and its targets as they are now.
func (d *Driver) Status(ctx context.Context, id string) (*Outcome, error) {
	w := d.watcher(id)
	_, err := w.poll(ctx) // a first poll reads the targets of a started deployment
	return w.outcome(), err
}

// stopRetrying is stop, repeated on transient errors until ctx ends.
func (d *Driver) stopRetrying(ctx context.Context, id string, rollback bool) error {
	return poll.Retry(ctx, d.clock(), d.pollMin(), func(ctx context.Context) error { return d.stop(ctx, id, rollback) })
}

// stop calls StopDeployment; a deployment that already ended is not an error.
func (d *Driver) stop(ctx context.Context, id string, rollback bool) error {
	_, err := d.API.StopDeployment(ctx, &codedeploy.StopDeploymentInput{
		DeploymentId:        aws.String(id),
		AutoRollbackEnabled: aws.Bool(rollback),
	})
	var done *types.DeploymentAlreadyCompletedException
	if err != nil && !errors.As(err, &done) {
		return fmt.Errorf("stopping deployment %s: %w", id, err)
	}
	return nil
}
