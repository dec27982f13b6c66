// Package codedeploy is the sandbox's CodeDeploy (AWS JSON 1.1) and its
// lifecycle engine on the simulated clock: Server (simulated, or run on
// this host by the exec agent through awssim.HostAgent), ECS (task sets
// through awssim.TaskSets) and Lambda (aliases through awssim.Aliases)
// deployments; S3 revisions come through awssim.Objects.
package codedeploy

import (
	"fmt"
	"net/http"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim"
)

// Service is CodeDeploy's state on the sandbox's core.
type Service struct {
	*awssim.Server
	cd *cdState
}

// Register adds CodeDeploy to the sandbox; its engine advances whenever a
// service settles.
func Register(core *awssim.Server) *Service {
	s := &Service{Server: core, cd: newCDState()}
	core.Register(&awssim.Service{
		Name:   "codedeploy",
		Target: "CodeDeploy_20141006",
		Ops:    s.codeDeployOps(),
		Authorize: func(operation string, _ *http.Request, req *awssim.Request) *awssim.Error {
			return core.CheckJSON(req, func(in awssim.Input) []awssim.IAMCheck { return s.checks(operation, req.Region, in) })
		},
	})
	core.OnSettle(s.cdAdvance)
	return s
}

// checks lists what an operation needs, with the resources as the Service
// Authorization Reference names them.
func (s *Service) checks(operation, region string, in awssim.Input) []awssim.IAMCheck {
	action := "codedeploy:" + operation
	one := func(resource string) []awssim.IAMCheck {
		return []awssim.IAMCheck{{Action: action, Resource: resource}}
	}
	arn := func(kind, name string) string {
		return fmt.Sprintf("arn:aws:codedeploy:%s:%s:%s%s", region, awssim.Account, kind, name)
	}
	switch operation {
	case "CreateApplication", "GetApplication":
		return one(arn("application:", in.Str("applicationName")))
	case "GetDeploymentConfig":
		return one(arn("deploymentconfig:", in.Str("deploymentConfigName")))
	case "CreateDeploymentGroup":
		checks := one(arn("deploymentgroup:", in.Str("applicationName")+"/"+in.Str("deploymentGroupName")))
		return append(checks, awssim.IAMCheck{Action: "iam:PassRole", Resource: in.Str("serviceRoleArn")})
	case "GetDeploymentGroup":
		return one(arn("deploymentgroup:", in.Str("applicationName")+"/"+in.Str("deploymentGroupName")))
	case "CreateDeploymentConfig":
		return one(arn("deploymentconfig:", in.Str("deploymentConfigName")))
	case "CreateDeployment":
		// "When you specify CreateDeployment permissions, you must also
		// specify GetDeploymentConfig permissions for the deployment
		// configuration and GetApplicationRevision or
		// RegisterApplicationRevision permissions for the application
		// revision" (CodeDeploy permissions reference).
		app, group := in.Str("applicationName"), in.Str("deploymentGroupName")
		return []awssim.IAMCheck{
			{Action: action, Resource: arn("deploymentgroup:", app+"/"+group)},
			{Action: "codedeploy:GetDeploymentConfig", Resource: arn("deploymentconfig:", s.deploymentConfigName(app, group, in.Str("deploymentConfigName")))},
			{Action: "codedeploy:GetApplicationRevision", Resource: arn("application:", app), Alternatives: []string{"codedeploy:RegisterApplicationRevision"}},
		}
	case "ListDeployments":
		if in.Str("deploymentGroupName") == "" {
			return one("*")
		}
		return one(arn("deploymentgroup:", in.Str("applicationName")+"/"+in.Str("deploymentGroupName")))
	case "BatchGetDeployments":
		var checks []awssim.IAMCheck
		for _, id := range in.List("deploymentIds") {
			checks = append(checks, awssim.IAMCheck{Action: action, Resource: s.deploymentGroupARN(id)})
		}
		return checks
	case "GetDeployment", "StopDeployment", "ContinueDeployment", "PutLifecycleEventHookExecutionStatus",
		"ListDeploymentTargets", "GetDeploymentTarget", "BatchGetDeploymentTargets":
		return one(s.deploymentGroupARN(in.Str("deploymentId")))
	}
	return one("*")
}

// deploymentConfigName is the configuration a CreateDeployment uses: its
// own, else its group's, else the group's platform's default.
func (s *Service) deploymentConfigName(app, group, name string) string {
	if name != "" {
		return name
	}
	if a, ok := s.cd.apps[app]; ok {
		if g, ok := a.groups[group]; ok && g.DeploymentConfigName != "" {
			return g.DeploymentConfigName
		}
		return cdDefaultConfig[a.ComputePlatform]
	}
	return "*"
}

// deploymentGroupARN names the deployment group of a deployment, the
// resource CodeDeploy authorizes calls about a deployment against.
func (s *Service) deploymentGroupARN(id string) string {
	d, ok := s.cd.byID[id]
	if !ok {
		return "*"
	}
	return fmt.Sprintf("arn:aws:codedeploy:%s:%s:deploymentgroup:%s/%s", d.app.region, awssim.Account, d.app.ApplicationName, d.group.DeploymentGroupName)
}
