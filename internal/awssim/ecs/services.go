package ecs

import (
	"fmt"
	"time"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim"
)

func (s *Service) ecsCreateService(r *awssim.Request) (any, error) {
	var in struct {
		ecsServiceFields
		Cluster string `json:"cluster"`
	}
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	if in.ServiceName == "" {
		return nil, awssim.Errorf("InvalidParameterException", "Service name must be specified.")
	}
	c, err := s.findECSCluster(in.Cluster)
	if err != nil {
		return nil, err
	}
	key := c.ClusterName + "/" + in.ServiceName
	if _, ok := s.ecs.services[key]; ok {
		return nil, awssim.Errorf("InvalidParameterException", "Creation of service was not idempotent.")
	}
	td, ok := s.findTaskDef(in.TaskDefinition)
	if !ok {
		return nil, awssim.Errorf("ClientException", "TaskDefinition not found.")
	}
	if err := ecsCheckNetwork(td, in.LaunchType, in.NetworkConfiguration); err != nil {
		return nil, err
	}
	switch in.DeploymentController.Type {
	case "":
		in.DeploymentController.Type = "ECS"
	case "ECS", "CODE_DEPLOY":
	default:
		return nil, awssim.Errorf("InvalidParameterException", "Deployment controller type %s is not supported by the sandbox.", in.DeploymentController.Type)
	}
	if err := validateDeployment(in.DeploymentController.Type, in.DeploymentConfiguration, in.LoadBalancers); err != nil {
		return nil, err
	}
	if in.DeploymentConfiguration == nil {
		in.DeploymentConfiguration = &deploymentConfig{}
	}
	in.DeploymentConfiguration = in.DeploymentConfiguration.withDefaults()
	if in.SchedulingStrategy == "" {
		in.SchedulingStrategy = "REPLICA"
	}
	if in.LoadBalancers == nil {
		in.LoadBalancers = []ecsLoadBalancer{}
	}
	in.TaskDefinition = td.arn
	now := s.Clock.Now()
	svc := &ecsService{
		ecsServiceFields: in.ecsServiceFields,
		ServiceArn:       fmt.Sprintf("arn:aws:ecs:%s:%s:service/%s/%s", r.Region, awssim.Account, c.ClusterName, in.ServiceName),
		ClusterArn:       c.ClusterArn,
		Status:           "ACTIVE",
		RunningCount:     in.DesiredCount,
		CreatedAt:        awssim.Time(now),
		Deployments:      []ecsRollout{},
		cluster:          c.ClusterName,
		region:           r.Region,
	}
	svc.revision, svc.serving = svc.revisionArn(), td.arn
	if in.DeploymentController.Type == "CODE_DEPLOY" {
		svc.addTaskSet(td.arn, "PRIMARY", now)
	} else {
		svc.Deployments = append(svc.Deployments, ecsRollout{
			ID: "ecs-svc/" + randomID(), Status: "PRIMARY", TaskDefinition: td.arn,
			DesiredCount: in.DesiredCount, RunningCount: in.DesiredCount, RolloutState: "COMPLETED",
			CreatedAt: awssim.Time(now), UpdatedAt: awssim.Time(now),
		})
	}
	s.ecs.services[key] = svc
	return map[string]any{"service": svc}, nil
}

// ecsUpdateService changes a service. A new task definition (or
// forceNewDeployment) on a service with the ECS deployment controller
// starts a service deployment with the service's deployment configuration,
// as changed by the same call.
func (s *Service) ecsUpdateService(r *awssim.Request) (any, error) {
	var in struct {
		Cluster                 string            `json:"cluster"`
		Service                 string            `json:"service"`
		TaskDefinition          string            `json:"taskDefinition"`
		DesiredCount            *int              `json:"desiredCount"`
		DeploymentConfiguration *deploymentConfig `json:"deploymentConfiguration"`
		LoadBalancers           []ecsLoadBalancer `json:"loadBalancers"`
		ForceNewDeployment      bool              `json:"forceNewDeployment"`
		DeploymentController    *struct {
			Type string `json:"type"`
		} `json:"deploymentController"`
	}
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	svc, err := s.serviceOf(in.Cluster, in.Service)
	if err != nil {
		return nil, err
	}
	controller := svc.DeploymentController.Type
	if in.DeploymentController != nil {
		controller = in.DeploymentController.Type
		if controller != "ECS" && controller != "CODE_DEPLOY" {
			return nil, invalid("Deployment controller type %s is not supported by the sandbox.", controller)
		}
		if controller != svc.DeploymentController.Type && s.deploying(svc) {
			return nil, invalid("The deployment controller cannot be changed while a service deployment is in progress.")
		}
	}
	if controller == "CODE_DEPLOY" && (in.TaskDefinition != "" || in.DeploymentConfiguration != nil || in.LoadBalancers != nil) {
		return nil, invalid("Unable to update task definition on services with a CODE_DEPLOY deployment controller. Use AWS CodeDeploy to trigger a new deployment.")
	}
	taskDef := svc.TaskDefinition
	if in.TaskDefinition != "" {
		td, ok := s.findTaskDef(in.TaskDefinition)
		if !ok {
			return nil, awssim.Errorf("ClientException", "TaskDefinition not found.")
		}
		if err := ecsCheckNetwork(td, svc.LaunchType, svc.NetworkConfiguration); err != nil {
			return nil, err
		}
		taskDef = td.arn
	}
	cfg, lbs := svc.DeploymentConfiguration, svc.LoadBalancers
	if in.DeploymentConfiguration != nil {
		cfg = in.DeploymentConfiguration
	}
	if in.LoadBalancers != nil {
		lbs = in.LoadBalancers
	}
	if in.DeploymentConfiguration != nil || in.LoadBalancers != nil || controller != svc.DeploymentController.Type {
		if err := validateDeployment(controller, cfg, lbs); err != nil {
			return nil, err
		}
		svc.DeploymentConfiguration, svc.LoadBalancers = cfg.withDefaults(), lbs
	}
	if controller != svc.DeploymentController.Type {
		svc.switchController(controller, s.Clock.Now())
	}
	if in.DesiredCount != nil {
		svc.DesiredCount = *in.DesiredCount
	}
	if svc.DeploymentController.Type == "ECS" && (taskDef != svc.TaskDefinition || in.ForceNewDeployment) {
		s.startDeployment(svc, taskDef, s.Clock.Now())
	}
	return map[string]any{"service": svc}, nil
}

// deploying reports whether a service deployment of svc is in progress.
func (s *Service) deploying(svc *ecsService) bool {
	for _, d := range s.ecs.deployments {
		if d.svc == svc && !d.finished() {
			return true
		}
	}
	return false
}

// switchController moves a service between CodeDeploy's task sets and ECS's
// own deployments, keeping the task definition it serves.
func (svc *ecsService) switchController(controller string, t time.Time) {
	svc.DeploymentController.Type = controller
	if controller == "CODE_DEPLOY" {
		svc.Deployments = []ecsRollout{}
		svc.addTaskSet(svc.TaskDefinition, "PRIMARY", t)
		return
	}
	svc.TaskSets = nil
	svc.revision, svc.serving = svc.revisionArn(), svc.TaskDefinition
	svc.Deployments = []ecsRollout{{ID: "ecs-svc/" + randomID(), Status: "PRIMARY", TaskDefinition: svc.TaskDefinition,
		DesiredCount: svc.DesiredCount, RunningCount: svc.DesiredCount, RolloutState: "COMPLETED",
		CreatedAt: awssim.Time(t), UpdatedAt: awssim.Time(t)}}
}

// serviceOf finds the service a request names, refusing a missing one as ECS does.
func (s *Service) serviceOf(cluster, service string) (*ecsService, error) {
	if service == "" {
		return nil, invalid("Service must be specified.")
	}
	c, err := s.findECSCluster(cluster)
	if err != nil {
		return nil, err
	}
	svc, ok := s.findECSService(c.ClusterName, service)
	if !ok {
		return nil, awssim.Errorf("ServiceNotFoundException", "Service not found.")
	}
	return svc, nil
}
