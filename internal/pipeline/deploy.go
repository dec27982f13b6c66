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
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/deploy/server"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/report"
)

// checkDeploy validates the deploy stage before anything is sent to AWS:
// the bundle's files stay inside it and its appspec.yml is sound; the ECS
// task definition file and appspec template parse.
func (r *run) checkDeploy() error {
	d := r.cfg.Deploy
	switch {
	case r.cfg.Command != config.CommandDeploy:
		return nil
	case d.Bundle != "":
		return server.CheckBundle(d.Bundle)
	}
	if d.TaskDefinition != "" {
		if _, err := ecs.LoadTaskDefinition(d.TaskDefinition); err != nil {
			return err
		}
	}
	if d.AppSpec != "" {
		return ecs.CheckAppSpec(d.AppSpec)
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
	res.RevisionLocation, res.TaskDefinitionARN = rev.Where, rev.TaskDefinitionARN
	r.rep.OutputResult(r.result)
	r.rep.Infof("Revision %s for %s deployment group %s/%s", rev.Where, group.Platform, in.Application, in.DeploymentGroup)
	r.result.AddSpan("revision", start, time.Now())

	if err := r.githubDeployment(ctx); err != nil {
		return err
	}
	timeout := in.Timeout
	if timeout == 0 {
		timeout = group.DefaultTimeout()
	}
	prog := report.NewProgress(r.rep, r.result, r.now)
	drv := &deploy.Driver{API: r.clients.CodeDeploy, Observer: prog, Clock: r.env.Clock}
	g := r.cfg.GitHub
	runID, attempt := g.Run()
	run := deploy.Run{ID: runID, Attempt: attempt}
	id, err := drv.Create(ctx, deploy.Spec{
		Application:    in.Application,
		Group:          in.DeploymentGroup,
		Config:         in.DeploymentConfig,
		Description:    deploy.RunDescription(in.Description, g.SHA, run),
		Revision:       rev,
		OnActive:       deploy.OnActive(in.OnActive),
		ActiveLimit:    timeout,
		Run:            run,
		SupersedeCheck: in.SupersedeCheck,
	})
	if sup := (*deploy.SupersededError)(nil); errors.As(err, &sup) {
		res.Status = StatusSuperseded
		r.result.Outcome = report.OutcomeSuperseded
		r.rep.OutputResult(r.result)
		r.rep.Noticef("Superseded: deployment %s of run %d is newer than this run (%d) in deployment group %s; nothing deployed (supersede-check: true)", sup.ID, sup.By.ID, run.ID, in.DeploymentGroup)
		return nil
	}
	if id != "" && err == nil {
		res.Status = string(types.DeploymentStatusCreated)
	}
	if id != "" {
		prog.Track(id, r.cfg.AWS.Region) // also a deployment Create stopped: a person can act on it
	}
	if err != nil {
		return err
	}
	r.rep.Infof("Deployment %s created: %s", id, res.URL)
	if !in.Wait {
		r.rep.Infof("Deployment %s created; not waiting for it (wait: false)", id)
		return nil
	}
	out, err := drv.Watch(ctx, id, deploy.WatchOptions{
		PauseAtReady:      in.OnReady == config.ReadyPause,
		Timeout:           timeout,
		RollbackOnTimeout: in.RollbackOnTimeout,
		RollbackOnCancel:  in.RollbackOnCancel,
		StopOnError:       true,
	})
	prog.Close()
	prog.Record(out, in.Bundle)
	if out.Paused {
		r.result.Outcome = report.OutcomePaused
		r.rep.Noticef("Deployment %s is waiting at Ready (on-ready: pause): continue it with command: continue and deployment-id: %s", res.ID, res.ID)
	}
	if out.TimedOut {
		r.result.Outcome = report.OutcomeTimedOut
	}
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
	switch g.Platform {
	case types.ComputePlatformServer:
		switch {
		case in.TaskDefinition != "":
			return &config.InputError{Input: "task-definition", Problem: fmt.Sprintf("deployment group %q is for EC2/on-premises (Server); task-definition is for ECS", g.Name)}
		case in.S3Bucket == "":
			return &config.InputError{Input: "s3-bucket", Problem: fmt.Sprintf("is required for deployment group %q (EC2/on-premises): the revision is uploaded to S3", g.Name)}
		case in.Bundle == "" && in.ContainerPort == 0:
			return &config.InputError{Input: "container-port", Problem: fmt.Sprintf("is required to generate the default bundle for deployment group %q (the port the container listens on)", g.Name)}
		}
	case types.ComputePlatformEcs:
		if in.Bundle != "" {
			return &config.InputError{Input: "bundle", Problem: fmt.Sprintf("deployment group %q is for ECS; bundle is for EC2/on-premises", g.Name)}
		}
	default:
		return fmt.Errorf("deployment group %q: compute platform %q is %w", g.Name, g.Platform, deploy.ErrUnsupported)
	}
	r.group = &g
	return nil
}

// revision builds the revision the group's platform deploys.
func (r *run) revision(ctx context.Context, g deploy.Group) (deploy.Revision, error) {
	in := r.cfg.Deploy
	var imageURI string
	if im := r.result.Image; im != nil {
		imageURI = im.URI
	}
	if imageURI == "" {
		return deploy.Revision{}, errors.New("the deploy stage has no image: the image stage gave no image URI")
	}
	var refs []deploy.SecretRef
	if r.fetched != nil {
		for _, ref := range r.fetched.References() {
			refs = append(refs, deploy.SecretRef{Name: ref.Name, ValueFrom: ref.ValueFrom})
		}
	}
	switch g.Platform {
	case types.ComputePlatformServer:
		rev, err := server.Revision(ctx, r.clients.S3, server.Input{
			Bundle:          in.Bundle,
			Bucket:          in.S3Bucket,
			Prefix:          in.S3Prefix,
			Region:          r.cfg.AWS.Region,
			ImageURI:        imageURI,
			ContainerName:   in.ContainerName,
			ContainerPort:   in.ContainerPort,
			HealthCheckPath: in.HealthCheckPath,
			Secrets:         refs,
		})
		return rev, err
	case types.ComputePlatformEcs:
		rev, err := ecs.Revision(ctx, r.clients.ECS, ecs.Input{
			Group:          g,
			TaskDefinition: in.TaskDefinition,
			ContainerName:  in.ContainerName,
			ContainerPort:  in.ContainerPort,
			AppSpec:        in.AppSpec,
			ImageURI:       imageURI,
			Secrets:        refs,
		})
		return rev, err
	}
	return deploy.Revision{}, fmt.Errorf("deployment group %q: compute platform %q is %w", g.Name, g.Platform, deploy.ErrUnsupported)
}

// deploymentCommand runs continue, stop or status on deployment-id.
func (r *run) deploymentCommand(ctx context.Context) error {
	id := r.cfg.DeploymentID
	r.result.Deploy = &report.Deployment{}
	prog := report.NewProgress(r.rep, r.result, r.now)
	prog.Track(id, r.cfg.AWS.Region)
	drv := &deploy.Driver{API: r.clients.CodeDeploy, Observer: prog, Clock: r.env.Clock}
	opts := deploy.WatchOptions{
		Timeout:           r.cfg.Deploy.Timeout,
		RollbackOnTimeout: r.cfg.Deploy.RollbackOnTimeout,
		RollbackOnCancel:  r.cfg.Deploy.RollbackOnCancel,
	}
	switch r.cfg.Command {
	case config.CommandStatus:
		out, err := drv.Status(ctx, id)
		prog.Record(out, r.cfg.Deploy.Bundle)
		r.result.Outcome = report.OutcomeDone
		return err
	case config.CommandContinue:
		if err := r.githubDeployment(ctx); err != nil {
			return err
		}
		if err := drv.Continue(ctx, id); err != nil {
			return err
		}
	case config.CommandStop:
		if err := drv.Stop(ctx, id, true); err != nil {
			return err
		}
		opts.RollbackOnCancel = false // it is stopped already
	}
	if !r.cfg.Deploy.Wait {
		out, err := drv.Status(ctx, id)
		prog.Record(out, r.cfg.Deploy.Bundle)
		r.result.Outcome = report.OutcomeDone
		return err
	}
	out, err := drv.Watch(ctx, id, opts)
	prog.Close()
	prog.Record(out, r.cfg.Deploy.Bundle)
	if r.cfg.Command == config.CommandStop && out.Status == types.DeploymentStatusStopped && !out.Cancelled &&
		(out.RollbackID == "" || out.RollbackStatus == types.DeploymentStatusSucceeded) {
		r.result.Outcome = report.OutcomeDone // stopped as asked
		return nil
	}
	return err
}

// StatusSuperseded is deployment-status when a newer run's deployment made
// the run deploy nothing.
const StatusSuperseded = "Superseded"

// now is the time on the deployment driver's clock.
func (r *run) now() time.Time {
	if r.env.Clock != nil {
		return r.env.Clock.Now()
	}
	return time.Now()
}
