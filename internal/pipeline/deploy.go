package pipeline

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/codedeploy/types"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/config"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/deploy"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/deploy/ecs"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/deploy/lambda"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/deploy/server"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/report"
)

// checkDeploy validates the deploy stage's files before anything is sent
// to AWS, each platform its own.
func (r *run) checkDeploy() error {
	if r.cfg.Command != config.CommandDeploy {
		return nil
	}
	d := r.cfg.Deploy
	for _, check := range []func(config.Deploy) error{server.CheckFiles, ecs.CheckFiles, lambda.CheckFiles} {
		if err := check(d); err != nil {
			return err
		}
	}
	return nil
}

// deploy creates and drives the CodeDeploy deployment, or runs the
// continue, stop and status commands.
func (r *run) deploy(ctx context.Context) error {
	switch r.cfg.Command {
	case config.CommandContinue, config.CommandStop, config.CommandStatus:
		return r.deploymentCommand(ctx)
	}
	if !r.cfg.DeployEnabled() {
		return nil
	}
	in := r.cfg.Deploy
	start := time.Now()
	group := *r.group
	res := &report.Deployment{Application: in.Application, Group: in.DeploymentGroup, Platform: string(group.Platform), Config: in.DeploymentConfig}
	if res.Config == "" {
		res.Config = group.Config
	}
	r.result.Deploy = res
	rev, err := r.revision(ctx, group)
	if err != nil {
		return err
	}
	res.RevisionLocation, res.TaskDefinitionARN, res.LambdaVersion = rev.Where, rev.TaskDefinitionARN, rev.Version
	r.rep.OutputResult(r.result)
	r.rep.Infof("Revision %s for %s deployment group %s/%s", rev.Where, group.Platform, in.Application, in.DeploymentGroup)
	r.result.AddSpan("revision", start, time.Now())

	if err := r.githubDeployment(ctx); err != nil {
		return err
	}
	drv := &deploy.Driver{API: r.clients.CodeDeploy, Clock: r.env.Clock}
	prog := report.NewProgress(r.rep, r.result, drv.Now)
	drv.Observer = prog
	spec, watch := deploy.Plan(in, r.cfg.GitHub, group, rev)
	id, err := drv.Create(ctx, spec)
	if id != "" {
		prog.Track(id, r.cfg.AWS.Region) // also a deployment Create stopped: a person can act on it
	}
	if sup := (*deploy.SupersededError)(nil); errors.As(err, &sup) {
		res.Status = StatusSuperseded
		r.result.Outcome = report.OutcomeSuperseded
		r.rep.OutputResult(r.result)
		say := r.rep.Noticef
		if sup.Stopped != nil && sup.Stopped.Err() == nil {
			say = r.rep.Warningf // the older revision is live
		}
		say("Superseded: deployment %s of run %d is newer than this run (%d) in deployment group %s; %s (supersede-check: true)", sup.ID, sup.By.ID, spec.Run.ID, in.DeploymentGroup, sup.Done())
		return nil
	}
	if id != "" && err == nil {
		res.Status = string(types.DeploymentStatusCreated)
	}
	if err != nil {
		return err
	}
	r.rep.Infof("Deployment %s created: %s", id, res.URL)
	if !in.Wait {
		r.rep.Infof("Deployment %s created; not waiting for it (wait: false)", id)
		return nil
	}
	out, err := drv.Watch(ctx, id, watch)
	prog.Finish(out, in.Bundle)
	return err
}

// discover reads the deployment group (read-only) and checks the inputs its
// platform needs, before the secrets and image stages run and before
// anything is created in AWS.
func (r *run) discover(ctx context.Context) error {
	if r.cfg.Command != config.CommandDeploy || !r.cfg.DeployEnabled() {
		return nil
	}
	in := r.cfg.Deploy
	g, err := deploy.Discover(ctx, r.clients.CodeDeploy, in.Application, in.DeploymentGroup)
	if err != nil {
		return err
	}
	p, ok := platforms[g.Platform]
	if !ok {
		return fmt.Errorf("deployment group %q: compute platform %q is %w", g.Name, g.Platform, deploy.ErrUnsupported)
	}
	if err := p.check(in, g.Name); err != nil {
		return err
	}
	r.group = &g
	return nil
}

// revision builds the revision the group's platform deploys.
func (r *run) revision(ctx context.Context, g deploy.Group) (deploy.Revision, error) {
	if r.result.Image == nil || r.result.Image.URI == "" {
		return deploy.Revision{}, errors.New("the deploy stage has no image: the image stage gave no image URI")
	}
	var refs []deploy.SecretRef
	if r.fetched != nil {
		for _, ref := range r.fetched.References() {
			refs = append(refs, deploy.SecretRef{Name: ref.Name, ValueFrom: ref.ValueFrom})
		}
	}
	return platforms[g.Platform].revision(ctx, r, g, r.result.Image.URI, refs)
}

// deploymentCommand runs continue, stop or status on deployment-id.
func (r *run) deploymentCommand(ctx context.Context) error {
	id, in := r.cfg.DeploymentID, r.cfg.Deploy
	r.result.Deploy = &report.Deployment{}
	drv := &deploy.Driver{API: r.clients.CodeDeploy, Clock: r.env.Clock}
	prog := report.NewProgress(r.rep, r.result, drv.Now)
	drv.Observer = prog
	prog.Track(id, r.cfg.AWS.Region)
	if r.cfg.Command == config.CommandContinue {
		if err := r.githubDeployment(ctx); err != nil {
			return err
		}
	}
	acted, err := drv.Command(ctx, deploy.Act(r.cfg.Command), id, in.Wait, deploy.WatchOptions{
		Timeout: in.Timeout, RollbackOnTimeout: in.RollbackOnTimeout, RollbackOnCancel: in.RollbackOnCancel,
		UntilTrafficShifted: in.UntilTrafficShifted,
	})
	if acted.Watched {
		prog.Finish(acted.Outcome, in.Bundle)
	} else {
		prog.Record(acted.Outcome, in.Bundle)
	}
	if out := acted.Outcome; r.cfg.Command == config.CommandStatus && !out.TerminationWaitEnds.IsZero() {
		r.rep.Infof("Deployment %s is in its termination wait until %s", id, out.TerminationWaitEnds.UTC().Format(time.RFC3339))
	}
	if acted.Done {
		r.result.Outcome = report.OutcomeDone
	}
	return err
}

// StatusSuperseded is deployment-status when a newer run's deployment made
// the run deploy nothing.
const StatusSuperseded = "Superseded"
