package ecsnative

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/config"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/deploy"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/image"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/plan"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/rollout"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/secrets"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/taskdiff"
)

// Plan fills p with what a deploy to the service would change, reading
// only: the live task definition and the one that would be registered, the
// strategy's rollout and the warnings. img is by digest, or by tag when it
// would be built.
func (t *Target) Plan(ctx context.Context, p *plan.Plan, img string, refs []secrets.Reference) error {
	cfg, s := t.env.Config, t.svc
	in := cfg.Deploy
	p.Target = plan.Target{Platform: "ECS-native", Kind: "ECS service", Name: s.Cluster + "/" + s.Name, Environment: cfg.GitHub.Environment}
	var secretRefs []deploy.SecretRef
	for _, ref := range refs {
		secretRefs = append(secretRefs, deploy.SecretRef{Name: ref.Name, ValueFrom: ref.ValueFrom})
	}
	next, err := t.drv.Draft(ctx, s, RevisionInput{
		TaskDefinition: in.TaskDefinition, ContainerName: in.ContainerName, ContainerPort: in.ContainerPort, ImageURI: img, Secrets: secretRefs,
	})
	if err != nil {
		return err
	}
	out, err := t.drv.API.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(s.TaskDefinition)})
	if err != nil {
		return fmt.Errorf("reading task definition %s of ECS service %q: %w", s.TaskDefinition, s.Name, err)
	}
	if out.TaskDefinition == nil {
		return fmt.Errorf("reading task definition %s: the answer has no taskDefinition", s.TaskDefinition)
	}
	taskdiff.Plan(p, s.TaskDefinition, out.TaskDefinition, next, img, func(ref string) string {
		if resolved, err := image.Resolve(ctx, t.env.Clients.ECR, ref); err == nil {
			return resolved.URI()
		}
		return ""
	})

	var dc types.DeploymentConfiguration
	if c := s.described.DeploymentConfiguration; c != nil {
		dc = *c
	}
	pause := in.OnReady == config.ReadyPause
	p.Rollout = &plan.Rollout{Config: string(s.Strategy), Estimate: rollout.ECSNative(s.Strategy, dc, pause && len(s.PauseStages) > 0)}
	active, err := t.drv.API.ListServiceDeployments(ctx, &ecs.ListServiceDeploymentsInput{
		Cluster: aws.String(s.Cluster), Service: aws.String(s.Name), Status: notEnded,
	})
	if err != nil {
		return fmt.Errorf("listing the service deployments of ECS service %q in progress: %w", s.Name, err)
	}
	sit := plan.Situation{OnActive: string(in.OnActive), Pause: pause, ReadyWait: len(s.PauseStages) > 0}
	if len(active.ServiceDeployments) > 0 {
		sit.Active = aws.ToString(active.ServiceDeployments[0].ServiceDeploymentArn)
	}
	if cb := dc.DeploymentCircuitBreaker; cb != nil && cb.Enable && cb.Rollback {
		sit.AutoRollback = true
	}
	if a := dc.Alarms; a != nil && a.Enable {
		sit.Alarms = len(a.AlarmNames)
		sit.AutoRollback = sit.AutoRollback || a.Rollback
	}
	p.Warn(sit)
	return nil
}
