package ecsnative

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/deploy"
	taskdef "github.com/bluegreen-deploy/bluegreen-deploy/internal/deploy/ecs"
)

// RevisionInput is what the new task definition revision is made from.
type RevisionInput struct {
	TaskDefinition string // file; "": the service's current task definition
	ContainerName  string // "": the container the service's load balancer names
	ContainerPort  int    // 0: the service's load balancer's; else it must match
	ImageURI       string // by digest
	Secrets        []deploy.SecretRef
}

// Revision registers the task definition revision to deploy to s, exactly
// as the CodeDeploy ECS platform makes it (internal/deploy/ecs.Register):
// the file's task definition or the service's current one, the container's
// image set by digest, the secrets added by reference, the load balancer's
// port checked. It returns the revision's ARN; on error nothing is
// registered.
func (d *Driver) Revision(ctx context.Context, s *Service, in RevisionInput) (string, error) {
	if in.ImageURI == "" {
		return "", fmt.Errorf("deploying to ECS needs an image")
	}
	td := taskdef.TaskDefinition{Current: s.TaskDefinition, Service: s.Name, Container: in.ContainerName, ImageURI: in.ImageURI, Secrets: in.Secrets}
	if in.TaskDefinition != "" {
		file, err := taskdef.LoadTaskDefinition(in.TaskDefinition)
		if err != nil {
			return "", err
		}
		td.File = file
	}
	if len(s.described.LoadBalancers) > 0 {
		lb, err := taskdef.LoadBalancer(s.described, in.ContainerName, in.ContainerPort)
		if err != nil {
			return "", err
		}
		td.LoadBalancer = &lb
	} else if s.Strategy != types.DeploymentStrategyRolling {
		return "", fmt.Errorf("ECS service %q has no load balancer: a %s deployment shifts traffic between its target groups", s.Name, s.Strategy)
	}
	return taskdef.Register(ctx, d.API, td)
}
