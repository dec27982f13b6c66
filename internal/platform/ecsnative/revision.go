package ecsnative

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/service/ecs"
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
	Run            deploy.Run // the workflow run, tagged on the revision (RunTag) when known
}

// Revision registers the task definition revision to deploy to s, exactly
// as the CodeDeploy ECS platform makes it (internal/deploy/ecs.Register):
// the file's task definition or the service's current one, the container's
// image set by digest, the secrets added by reference, the load balancer's
// port checked, tagged with the run. It returns the revision's ARN; on
// error nothing is registered.
func (d *Driver) Revision(ctx context.Context, s *Service, in RevisionInput) (string, error) {
	td, err := taskDefinition(s, in)
	if err != nil {
		return "", err
	}
	td.Tags = runTags(in.Run)
	return taskdef.Register(ctx, d.API, td)
}

// Draft is the task definition Revision would register, reading only.
func (d *Driver) Draft(ctx context.Context, s *Service, in RevisionInput) (*ecs.RegisterTaskDefinitionInput, error) {
	td, err := taskDefinition(s, in)
	if err != nil {
		return nil, err
	}
	return taskdef.Draft(ctx, d.API, td)
}

// taskDefinition is the revision to make for s from in.
func taskDefinition(s *Service, in RevisionInput) (taskdef.TaskDefinition, error) {
	if in.ImageURI == "" {
		return taskdef.TaskDefinition{}, fmt.Errorf("deploying to ECS needs an image")
	}
	td := taskdef.TaskDefinition{Current: s.TaskDefinition, Service: s.Name, Container: in.ContainerName, ImageURI: in.ImageURI, Secrets: in.Secrets}
	if in.TaskDefinition != "" {
		file, err := taskdef.LoadTaskDefinition(in.TaskDefinition)
		if err != nil {
			return taskdef.TaskDefinition{}, err
		}
		td.File = file
	}
	if len(s.described.LoadBalancers) > 0 {
		lb, err := taskdef.LoadBalancer(s.described, in.ContainerName, in.ContainerPort)
		if err != nil {
			return taskdef.TaskDefinition{}, err
		}
		td.LoadBalancer = &lb
	} else if s.Strategy != types.DeploymentStrategyRolling {
		return taskdef.TaskDefinition{}, fmt.Errorf("ECS service %q has no load balancer: a %s deployment shifts traffic between its target groups", s.Name, s.Strategy)
	}
	return td, nil
}
