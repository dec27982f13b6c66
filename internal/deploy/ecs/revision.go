// Package ecs makes the revision of an ECS blue/green deployment: the task
// definition (a file, or the service's current one) with the new image and
// secret references, registered, and the AppSpec that names it.
package ecs

import (
	"context"
	"fmt"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/config"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/deploy"
)

// ReadAPI is the ECS calls Prepare and Draft make: reads only.
type ReadAPI interface {
	DescribeServices(context.Context, *ecs.DescribeServicesInput, ...func(*ecs.Options)) (*ecs.DescribeServicesOutput, error)
	DescribeTaskDefinition(context.Context, *ecs.DescribeTaskDefinitionInput, ...func(*ecs.Options)) (*ecs.DescribeTaskDefinitionOutput, error)
}

// API is the ECS calls the ECS revision makes; *ecs.Client has them.
type API interface {
	ReadAPI
	RegisterTaskDefinition(context.Context, *ecs.RegisterTaskDefinitionInput, ...func(*ecs.Options)) (*ecs.RegisterTaskDefinitionOutput, error)
}

// Input is what an ECS revision is made from.
type Input struct {
	Group          deploy.Group // its ECSServices name the service to deploy to
	TaskDefinition string       // file; "": the service's current task definition
	ContainerName  string       // "": the container the service's load balancer names
	ContainerPort  int          // 0: the service's load balancer's; else it must match
	AppSpec        string       // template file with hooks; "": none
	ImageURI       string       // by digest
	Secrets        []deploy.SecretRef
}

// Prepared is an ECS revision before anything is registered: the task
// definition as it would be registered, and where it would run.
type Prepared struct {
	TaskDefinition *ecs.RegisterTaskDefinitionInput
	// Live is the ARN of the task definition the service runs now (its
	// primary task set's).
	Live string
	lb   types.LoadBalancer
	at   ecsPlacement
	tmpl *ecsTemplate
}

// Prepare makes what Revision registers, reading only: the task definition
// (the file, or the service's current one without its read-only fields)
// with the container's image set to ImageURI and Secrets added as valueFrom
// ARNs, checked against the service's load balancer and the template.
func Prepare(ctx context.Context, api ReadAPI, in Input) (*Prepared, error) {
	if in.ImageURI == "" {
		return nil, fmt.Errorf("deploying to ECS needs an image")
	}
	var td *ecs.RegisterTaskDefinitionInput
	if in.TaskDefinition != "" {
		var err error
		if td, err = LoadTaskDefinition(in.TaskDefinition); err != nil {
			return nil, err
		}
	}
	var tmpl *ecsTemplate
	if in.AppSpec != "" {
		var err error
		if tmpl, err = loadECSTemplate(in.AppSpec); err != nil {
			return nil, err
		}
	}
	svc, err := codeDeployService(ctx, api, in.Group)
	if err != nil {
		return nil, err
	}
	lb, err := LoadBalancer(svc, in.ContainerName, in.ContainerPort)
	if err != nil {
		return nil, err
	}
	if tmpl != nil {
		if err := tmpl.checkLoadBalancer(aws.ToString(lb.ContainerName), aws.ToInt32(lb.ContainerPort)); err != nil {
			return nil, err
		}
	}
	place := placement(svc)
	draft, err := Draft(ctx, api, TaskDefinition{
		File: td, Current: place.taskDef, Service: aws.ToString(svc.ServiceName), Container: in.ContainerName,
		LoadBalancer: &lb, ImageURI: in.ImageURI, Secrets: in.Secrets,
	})
	if err != nil {
		return nil, err
	}
	return &Prepared{TaskDefinition: draft, Live: place.taskDef, lb: lb, at: place.ecsPlacement, tmpl: tmpl}, nil
}

// Revision is the ECS platform's contribution to a deployment. It
// registers Prepare's task definition and renders the AppSpec: the new task
// definition behind the service's load balancer container and port, placed
// as the service's tasks are (platform version, network configuration,
// capacity provider strategy) unless the template says otherwise, with the
// template's hooks. It returns an AppSpecContent revision with its sha256
// and the TaskDefinitionARN. Everything is checked before the task
// definition is registered: on error nothing is.
func Revision(ctx context.Context, api API, in Input) (deploy.Revision, error) {
	p, err := Prepare(ctx, api, in)
	if err != nil {
		return deploy.Revision{}, err
	}
	arn, err := register(ctx, api, p.TaskDefinition)
	if err != nil {
		return deploy.Revision{}, err
	}
	content, err := renderECSAppSpec(arn, p.lb, p.at, p.tmpl)
	if err != nil {
		return deploy.Revision{}, err
	}
	rev := deploy.AppSpecRevision(content)
	rev.TaskDefinitionARN = arn
	return rev, nil
}

// CheckService refuses, at discovery, a group whose ECS service CodeDeploy
// does not control (or that does not exist), naming the inputs to use.
func CheckService(ctx context.Context, api API, g deploy.Group) error {
	_, err := codeDeployService(ctx, api, g)
	return err
}

// codeDeployService reads the group's ECS service and refuses one that
// CodeDeploy does not control.
func codeDeployService(ctx context.Context, api ReadAPI, g deploy.Group) (*types.Service, error) {
	if len(g.ECSServices) != 1 {
		return nil, fmt.Errorf("deployment group %q names %d ECS services, want 1", g.Name, len(g.ECSServices))
	}
	cluster, name := aws.ToString(g.ECSServices[0].ClusterName), aws.ToString(g.ECSServices[0].ServiceName)
	out, err := api.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String(cluster), Services: []string{name}})
	if err != nil {
		return nil, fmt.Errorf("reading ECS service %q of cluster %q: %w", name, cluster, err)
	}
	if len(out.Services) == 0 {
		reason := "not found"
		if len(out.Failures) > 0 {
			reason = aws.ToString(out.Failures[0].Reason)
		}
		return nil, fmt.Errorf("ECS service %q of cluster %q (deployment group %q): %s", name, cluster, g.Name, reason)
	}
	svc := &out.Services[0]
	if st := aws.ToString(svc.Status); st != "" && st != "ACTIVE" {
		return nil, fmt.Errorf("ECS service %q of cluster %q is %s, not ACTIVE", name, cluster, st)
	}
	ctl := types.DeploymentControllerTypeEcs
	if svc.DeploymentController != nil {
		ctl = svc.DeploymentController.Type
	}
	switch ctl {
	case types.DeploymentControllerTypeCodeDeploy:
	case types.DeploymentControllerTypeEcs:
		return nil, &config.InputError{Input: "codedeploy-deployment-group", Problem: fmt.Sprintf(
			"ECS service %q of cluster %q (deployment group %q) uses the ECS deployment controller: ECS deploys it itself; give ecs-cluster and ecs-service instead of codedeploy-application and codedeploy-deployment-group", name, cluster, g.Name)}
	default:
		return nil, fmt.Errorf("ECS service %q of cluster %q uses the %s deployment controller: CodeDeploy blue/green deployments need a service created with deploymentController CODE_DEPLOY", name, cluster, ctl)
	}
	return svc, nil
}

// TaskDefinition is a task definition revision to register for a
// deployment to an ECS service, by CodeDeploy or by ECS itself.
type TaskDefinition struct {
	File         *ecs.RegisterTaskDefinitionInput // the task-definition file's; nil: Current's
	Current      string                           // the task definition the service runs
	Service      string                           // the service's name, for messages
	Container    string                           // "": the load balancer's container
	LoadBalancer *types.LoadBalancer              // the one traffic shifts through; nil: none
	ImageURI     string                           // by digest
	Secrets      []deploy.SecretRef
	Tags         []types.Tag // registered with it, each replacing the file's tag of its key
}

// Register registers Draft's task definition of td, with td's Tags, and
// returns the new revision's ARN; on error nothing is registered.
func Register(ctx context.Context, api API, td TaskDefinition) (string, error) {
	in, err := Draft(ctx, api, td)
	if err != nil {
		return "", err
	}
	for _, tag := range td.Tags {
		in.Tags = append(slices.DeleteFunc(in.Tags, func(t types.Tag) bool { return aws.ToString(t.Key) == aws.ToString(tag.Key) }), tag)
	}
	return register(ctx, api, in)
}

// Draft is the task definition Register would register for td, reading
// only: the file's task definition, or the service's current one without
// its read-only fields, with the container's image set to ImageURI and
// Secrets added as valueFrom ARNs, checked to map the load balancer's port.
func Draft(ctx context.Context, api ReadAPI, td TaskDefinition) (*ecs.RegisterTaskDefinitionInput, error) {
	in := td.File
	if in == nil {
		if td.Current == "" {
			return nil, fmt.Errorf("ECS service %q runs no task definition: give task-definition", td.Service)
		}
		var err error
		if in, err = currentTaskDefinition(ctx, api, td.Service, td.Current); err != nil {
			return nil, err
		}
	}
	container := td.Container
	if container == "" && td.LoadBalancer != nil {
		container = aws.ToString(td.LoadBalancer.ContainerName)
	}
	if container == "" {
		return nil, &config.InputError{Input: "container-name", Problem: fmt.Sprintf("ECS service %q has no load balancer naming the container to deploy: give container-name", td.Service)}
	}
	if err := setContainer(in, container, td.ImageURI, td.Secrets); err != nil {
		return nil, err
	}
	if td.LoadBalancer != nil {
		if err := mapsPort(in, *td.LoadBalancer); err != nil {
			return nil, err
		}
	}
	return in, nil
}

// register registers the task definition in and returns its ARN.
func register(ctx context.Context, api API, in *ecs.RegisterTaskDefinitionInput) (string, error) {
	out, err := api.RegisterTaskDefinition(ctx, in)
	if err != nil {
		return "", fmt.Errorf("registering task definition %q: %w", aws.ToString(in.Family), err)
	}
	if out.TaskDefinition == nil || aws.ToString(out.TaskDefinition.TaskDefinitionArn) == "" {
		return "", fmt.Errorf("registering task definition %q: the answer has no taskDefinitionArn", aws.ToString(in.Family))
	}
	return aws.ToString(out.TaskDefinition.TaskDefinitionArn), nil
}

// LoadBalancer picks the service's load balancer that traffic shifts
// through: the one naming container (the first when container is ""),
// checked against port when given.
func LoadBalancer(svc *types.Service, container string, port int) (types.LoadBalancer, error) {
	name := aws.ToString(svc.ServiceName)
	if len(svc.LoadBalancers) == 0 {
		return types.LoadBalancer{}, fmt.Errorf("ECS service %q has no load balancer: blue/green deployments shift traffic between target groups of one", name)
	}
	lb := svc.LoadBalancers[0]
	for _, l := range svc.LoadBalancers {
		if container != "" && aws.ToString(l.ContainerName) == container {
			lb = l
			break
		}
	}
	if aws.ToString(lb.ContainerName) == "" || aws.ToInt32(lb.ContainerPort) == 0 {
		return types.LoadBalancer{}, fmt.Errorf("ECS service %q's load balancer names no container and port", name)
	}
	if port != 0 && int32(port) != aws.ToInt32(lb.ContainerPort) {
		return types.LoadBalancer{}, fmt.Errorf("input %q: %d is not the port ECS service %q's load balancer routes to (container %q, port %d)",
			"container-port", port, name, aws.ToString(lb.ContainerName), aws.ToInt32(lb.ContainerPort))
	}
	return lb, nil
}

// servicePlacement is where the service's tasks come from and how they run:
// its primary task set's, or the service's own when it has none.
type servicePlacement struct {
	taskDef string
	ecsPlacement
}

func placement(svc *types.Service) servicePlacement {
	p := servicePlacement{taskDef: aws.ToString(svc.TaskDefinition), ecsPlacement: ecsPlacement{
		platformVersion: aws.ToString(svc.PlatformVersion), network: svc.NetworkConfiguration, capacity: svc.CapacityProviderStrategy,
	}}
	for _, ts := range svc.TaskSets {
		if aws.ToString(ts.Status) == "PRIMARY" {
			p.taskDef = aws.ToString(ts.TaskDefinition)
			p.ecsPlacement = ecsPlacement{platformVersion: aws.ToString(ts.PlatformVersion), network: ts.NetworkConfiguration, capacity: ts.CapacityProviderStrategy}
		}
	}
	return p
}

// currentTaskDefinition reads the task definition the service runs, as
// register-task-definition takes it.
func currentTaskDefinition(ctx context.Context, api ReadAPI, service, arn string) (*ecs.RegisterTaskDefinitionInput, error) {
	out, err := api.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(arn)})
	if err != nil {
		return nil, fmt.Errorf("reading task definition %s of ECS service %q: %w", arn, service, err)
	}
	if out.TaskDefinition == nil {
		return nil, fmt.Errorf("reading task definition %s: the answer has no taskDefinition", arn)
	}
	return registerInput(out.TaskDefinition), nil
}

// mapsPort refuses a task definition whose load balancer container does
// not map the load balancer's port: CodeDeploy would fail at Install.
func mapsPort(td *ecs.RegisterTaskDefinitionInput, lb types.LoadBalancer) error {
	name, port := aws.ToString(lb.ContainerName), aws.ToInt32(lb.ContainerPort)
	for _, c := range td.ContainerDefinitions {
		if aws.ToString(c.Name) != name {
			continue
		}
		for _, pm := range c.PortMappings {
			if aws.ToInt32(pm.ContainerPort) == port {
				return nil
			}
		}
		return fmt.Errorf("container %q of task definition %q maps no container port %d, which the service's load balancer routes to", name, aws.ToString(td.Family), port)
	}
	return fmt.Errorf("task definition %q has no container %q, which the service's load balancer routes to", aws.ToString(td.Family), name)
}
