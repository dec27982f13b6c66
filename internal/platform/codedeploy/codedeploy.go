// Package codedeploy is the CodeDeploy platform: a blue/green (or
// single-host in-place) deployment to a CodeDeploy deployment group, whose
// compute platform picks the revision source (internal/deploy/server, ecs,
// lambda, inplace), driven by internal/deploy's driver.
package codedeploy

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/codedeploy/types"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/config"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/deploy"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/deploy/ecs"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/deploy/inplace"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/deploy/lambda"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/deploy/server"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/platform"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/report"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/secrets"
)

// service is how the report's sentences name the platform.
const service = "CodeDeploy"

// Target is a CodeDeploy deployment group, or an existing deployment for
// a command.
type Target struct {
	env   platform.Env
	group deploy.Group
	rev   deploy.Revision
	drv   *deploy.Driver
	prog  *Progress
	id    string // the deployment a command acts on
}

// New returns the target the inputs name.
func New(env platform.Env) *Target {
	drv := &deploy.Driver{API: env.Clients.CodeDeploy}
	if env.Clock != nil {
		drv.Clock = env.Clock
	}
	return &Target{env: env, drv: drv}
}

// Title names the deployment group, or the deployment a command acts on.
func (t *Target) Title() string {
	if t.id != "" {
		return fmt.Sprintf("%s deployment %s", service, t.id)
	}
	in := t.env.Config.Deploy
	return fmt.Sprintf("%s %s/%s", service, in.Application, in.DeploymentGroup)
}

// Discover reads the deployment group (read-only), and an ECS group's
// service, and checks the inputs its compute platform needs.
func (t *Target) Discover(ctx context.Context) error {
	in := t.env.Config.Deploy
	g, err := deploy.Discover(ctx, t.env.Clients.CodeDeploy, in.Application, in.DeploymentGroup)
	if err != nil {
		return err
	}
	if err := checkGroup(in, g); err != nil {
		return err
	}
	if g.Platform == types.ComputePlatformEcs {
		if err := ecs.CheckService(ctx, t.env.Clients.ECS, g); err != nil {
			return err
		}
	}
	t.group = g
	return nil
}

// Prepare makes the revision the group's compute platform deploys: an S3
// bundle (Server, or single-host in-place), or an AppSpec naming a new task
// definition (ECS) or function version (Lambda).
func (t *Target) Prepare(ctx context.Context, image string, refs []secrets.Reference) error {
	in, g, res := t.env.Config.Deploy, t.group, t.env.Result
	start := time.Now()
	config := in.DeploymentConfig
	if config == "" {
		config = g.Config
	}
	d := &report.Deployment{
		Service: service,
		Title:   fmt.Sprintf("%s/%s, %s", in.Application, in.DeploymentGroup, g.Platform),
		Where: []report.Fact{
			{Label: "Application", Value: in.Application},
			{Label: "Group", Value: in.DeploymentGroup},
			{Label: "Config", Value: config},
			{Label: "Platform", Value: string(g.Platform), Plain: true},
		},
	}
	res.Deploy = d
	var secretRefs []deploy.SecretRef
	for _, ref := range refs {
		secretRefs = append(secretRefs, deploy.SecretRef{Name: ref.Name, ValueFrom: ref.ValueFrom})
	}
	rev, err := t.revision(ctx, image, secretRefs)
	if err != nil {
		return err
	}
	t.rev = rev
	d.What = []report.Fact{
		{Label: "Task definition", Value: rev.TaskDefinitionARN, Output: "task-definition-arn"},
		{Label: "Lambda version", Value: rev.Version, Output: "lambda-version"},
		{Label: "Revision", Value: rev.Where, Output: "revision-location"},
	}
	t.env.Report.OutputResult(res)
	t.env.Report.Infof("Revision %s for %s deployment group %s/%s", rev.Where, g.Platform, in.Application, in.DeploymentGroup)
	res.AddSpan("revision", start, time.Now())
	return nil
}

// revision builds the revision of the group's compute platform.
func (t *Target) revision(ctx context.Context, image string, refs []deploy.SecretRef) (deploy.Revision, error) {
	in, g, c := t.env.Config.Deploy, t.group, t.env.Clients
	region := t.env.Config.AWS.Region
	switch g.Platform {
	case types.ComputePlatformEcs:
		return ecs.Revision(ctx, c.ECS, ecs.Input{
			Group: g, TaskDefinition: in.TaskDefinition, ContainerName: in.ContainerName, ContainerPort: in.ContainerPort,
			AppSpec: in.AppSpec, ImageURI: image, Secrets: refs,
		})
	case types.ComputePlatformLambda:
		return lambda.Revision(ctx, c.Lambda, lambda.Input{Function: in.LambdaFunction, Alias: in.LambdaAlias, AppSpec: in.AppSpec, ImageURI: image})
	}
	if g.InPlace && in.Bundle == "" { // single-host blue/green
		return inplace.Revision(ctx, c.S3, inplace.Input{
			Bucket: in.S3Bucket, Prefix: in.S3Prefix, Region: region, ImageURI: image,
			ContainerName: in.ContainerName, ContainerPort: in.ContainerPort, HealthCheckPath: in.HealthCheckPath,
			HealthCheckTimeout: in.HealthTimeout, ProxyImage: in.ProxyImage, Secrets: refs,
		})
	}
	return server.Revision(ctx, c.S3, server.Input{
		Bundle: in.Bundle, Bucket: in.S3Bucket, Prefix: in.S3Prefix, Region: region, ImageURI: image,
		ContainerName: in.ContainerName, ContainerPort: in.ContainerPort, HealthCheckPath: in.HealthCheckPath, HealthTimeout: in.HealthTimeout, Secrets: refs,
	})
}

// Deploy creates the deployment of the prepared revision and, with wait,
// watches it to its end.
func (t *Target) Deploy(ctx context.Context) error {
	cfg, res := t.env.Config, t.env.Result
	in, d := cfg.Deploy, res.Deploy
	prog := t.progress()
	spec, watch := deploy.Plan(in, cfg.GitHub, t.group, t.rev)
	id, err := t.drv.Create(ctx, spec)
	if id != "" && err == nil {
		d.Status = string(types.DeploymentStatusCreated)
	}
	if id != "" {
		prog.Track(id, cfg.AWS.Region) // also a deployment Create stopped: a person can act on it
	}
	if sup := (*deploy.SupersededError)(nil); errors.As(err, &sup) {
		res.Supersede()
		t.env.Report.OutputResult(res)
		say := t.env.Report.Noticef
		if sup.Stopped != nil && sup.Stopped.Err() == nil {
			say = t.env.Report.Warningf // this run's older revision is live
		}
		say("Superseded: deployment %s of run %d is newer than this run (%d) in deployment group %s; %s (supersede-check: true)", sup.ID, sup.By.ID, spec.Run.ID, in.DeploymentGroup, sup.Done())
		return nil
	}
	if err != nil {
		return err
	}
	t.env.Report.Infof("Deployment %s created: %s", id, d.URL)
	if !in.Wait {
		t.env.Report.Infof("Deployment %s created; not waiting for it (wait: false)", id)
		return nil
	}
	out, err := t.drv.Watch(ctx, id, watch)
	prog.Finish(out, in.Bundle)
	return err
}

// Attach makes deployment id the one a command acts on.
func (t *Target) Attach(id string) {
	t.id = id
	t.env.Result.Deploy = &report.Deployment{Service: service}
	t.progress().Track(id, t.env.Config.AWS.Region)
}

// Command runs continue, stop or status on the attached deployment.
func (t *Target) Command(ctx context.Context, cmd config.Command) error {
	in, id := t.env.Config.Deploy, t.id
	acted, err := t.drv.Command(ctx, deploy.Act(cmd), id, in.Wait, deploy.WatchOptions{
		Timeout: in.Timeout, RollbackOnTimeout: in.RollbackOnTimeout, RollbackOnCancel: in.RollbackOnCancel,
		UntilTrafficShifted: in.UntilTrafficShifted,
	})
	if acted.Watched {
		t.prog.Finish(acted.Outcome, in.Bundle)
	} else {
		t.prog.Record(acted.Outcome, in.Bundle)
	}
	if out := acted.Outcome; cmd == config.CommandStatus && !out.TerminationWaitEnds.IsZero() {
		t.env.Report.Infof("Deployment %s is in its termination wait until %s", id, out.TerminationWaitEnds.UTC().Format(time.RFC3339))
	}
	if acted.Done {
		t.env.Result.Outcome = report.OutcomeDone
	}
	return err
}

// Undo redeploys the revision of the group's last successful deployment
// before this run's.
func (t *Target) Undo() string {
	cfg := t.env.Config
	if t.group.LastSucceeded == "" {
		return ""
	}
	return fmt.Sprintf(`aws deploy create-deployment --region %s --application-name %s --deployment-group-name %s --cli-input-json "$(aws deploy get-deployment --region %s --deployment-id %s --query '{revision: deploymentInfo.revision}')"`,
		cfg.AWS.Region, t.group.Application, t.group.Name, cfg.AWS.Region, t.group.LastSucceeded)
}

// InputFor names the input that made the platform call the IAM action
// (service:Operation), for an AccessDenied error.
func (t *Target) InputFor(action string) string {
	d := t.env.Config.Deploy
	switch {
	case strings.HasPrefix(action, "s3:"):
		return fmt.Sprintf("s3-bucket %q", d.S3Bucket)
	case d.TaskDefinition != "" && (strings.HasPrefix(action, "ecs:") || strings.HasPrefix(action, "iam:")):
		return fmt.Sprintf("task-definition %q", t.env.Config.GitHub.Rel(d.TaskDefinition))
	}
	return fmt.Sprintf("codedeploy-deployment-group %q", d.Application+"/"+d.DeploymentGroup)
}

// progress makes the driver report to the run's result.
func (t *Target) progress() *Progress {
	t.prog = NewProgress(t.env.Report, t.env.Result, t.drv.Now)
	t.drv.Observer = t.prog
	return t.prog
}
