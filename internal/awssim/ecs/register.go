// Package ecs is the sandbox's ECS (AWS JSON 1.1): CreateCluster,
// RegisterTaskDefinition, DescribeTaskDefinition, CreateService,
// UpdateService, DescribeServices and DescribeTaskSets, and the service
// deployments of services with the ECS deployment controller
// (DescribeServiceDeployments, ListServiceDeployments,
// StopServiceDeployment, ContinueServiceDeployment). CodeDeploy moves the
// task sets of a CODE_DEPLOY service through awssim.TaskSets; an ECS
// service's deployments run on the sandbox clock (lifecycle.go), settled
// lazily on each call like CodeDeploy's engine.
package ecs

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim"
)

// Service is ECS's state on the sandbox's core.
type Service struct {
	*awssim.Server
	ecs *ecsState
}

// Register adds ECS to the sandbox.
func Register(core *awssim.Server) *Service {
	s := &Service{Server: core, ecs: newECSState()}
	core.OnSettle(s.advanceDeployments)
	core.Register(&awssim.Service{
		Name:   "ecs",
		Target: "AmazonEC2ContainerServiceV20141113",
		Ops:    s.ecsOps(),
		Authorize: func(operation string, _ *http.Request, req *awssim.Request) *awssim.Error {
			return core.CheckJSON(req, func(in awssim.Input) []awssim.IAMCheck { return checks(operation, req.Region, in) })
		},
	})
	return s
}

// checks lists what an operation needs, with the resources as the Service
// Authorization Reference names them.
func checks(operation, region string, in awssim.Input) []awssim.IAMCheck {
	action := "ecs:" + operation
	one := func(resource string) []awssim.IAMCheck {
		return []awssim.IAMCheck{{Action: action, Resource: resource}}
	}
	arn := func(name string) string {
		return fmt.Sprintf("arn:aws:ecs:%s:%s:service/%s", region, awssim.Account, name)
	}
	switch operation {
	case "RegisterTaskDefinition": // with tags, also ecs:TagResource on the new revision: the operation checks it, knowing the ARN
		checks := one("*")
		for _, role := range []string{in.Str("taskRoleArn"), in.Str("executionRoleArn")} {
			if role != "" {
				checks = append(checks, awssim.IAMCheck{Action: "iam:PassRole", Resource: role})
			}
		}
		return checks
	case "CreateService", "UpdateService", "ListServiceDeployments":
		name := in.Str("serviceName")
		if operation != "CreateService" {
			name = ecsName(in.Str("service"))
		}
		return append(one(arn(ecsName(orDefault(in.Str("cluster")))+"/"+name)), passRoles(in)...)
	case "DescribeServiceDeployments":
		var checks []awssim.IAMCheck
		for _, d := range in.List("serviceDeploymentArns") {
			checks = append(checks, awssim.IAMCheck{Action: action, Resource: d})
		}
		return checks
	case "StopServiceDeployment", "ContinueServiceDeployment":
		return one(in.Str("serviceDeploymentArn"))
	case "DescribeServices", "DescribeTaskSets":
		services := in.List("services")
		if operation == "DescribeTaskSets" {
			services = []string{in.Str("service")}
		}
		var checks []awssim.IAMCheck
		for _, svc := range services {
			checks = append(checks, awssim.IAMCheck{Action: action, Resource: arn(ecsName(orDefault(in.Str("cluster"))) + "/" + ecsName(svc))})
		}
		return checks
	}
	return one("*")
}

// passRoles are the iam:PassRole checks for the roles a service hands to
// ECS: its load balancers' advancedConfiguration.roleArn and its lifecycle
// hooks' roleArn.
func passRoles(in awssim.Input) []awssim.IAMCheck {
	var roles []string
	lbs, _ := in["loadBalancers"].([]any)
	for _, lb := range lbs {
		m, _ := lb.(map[string]any)
		adv, _ := m["advancedConfiguration"].(map[string]any)
		roles = append(roles, awssim.Input(adv).Str("roleArn"))
	}
	cfg, _ := in["deploymentConfiguration"].(map[string]any)
	hooks, _ := cfg["lifecycleHooks"].([]any)
	for _, h := range hooks {
		m, _ := h.(map[string]any)
		roles = append(roles, awssim.Input(m).Str("roleArn"))
	}
	var checks []awssim.IAMCheck
	for _, role := range roles {
		if role != "" && !slices.ContainsFunc(checks, func(c awssim.IAMCheck) bool { return c.Resource == role }) {
			checks = append(checks, awssim.IAMCheck{Action: "iam:PassRole", Resource: role})
		}
	}
	return checks
}

func orDefault(cluster string) string {
	if cluster == "" {
		return "default"
	}
	return cluster
}

// Service returns an ECS service (awssim.TaskSets).
func (s *Service) Service(cluster, service string) (awssim.ECSService, bool) {
	svc, ok := s.findECSService(cluster, service)
	if !ok {
		return nil, false
	}
	return svc, true
}

// CheckSpec returns the AppSpec's task definition, or says why ECS cannot
// start a task set of it for svc (awssim.TaskSets).
func (s *Service) CheckSpec(service awssim.ECSService, taskDef, container string, port int) (string, string) {
	svc := service.(*ecsService)
	td, ok := s.findTaskDef(taskDef)
	if !ok {
		return "", fmt.Sprintf("The ECS service cannot be updated due to an unexpected error: Unable to describe task definition %s.", taskDef)
	}
	if !slices.ContainsFunc(svc.LoadBalancers, func(lb ecsLoadBalancer) bool {
		return lb.ContainerName == container && lb.ContainerPort == port
	}) {
		return "", fmt.Sprintf("The ECS service cannot be updated due to an unexpected error: container %s port %d does not match the service's load balancer.", container, port)
	}
	switch found, hasPort := td.container(container, port); {
	case !found:
		return "", fmt.Sprintf("The ECS service cannot be updated due to an unexpected error: The container %s does not exist in the task definition.", container)
	case !hasPort:
		return "", fmt.Sprintf("The ECS service cannot be updated due to an unexpected error: The container %s did not have a container port %d defined.", container, port)
	}
	return td.arn, ""
}

func (svc *ecsService) Cluster() string { return svc.cluster }
func (svc *ecsService) Name() string    { return svc.ServiceName }
func (svc *ecsService) ARN() string     { return svc.ServiceArn }

// Controller is the service's deployment controller type.
func (svc *ecsService) Controller() string { return svc.DeploymentController.Type }

// Primary returns the PRIMARY task set, or nil.
func (svc *ecsService) Primary() awssim.TaskSet {
	for _, ts := range svc.TaskSets {
		if ts.Status == "PRIMARY" {
			return ts
		}
	}
	return nil
}

// CreateTaskSet starts an ACTIVE task set of taskDef, with network when set.
func (svc *ecsService) CreateTaskSet(taskDef string, network json.RawMessage, t time.Time) awssim.TaskSet {
	ts := svc.addTaskSet(taskDef, "ACTIVE", t)
	if network != nil {
		ts.NetworkConfiguration = network
	}
	return ts
}

func (svc *ecsService) SetPrimary(ts awssim.TaskSet, t time.Time) {
	svc.setPrimary(ts.(*ecsTaskSet), t)
}
func (svc *ecsService) RemoveTaskSet(ts awssim.TaskSet) { svc.removeTaskSet(ts.(*ecsTaskSet)) }

// Info tells CodeDeploy of the task set.
func (ts *ecsTaskSet) Info() awssim.TaskSetInfo {
	return awssim.TaskSetInfo{ID: ts.ID, Status: ts.Status, DesiredCount: ts.ComputedDesiredCount, PendingCount: ts.PendingCount, RunningCount: ts.RunningCount}
}

var _ awssim.TaskSets = (*Service)(nil)
