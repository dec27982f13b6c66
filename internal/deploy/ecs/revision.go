// Package ecs makes the revision of an ECS blue/green deployment: the task
// definition (a file, or the service's current one) with the new image and
// secret references, registered, and the AppSpec that names it.
package ecs

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/deploy"
)

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

// ReadAPI is the ECS calls Draft makes: reads only.
type ReadAPI interface {
	DescribeServices(context.Context, *ecs.DescribeServicesInput, ...func(*ecs.Options)) (*ecs.DescribeServicesOutput, error)
	DescribeTaskDefinition(context.Context, *ecs.DescribeTaskDefinitionInput, ...func(*ecs.Options)) (*ecs.DescribeTaskDefinitionOutput, error)
}

// Draft is an ECS revision before anything is registered: the task
// definition as it would be registered, and where it would run.
type Draft struct {
	TaskDefinition *ecs.RegisterTaskDefinitionInput
	// Live is the ARN of the task definition the service runs now (its
	// primary task set's).
	Live string
	lb   types.LoadBalancer
	at   ecsPlacement
	tmpl *ecsTemplate
}

// Prepare makes the Draft of Revision, reading only: the task definition
// (the file, or the service's current one without its read-only fields)
// with the container's image set to ImageURI and Secrets added as valueFrom
// ARNs, checked against the service's load balancer.
func Prepare(ctx context.Context, api ReadAPI, in Input) (*Draft, error) {
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
	lb, err := loadBalancer(svc, in.ContainerName, in.ContainerPort)
	if err != nil {
		return nil, err
	}
	if tmpl != nil {
		if err := tmpl.checkLoadBalancer(aws.ToString(lb.ContainerName), aws.ToInt32(lb.ContainerPort)); err != nil {
			return nil, err
		}
	}
	place := placement(svc)
	if td == nil {
		if td, err = currentTaskDefinition(ctx, api, svc, place.taskDef); err != nil {
			return nil, err
		}
	}
	container := in.ContainerName
	if container == "" {
		container = aws.ToString(lb.ContainerName)
	}
	if err := setContainer(td, container, in.ImageURI, in.Secrets); err != nil {
		return nil, err
	}
	if err := mapsPort(td, lb); err != nil {
		return nil, err
	}
	return &Draft{TaskDefinition: td, Live: place.taskDef, lb: lb, at: place.ecsPlacement, tmpl: tmpl}, nil
}

// Revision is the ECS platform's contribution to a deployment. It
// registers the Draft's task definition and renders the AppSpec: the new
// task definition behind the service's load balancer container and port,
// placed as the service's tasks are (platform version, network
// configuration, capacity provider strategy) unless the template says
// otherwise, with the template's hooks. It returns an AppSpecContent
// revision with its sha256 and the TaskDefinitionARN. Everything is checked
// before the task definition is registered: on error nothing is.
func Revision(ctx context.Context, api API, in Input) (deploy.Revision, error) {
	d, err := Prepare(ctx, api, in)
	if err != nil {
		return deploy.Revision{}, err
	}
	td := d.TaskDefinition
	out, err := api.RegisterTaskDefinition(ctx, td)
	if err != nil {
		return deploy.Revision{}, fmt.Errorf("registering task definition %q: %w", aws.ToString(td.Family), err)
	}
	if out.TaskDefinition == nil || aws.ToString(out.TaskDefinition.TaskDefinitionArn) == "" {
		return deploy.Revision{}, fmt.Errorf("registering task definition %q: the answer has no taskDefinitionArn", aws.ToString(td.Family))
	}
	arn := aws.ToString(out.TaskDefinition.TaskDefinitionArn)
	content, err := renderECSAppSpec(arn, d.lb, d.at, d.tmpl)
	if err != nil {
		return deploy.Revision{}, err
	}
	rev := deploy.AppSpecRevision(content)
	rev.TaskDefinitionARN = arn
	return rev, nil
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
	if ctl != types.DeploymentControllerTypeCodeDeploy {
		return nil, fmt.Errorf("ECS service %q of cluster %q uses the %s deployment controller: CodeDeploy blue/green deployments need a service created with deploymentController CODE_DEPLOY", name, cluster, ctl)
	}
	return svc, nil
}

// loadBalancer picks the service's load balancer that traffic shifts
// through: the one naming container (the first when container is ""),
// checked against port when given.
func loadBalancer(svc *types.Service, container string, port int) (types.LoadBalancer, error) {
	name := aws.ToString(svc.ServiceName)
	if len(svc.LoadBalancers) == 0 {
		return types.LoadBalancer{}, fmt.Errorf("ECS service %q has no load balancer: CodeDeploy shifts traffic between target groups of one", name)
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
func currentTaskDefinition(ctx context.Context, api ReadAPI, svc *types.Service, arn string) (*ecs.RegisterTaskDefinitionInput, error) {
	if arn == "" {
		return nil, fmt.Errorf("ECS service %q runs no task definition: give task-definition", aws.ToString(svc.ServiceName))
	}
	out, err := api.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(arn)})
	if err != nil {
		return nil, fmt.Errorf("reading task definition %s of ECS service %q: %w", arn, aws.ToString(svc.ServiceName), err)
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
