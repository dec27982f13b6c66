package ecs

import (
	"fmt"

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
	}
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	if in.Service == "" {
		return nil, invalid("Service must be specified.")
	}
	c, err := s.findECSCluster(in.Cluster)
	if err != nil {
		return nil, err
	}
	svc, ok := s.findECSService(c.ClusterName, in.Service)
	if !ok {
		return nil, awssim.Errorf("ServiceNotFoundException", "Service not found.")
	}
	if svc.DeploymentController.Type == "CODE_DEPLOY" && (in.TaskDefinition != "" || in.DeploymentConfiguration != nil || in.LoadBalancers != nil) {
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
	if in.DeploymentConfiguration != nil || in.LoadBalancers != nil {
		if err := validateDeployment(svc.DeploymentController.Type, cfg, lbs); err != nil {
			return nil, err
		}
		svc.DeploymentConfiguration, svc.LoadBalancers = cfg.withDefaults(), lbs
	}
	if in.DesiredCount != nil {
		svc.DesiredCount = *in.DesiredCount
	}
	if svc.DeploymentController.Type == "ECS" && (taskDef != svc.TaskDefinition || in.ForceNewDeployment) {
		s.startDeployment(svc, taskDef, s.Clock.Now())
	}
	return map[string]any{"service": svc}, nil
}
