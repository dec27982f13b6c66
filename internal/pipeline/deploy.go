package pipeline

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/codedeploy/types"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/config"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/deploy"
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
		return blameAppSpec(deploy.CheckBundle(d.Bundle))
	}
	if d.TaskDefinition != "" {
		if _, err := deploy.LoadTaskDefinition(d.TaskDefinition); err != nil {
			return blameAppSpec(err)
		}
	}
	if d.AppSpec != "" {
		return blameAppSpec(deploy.CheckECSAppSpec(d.AppSpec))
	}
	return nil
}

// blameAppSpec points the error annotation at the line of appspec.yml, the
// ECS appspec template or the task definition file.
func blameAppSpec(err error) error {
	var ae *deploy.AppSpecError
	var te *deploy.TaskDefinitionError
	switch {
	case errors.As(err, &ae):
		return &report.FileError{File: ae.File, Line: ae.Line, Err: errors.New(ae.Problem)}
	case errors.As(err, &te) && te.Line > 0:
		return &report.FileError{File: te.File, Line: te.Line, Err: fmt.Errorf("column %d: %s", te.Column, te.Problem)}
	case errors.As(err, &te):
		return &report.FileError{File: te.File, Err: errors.New(te.Problem)}
	}
	return err
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
	obs := &deployObserver{r: r, phaseStart: time.Now()} // main: set by Created
	drv := &deploy.Driver{API: r.clients.CodeDeploy, Observer: obs}
	g := r.cfg.GitHub
	if _, err := drv.Create(ctx, deploy.Spec{
		Application: in.Application,
		Group:       in.DeploymentGroup,
		Config:      in.DeploymentConfig,
		Description: deploy.Description(in.Description, g.SHA, g.RunURL()),
		Revision:    rev,
		OnActive:    deploy.OnActive(in.OnActive),
		ActiveLimit: timeout,
	}); err != nil {
		return err
	}
	if !in.Wait {
		r.rep.Infof("Deployment %s created; not waiting for it (wait: false)", res.ID)
		return nil
	}
	out, err := drv.Watch(ctx, res.ID, deploy.WatchOptions{
		PauseAtReady:      in.OnReady == config.ReadyPause,
		Timeout:           timeout,
		RollbackOnTimeout: in.RollbackOnTimeout,
		RollbackOnCancel:  in.RollbackOnCancel,
	})
	obs.close(time.Now())
	r.record(out)
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
		rev, err := deploy.ServerRevision(ctx, r.clients.S3, deploy.ServerInput{
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
		return rev, blameAppSpec(err)
	case types.ComputePlatformEcs:
		rev, err := deploy.ECSRevision(ctx, r.clients.ECS, deploy.ECSInput{
			Group:          g,
			TaskDefinition: in.TaskDefinition,
			ContainerName:  in.ContainerName,
			ContainerPort:  in.ContainerPort,
			AppSpec:        in.AppSpec,
			ImageURI:       imageURI,
			Secrets:        refs,
		})
		return rev, blameAppSpec(err)
	}
	return deploy.Revision{}, fmt.Errorf("deployment group %q: compute platform %q is %w", g.Name, g.Platform, deploy.ErrUnsupported)
}

// deploymentCommand runs continue, stop or status on deployment-id.
func (r *run) deploymentCommand(ctx context.Context) error {
	id := r.cfg.DeploymentID
	obs := &deployObserver{r: r, main: id, phaseStart: time.Now()}
	drv := &deploy.Driver{API: r.clients.CodeDeploy, Observer: obs}
	r.result.Deploy = &report.Deployment{ID: id, URL: report.ConsoleURL(r.cfg.AWS.Region, id)}
	r.rep.OutputResult(r.result)
	opts := deploy.WatchOptions{
		Timeout:           r.cfg.Deploy.Timeout,
		RollbackOnTimeout: r.cfg.Deploy.RollbackOnTimeout,
		RollbackOnCancel:  r.cfg.Deploy.RollbackOnCancel,
	}
	switch r.cfg.Command {
	case config.CommandStatus:
		out, err := drv.Status(ctx, id)
		r.record(out)
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
		r.record(out)
		r.result.Outcome = report.OutcomeDone
		return err
	}
	out, err := drv.Watch(ctx, id, opts)
	obs.close(time.Now())
	r.record(out)
	if r.cfg.Command == config.CommandStop && out.Status == types.DeploymentStatusStopped && !out.Cancelled &&
		(out.RollbackID == "" || out.RollbackStatus == types.DeploymentStatusSucceeded) {
		r.result.Outcome = report.OutcomeDone // stopped as asked
		return nil
	}
	return err
}

// record copies a deployment's outcome into the result and the outputs.
func (r *run) record(out *deploy.Outcome) {
	if out == nil {
		return
	}
	d := r.result.Deploy
	d.Status = string(out.Status)
	d.RollbackID = out.RollbackID
	d.ErrorCode, d.ErrorMessage = out.ErrorCode, out.ErrorMessage
	d.Targets = d.Targets[:0]
	for _, t := range out.Targets {
		rt := report.Target{ID: t.ID, Label: t.Label, Status: t.Status}
		for _, e := range t.Events {
			rt.Events = append(rt.Events, report.Event{Name: e.Name, Status: e.Status, Start: e.Start, End: e.End})
		}
		d.Targets = append(d.Targets, rt)
	}
	if f := out.Failure; f != nil {
		d.Failure = &report.Diagnostics{
			Target: strings.TrimSpace(f.Label + " " + f.Target), Event: f.Event, ErrorCode: f.ErrorCode,
			Script: f.Script, Message: f.Message, LogTail: f.LogTail,
		}
		if b := r.cfg.Deploy.Bundle; b != "" && f.Script != "" {
			if p := filepath.Join(b, filepath.FromSlash(strings.TrimPrefix(f.Script, "/"))); isFile(p) {
				d.Failure.File = p
			}
		}
	}
	r.rep.OutputResult(r.result)
}

func isFile(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular()
}

// deployObserver turns the driver's progress into log lines, outputs and
// timeline spans.
type deployObserver struct {
	r          *run
	main       string // the deployment the run drives; others are rollbacks or active ones
	phase      string
	phaseStart time.Time
	shiftStart time.Time // when green first took production traffic
}

func (o *deployObserver) Created(id string) {
	o.main = id
	d := o.r.result.Deploy
	d.ID, d.URL, d.Status = id, report.ConsoleURL(o.r.cfg.AWS.Region, id), string(types.DeploymentStatusCreated)
	o.r.rep.OutputResult(o.r.result)
	o.r.rep.Infof("Deployment %s created: %s", id, d.URL)
}

func (o *deployObserver) Phase(id, phase string, at time.Time) {
	if id != o.main {
		o.r.rep.Infof("%s: %s", id, phase)
		return
	}
	o.close(at)
	o.phase = phase
	if phase == deploy.PhaseTerminationWait {
		o.r.rep.Infof("%s: traffic moved; CodeDeploy waits before terminating the blue fleet (termination wait)", id)
		return
	}
	o.r.result.Deploy.Status = phase
	o.r.rep.Output("deployment-status", phase)
	o.r.rep.Infof("%s: %s", id, phase)
}

// close ends the open phase's span on the timeline. Terminal statuses are
// points, not spans.
func (o *deployObserver) close(at time.Time) {
	if name, ok := phaseSpans[o.phase]; ok {
		o.r.result.AddSpan(name, o.phaseStart, at)
	}
	o.phase, o.phaseStart = "", at
}

// phaseSpans names the deployment's phases on the timeline.
var phaseSpans = map[string]string{
	string(types.DeploymentStatusCreated):    "deployment created",
	string(types.DeploymentStatusQueued):     "deployment queued",
	string(types.DeploymentStatusInProgress): "deployment in progress",
	string(types.DeploymentStatusBaking):     "deployment baking",
	string(types.DeploymentStatusReady):      "waiting at Ready",
	deploy.PhaseTerminationWait:              "termination wait",
}

func (o *deployObserver) Event(id string, t deploy.Target, e deploy.Event) {
	who := t.ID
	if t.Label != "" {
		who = t.Label + " " + t.ID
	}
	detail := ""
	if dg := e.Diagnostics; dg != nil && e.Status == string(types.LifecycleEventStatusFailed) {
		detail = fmt.Sprintf("(%s, script %s): %s", dg.ErrorCode, dg.Script, dg.Message)
	}
	o.r.rep.LifecycleEvent(id, who, e.Name, e.Status, detail)
}

// Weights logs the task sets' traffic weights and puts the traffic shift,
// from the first production traffic on green to all of it, on the timeline.
func (o *deployObserver) Weights(id string, t deploy.Target) {
	var parts []string
	for _, ts := range t.TaskSets {
		parts = append(parts, fmt.Sprintf("%s %g%% (%d/%d running)", ts.Label, ts.Weight, ts.Running, ts.Desired))
		if id != o.main || ts.Label != "Green" {
			continue
		}
		switch now := time.Now(); {
		case ts.Weight > 0 && ts.Weight < 100 && o.shiftStart.IsZero():
			o.shiftStart = now
		case ts.Weight >= 100 && !o.shiftStart.IsZero():
			o.r.result.AddSpan("traffic shift", o.shiftStart, now)
			o.shiftStart = time.Time{}
		}
	}
	o.r.rep.Infof("%s: %s traffic: %s", id, t.ID, strings.Join(parts, ", "))
}

func (o *deployObserver) Rollback(id, rollbackID string) {
	if id == o.main {
		o.r.result.Deploy.RollbackID = rollbackID
		o.r.rep.OutputResult(o.r.result)
	}
	o.r.rep.Warningf("Deployment %s is rolled back by deployment %s", id, rollbackID)
}

func (o *deployObserver) Note(id, msg string) { o.r.rep.Infof("%s: %s", id, msg) }
