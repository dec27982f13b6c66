package deploy

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy/types"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/plan"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/rollout"
)

// SurveyAPI is the CodeDeploy reads a plan makes of a deployment group;
// *codedeploy.Client has them.
type SurveyAPI interface {
	GetDeploymentGroup(context.Context, *codedeploy.GetDeploymentGroupInput, ...func(*codedeploy.Options)) (*codedeploy.GetDeploymentGroupOutput, error)
	GetDeploymentConfig(context.Context, *codedeploy.GetDeploymentConfigInput, ...func(*codedeploy.Options)) (*codedeploy.GetDeploymentConfigOutput, error)
	ListDeployments(context.Context, *codedeploy.ListDeploymentsInput, ...func(*codedeploy.Options)) (*codedeploy.ListDeploymentsOutput, error)
	GetDeployment(context.Context, *codedeploy.GetDeploymentInput, ...func(*codedeploy.Options)) (*codedeploy.GetDeploymentOutput, error)
}

// Survey is what a plan needs to know of a deployment group beyond
// Discover: how a deployment would roll out and what stands in its way.
type Survey struct {
	Config types.DeploymentConfigInfo // the deployment configuration a deployment would use
	Alarms int                        // enabled CloudWatch alarms that stop a deployment
	// Live is the group's last successful deployment ("" none) and its
	// revision.
	Live         string
	LiveRevision *types.RevisionLocation
	// Active is a deployment in progress ("" none): a deploy would wait
	// for it, stop it or fail (on-active-deployment).
	Active string
	// Newer is a deployment of a later workflow run than run, active or
	// last successful: with supersede-check the deploy would step aside.
	Newer string
}

// SurveyGroup reads the deployment configuration config (the group's own
// when "") and the group's deployments, changing nothing. run is the
// workflow run the deploy would be (zero: no supersede check).
func SurveyGroup(ctx context.Context, api SurveyAPI, g Group, config string, run Run) (Survey, error) {
	var s Survey
	if config == "" {
		config = g.Config
	}
	cfg, err := api.GetDeploymentConfig(ctx, &codedeploy.GetDeploymentConfigInput{DeploymentConfigName: aws.String(config)})
	if err != nil {
		return s, fmt.Errorf("reading deployment configuration %q: %w", config, err)
	}
	if cfg.DeploymentConfigInfo != nil {
		s.Config = *cfg.DeploymentConfigInfo
	}
	out, err := api.GetDeploymentGroup(ctx, &codedeploy.GetDeploymentGroupInput{
		ApplicationName: aws.String(g.Application), DeploymentGroupName: aws.String(g.Name),
	})
	if err != nil {
		return s, fmt.Errorf("reading deployment group %q of application %q: %w", g.Name, g.Application, err)
	}
	var ids []string
	if info := out.DeploymentGroupInfo; info != nil {
		if a := info.AlarmConfiguration; a != nil && a.Enabled {
			s.Alarms = len(a.Alarms)
		}
		if last := info.LastSuccessfulDeployment; last != nil && aws.ToString(last.DeploymentId) != "" {
			s.Live = aws.ToString(last.DeploymentId)
			ids = append(ids, s.Live)
		}
	}
	list, err := api.ListDeployments(ctx, &codedeploy.ListDeploymentsInput{
		ApplicationName: aws.String(g.Application), DeploymentGroupName: aws.String(g.Name), IncludeOnlyStatuses: nonTerminal,
	})
	if err != nil {
		return s, fmt.Errorf("listing the active deployments of group %q: %w", g.Name, err)
	}
	if len(list.Deployments) > 0 {
		s.Active = list.Deployments[0]
	}
	for _, id := range append(ids, list.Deployments...) {
		d, err := api.GetDeployment(ctx, &codedeploy.GetDeploymentInput{DeploymentId: aws.String(id)})
		if err != nil {
			return s, fmt.Errorf("reading deployment %s: %w", id, err)
		}
		info := d.DeploymentInfo
		if info == nil {
			continue
		}
		if id == s.Live {
			s.LiveRevision = info.Revision
		}
		if r, ok := runOf(aws.ToString(info.Description)); ok && run.ID > 0 && r.ID > run.ID && info.Creator != types.DeploymentCreatorCodeDeployRollback && s.Newer == "" {
			s.Newer = id
		}
	}
	return s, nil
}

// Rollout is the rollout a deployment to g would follow; pause is
// on-ready: pause.
func (s Survey) Rollout(g Group, pause bool) *plan.Rollout {
	e := rollout.CodeDeploy(s.Config, rollout.Group{
		Platform: g.Platform, ReadyAction: g.ReadyAction, ReadyWait: g.ReadyWait, TerminationWait: g.TerminationWait, Pause: pause,
	})
	if g.InPlace {
		e.Strategy = "one instance: the new container starts beside the old one, then the proxy switches to it"
	}
	return &plan.Rollout{Config: aws.ToString(s.Config.DeploymentConfigName), Estimate: e}
}

// Situation is what a reviewer should know of the group before a deploy
// with on-active-deployment onActive and on-ready pause (or not).
func (s Survey) Situation(g Group, onActive string, pause bool) plan.Situation {
	return plan.Situation{
		Active: s.Active, OnActive: onActive, AutoRollback: g.AutoRollback, Alarms: s.Alarms, Newer: s.Newer,
		Pause: pause, ReadyWait: g.ReadyAction == types.DeploymentReadyActionStopDeployment,
	}
}
