package ecsnative

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/poll"
)

// OnActive says what to do before the update when the service has a
// deployment in progress (on-active-deployment). An UpdateService would
// supersede it: ECS stops it and starts from the revisions it left.
type OnActive string

// OnActive policies.
const (
	ActiveWait OnActive = "wait" // follow it to its end, then update
	ActiveStop OnActive = "stop" // stop it with rollback, follow the rollback to its end, then update
	ActiveFail OnActive = "fail" // refuse, naming it
)

// ErrActive: the service has a deployment in progress (on-active-deployment: fail,
// or it did not end within the limit).
var ErrActive = errors.New("ECS service has a service deployment in progress")

// notEnded are the statuses of a deployment that has not ended.
var notEnded = []types.ServiceDeploymentStatus{
	types.ServiceDeploymentStatusPending, types.ServiceDeploymentStatusInProgress, types.ServiceDeploymentStatusStopRequested,
	types.ServiceDeploymentStatusRollbackRequested, types.ServiceDeploymentStatusRollbackInProgress,
}

// Clear makes sure no deployment of the service is in progress before the
// update, as policy says, within limit (0: none).
func (d *Driver) Clear(ctx context.Context, s *Service, policy OnActive, limit time.Duration) error {
	out, err := d.API.ListServiceDeployments(ctx, &ecs.ListServiceDeploymentsInput{
		Cluster: aws.String(s.Cluster), Service: aws.String(s.Name), Status: notEnded,
	})
	if err != nil {
		return fmt.Errorf("listing the service deployments of ECS service %q in progress: %w", s.Name, err)
	}
	if len(out.ServiceDeployments) == 0 {
		return nil
	}
	active := out.ServiceDeployments[0]
	arn := aws.ToString(active.ServiceDeploymentArn)
	if policy == ActiveFail {
		return fmt.Errorf("ECS service %q has service deployment %s %s (on-active-deployment: fail): %w", s.Name, arn, active.Status, ErrActive)
	}
	w := d.watcher(arn)
	if policy == ActiveStop && (active.Status == types.ServiceDeploymentStatusPending || active.Status == types.ServiceDeploymentStatusInProgress) {
		d.observer().Note(arn, fmt.Sprintf("ECS service %q has this deployment %s: stopping it with rollback (on-active-deployment: stop)", s.Name, active.Status))
		if err := d.stopRetrying(ctx, arn, true); err != nil && !errConflict(err) {
			return err
		}
	} else {
		d.observer().Note(arn, fmt.Sprintf("ECS service %q has this deployment %s: waiting for it to end (on-active-deployment: %s)", s.Name, active.Status, policy))
	}
	switch end, err := w.follow(ctx, limit, hookWait); {
	case err != nil:
		return err
	case end == poll.Cancelled:
		return ctx.Err()
	case end != poll.Terminal:
		return fmt.Errorf("ECS service %q: service deployment %s is still %s after %s: %w", s.Name, arn, w.status, limit, ErrActive)
	}
	return nil
}

// timeoutMargin is added to the deployment's known waits for the default
// timeout, as for CodeDeploy groups.
const timeoutMargin = 30 * time.Minute

// DefaultTimeout is how long to follow a deployment to the service when
// the timeout input is not given: its bake time and traffic steps plus a
// margin for starting tasks and shifting traffic.
func (s *Service) DefaultTimeout() time.Duration {
	t := timeoutMargin + s.Bake
	c := s.described.DeploymentConfiguration
	switch {
	case c == nil:
	case s.Strategy == types.DeploymentStrategyLinear && c.LinearConfiguration != nil && aws.ToFloat64(c.LinearConfiguration.StepPercent) > 0:
		steps := int(100/aws.ToFloat64(c.LinearConfiguration.StepPercent)) + 1
		t += time.Duration(steps*int(aws.ToInt32(c.LinearConfiguration.StepBakeTimeInMinutes))) * time.Minute
	case s.Strategy == types.DeploymentStrategyCanary && c.CanaryConfiguration != nil:
		t += time.Duration(aws.ToInt32(c.CanaryConfiguration.CanaryBakeTimeInMinutes)) * time.Minute
	}
	return t
}
