package ecsnative

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/config"
)

// Service is what discovery found out about the service to deploy to.
type Service struct {
	Cluster        string // as the inputs name it
	Name           string
	ARN            string
	Strategy       types.DeploymentStrategy
	Bake           time.Duration // bakeTimeInMinutes
	PauseStages    []types.DeploymentLifecycleHookStage
	TaskDefinition string // the revision it runs now
	described      *types.Service
}

// Discover reads the service (read-only) and refuses, as an input error,
// one this platform cannot deploy to: a service that does not exist, is not
// ACTIVE, or whose deployment controller is not ECS (CodeDeploy's services
// are deployed with codedeploy-application and codedeploy-deployment-group),
// and, with pause (on-ready: pause), one with no PAUSE lifecycle hook.
func (d *Driver) Discover(ctx context.Context, cluster, service string, pause bool) (*Service, error) {
	out, err := d.API.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String(cluster), Services: []string{service}})
	if err != nil {
		return nil, fmt.Errorf("reading ECS service %q of cluster %q: %w", service, cluster, err)
	}
	if len(out.Services) == 0 {
		reason := "not found"
		if len(out.Failures) > 0 {
			reason = strings.ToLower(aws.ToString(out.Failures[0].Reason))
		}
		return nil, &config.InputError{Input: "ecs-service", Problem: fmt.Sprintf("ECS service %q of cluster %q (ecs-cluster): %s", service, cluster, reason)}
	}
	svc := &out.Services[0]
	if st := aws.ToString(svc.Status); st != "ACTIVE" {
		return nil, &config.InputError{Input: "ecs-service", Problem: fmt.Sprintf("ECS service %q of cluster %q is %s, not ACTIVE", service, cluster, st)}
	}
	ctl := types.DeploymentControllerTypeEcs
	if svc.DeploymentController != nil {
		ctl = svc.DeploymentController.Type
	}
	switch ctl {
	case types.DeploymentControllerTypeEcs:
	case types.DeploymentControllerTypeCodeDeploy:
		return nil, &config.InputError{Input: "ecs-service", Problem: fmt.Sprintf(
			"ECS service %q of cluster %q uses the CODE_DEPLOY deployment controller: CodeDeploy deploys it; give codedeploy-application and codedeploy-deployment-group (its deployment group) instead of ecs-cluster and ecs-service", service, cluster)}
	default:
		return nil, &config.InputError{Input: "ecs-service", Problem: fmt.Sprintf(
			"ECS service %q of cluster %q uses the %s deployment controller: only services whose deployment controller is ECS deploy this way", service, cluster, ctl)}
	}
	s := &Service{Cluster: cluster, Name: service, ARN: aws.ToString(svc.ServiceArn), Strategy: types.DeploymentStrategyRolling,
		TaskDefinition: aws.ToString(svc.TaskDefinition), described: svc}
	if c := svc.DeploymentConfiguration; c != nil {
		if c.Strategy != "" {
			s.Strategy = c.Strategy
		}
		s.Bake = time.Duration(aws.ToInt32(c.BakeTimeInMinutes)) * time.Minute
		for _, h := range c.LifecycleHooks {
			if h.TargetType == types.DeploymentLifecycleHookTargetTypePause {
				s.PauseStages = append(s.PauseStages, h.LifecycleStages...)
			}
		}
	}
	if pause && len(s.PauseStages) == 0 {
		return nil, &config.InputError{Input: "on-ready", Problem: fmt.Sprintf(
			"pause needs a PAUSE lifecycle hook, and ECS service %q has none: add one to its deploymentConfiguration.lifecycleHooks "+
				"(targetType PAUSE, lifecycleStages [POST_TEST_TRAFFIC_SHIFT] to pause with test traffic on the new revision), or use on-ready: continue", service)}
	}
	return s, nil
}
