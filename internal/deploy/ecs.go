package deploy

import (
	"context"
	"errors"

	"github.com/aws/aws-sdk-go-v2/service/ecs"
)

// ECSAPI is the ECS calls the ECS revision makes; *ecs.Client has them.
type ECSAPI interface {
	DescribeServices(context.Context, *ecs.DescribeServicesInput, ...func(*ecs.Options)) (*ecs.DescribeServicesOutput, error)
	DescribeTaskDefinition(context.Context, *ecs.DescribeTaskDefinitionInput, ...func(*ecs.Options)) (*ecs.DescribeTaskDefinitionOutput, error)
	RegisterTaskDefinition(context.Context, *ecs.RegisterTaskDefinitionInput, ...func(*ecs.Options)) (*ecs.RegisterTaskDefinitionOutput, error)
}

// ECSInput is what an ECS revision is made from.
type ECSInput struct {
	Group          Group  // its ECSServices name the service to deploy to
	TaskDefinition string // file; "": the service's current task definition
	ContainerName  string
	ContainerPort  int
	AppSpec        string // template file with hooks; "": none
	ImageURI       string // by digest
	Secrets        []SecretRef
}

// ErrECSNotBuilt is returned until the ECS platform is built.
var ErrECSNotBuilt = errors.New("the ECS platform is not built yet")

// ECSRevision is the ECS platform's contribution to a deployment. When
// built, it takes the task definition (the file, or the service's current
// one), sets the container's image to ImageURI, adds Secrets as valueFrom
// ARNs, registers it, renders the AppSpec (TaskDefinition, ContainerName,
// ContainerPort, optional hooks) and returns an AppSpecContent revision with
// its sha256 and the TaskDefinitionARN. The driver does the rest.
func ECSRevision(ctx context.Context, api ECSAPI, in ECSInput) (Revision, error) {
	return Revision{}, ErrECSNotBuilt
}
