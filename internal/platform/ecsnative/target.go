package ecsnative

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awscfg"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/config"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/deploy"
	taskdef "github.com/bluegreen-deploy/bluegreen-deploy/internal/deploy/ecs"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/platform"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/report"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/secrets"
)

// service is how the report's sentences name the platform.
const service = "ECS"

// Inputs is the platform as config chooses it: ecs-cluster and
// ecs-service choose it (codedeploy-application, when also given, chooses
// CodeDeploy first); its deployment ids are service deployment ARNs.
var Inputs = config.Platform{
	Name:    "ecs-native",
	Selects: []string{"ecs-cluster", "ecs-service"},
	Needs:   "ecs-cluster and ecs-service",
	Owns:    []string{"ecs-cluster", "ecs-service"},
	ID:      regexp.MustCompile(`^arn:aws[a-z-]*:ecs:[a-z0-9-]+:[0-9]{12}:service-deployment/[A-Za-z0-9_-]{1,255}/[A-Za-z0-9_-]{1,255}/[A-Za-z0-9_-]+$`),
	IDForm:  "an ECS service deployment ARN (arn:aws:ecs:<region>:<account>:service-deployment/<cluster>/<service>/<id>)",
	Check:   checkInputs,
}

// namePattern is an ECS cluster or service name (or ARN).
var namePattern = regexp.MustCompile(`^(arn:aws[a-z-]*:ecs:[a-z0-9-]+:[0-9]{12}:(cluster|service)/)?[A-Za-z0-9_/-]{1,255}$`)

// checkInputs checks the platform's inputs once config chose it: both
// names, and none of CodeDeploy's appspec and description.
func checkInputs(c *config.Config, r config.InputReader) {
	if c.Command == config.CommandDeploy && (r.Str("ecs-cluster") == "") != (r.Str("ecs-service") == "") {
		r.Fail("ecs-service", "ecs-cluster and ecs-service go together: give both")
	}
	for _, name := range []string{"ecs-cluster", "ecs-service"} {
		if v := r.Str(name); v != "" && !namePattern.MatchString(v) {
			r.Fail(name, "%q is not an ECS name (1-255 letters, digits, '-', '_') or ARN", v)
		}
	}
	if r.Str("appspec") != "" {
		r.Fail("appspec", "is for CodeDeploy; an ECS-native deployment runs the lifecycle hooks of the service's deploymentConfiguration")
	}
	if r.Str("description") != "" {
		r.Fail("description", "is for CodeDeploy; ECS service deployments have no description")
	}
}

// Target is an ECS service whose deployment controller is ECS, or an
// existing service deployment for a command.
type Target struct {
	env     platform.Env
	drv     *Driver
	svc     *Service
	taskDef string
	arn     string // the deployment a command acts on
	prog    *progress
}

// New returns the target the inputs name.
func New(env platform.Env) *Target {
	drv := &Driver{API: env.Clients.ECS}
	if env.Clock != nil {
		drv.Clock = env.Clock
	}
	return &Target{env: env, drv: drv}
}

// Title names the service, or the deployment a command acts on.
func (t *Target) Title() string {
	if t.arn != "" {
		return "ECS service deployment " + t.arn
	}
	in := t.env.Config.Deploy
	return fmt.Sprintf("ECS service %s/%s", in.Own["ecs-cluster"], in.Own["ecs-service"])
}

// Discover reads the service (read-only) and refuses one this platform
// cannot deploy to, naming the inputs to use.
func (t *Target) Discover(ctx context.Context) error {
	in := t.env.Config.Deploy
	s, err := t.drv.Discover(ctx, in.Own["ecs-cluster"], in.Own["ecs-service"], in.OnReady == config.ReadyPause)
	if err != nil {
		return err
	}
	t.svc = s
	return nil
}

// Prepare registers the task definition revision that runs image.
func (t *Target) Prepare(ctx context.Context, image string, refs []secrets.Reference) error {
	in, res, s := t.env.Config.Deploy, t.env.Result, t.svc
	start := time.Now()
	d := &report.Deployment{
		Service: service,
		Title:   fmt.Sprintf("%s/%s, %s", s.Cluster, s.Name, s.Strategy),
		Where: []report.Fact{
			{Label: "Cluster", Value: s.Cluster},
			{Label: "Service", Value: s.Name},
			{Label: "Strategy", Value: string(s.Strategy), Plain: true},
		},
	}
	res.Deploy = d
	var secretRefs []deploy.SecretRef
	for _, ref := range refs {
		secretRefs = append(secretRefs, deploy.SecretRef{Name: ref.Name, ValueFrom: ref.ValueFrom})
	}
	rev := RevisionInput{
		TaskDefinition: in.TaskDefinition, ContainerName: in.ContainerName, ContainerPort: in.ContainerPort, ImageURI: image, Secrets: secretRefs,
		Run: t.run(),
	}
	arn, err := t.drv.Revision(ctx, s, rev)
	if awscfg.DeniedAction(err) == "ecs:TagResource" && rev.Run.ID > 0 {
		// A role made before the run tag may lack ecs:TagResource: deploy
		// untagged rather than not at all.
		t.env.Report.Warningf("Registering the task definition tagged %s was refused (%v): registering it untagged; give the role ecs:TagResource on the family's task definitions so that supersede-check can tell this run's revisions", RunTag, err)
		rev.Run = deploy.Run{}
		arn, err = t.drv.Revision(ctx, s, rev)
	}
	if err != nil {
		return err
	}
	t.taskDef = arn
	d.What = []report.Fact{{Label: "Task definition", Value: arn, Output: "task-definition-arn"}}
	t.env.Report.OutputResult(res)
	t.env.Report.Infof("Task definition %s for ECS service %s/%s (%s)", arn, s.Cluster, s.Name, s.Strategy)
	res.AddSpan("revision", start, time.Now())
	return nil
}

// Deploy updates the service to the prepared revision and, with wait,
// follows the service deployment ECS starts. With supersede-check it
// deploys nothing when a newer run updated the service: checked before a
// deployment in progress is waited for or stopped, and again after.
func (t *Target) Deploy(ctx context.Context) error {
	cfg := t.env.Config
	in, s := cfg.Deploy, t.svc
	timeout := in.Timeout
	if timeout == 0 {
		timeout = s.DefaultTimeout()
	}
	prog := t.progress()
	if done, err := t.superseded(ctx); done || err != nil {
		return err
	}
	if err := t.drv.Clear(ctx, s, OnActive(in.OnActive), timeout); err != nil {
		return err
	}
	if done, err := t.superseded(ctx); done || err != nil {
		return err
	}
	arn, err := t.drv.Start(ctx, s, t.taskDef)
	if err != nil {
		return err
	}
	prog.track(arn, cfg.AWS.Region)
	if !in.Wait {
		t.env.Report.Infof("Service deployment %s started; not waiting for it (wait: false)", arn)
		return nil
	}
	out, err := t.drv.Watch(ctx, arn, WatchOptions{
		PauseAtHook: in.OnReady == config.ReadyPause, Timeout: timeout,
		RollbackOnTimeout: in.RollbackOnTimeout, RollbackOnCancel: in.RollbackOnCancel,
		UntilTrafficShifted: in.UntilTrafficShifted, StopOnError: true, Previous: s.TaskDefinition,
	})
	prog.finish(out)
	return err
}

// superseded reports whether a newer run's task definition is the
// service's (supersede-check, on a run's first attempt: a re-run always
// deploys); then the run ends Superseded, with a notice, having deployed
// nothing.
func (t *Target) superseded(ctx context.Context) (bool, error) {
	run, res := t.run(), t.env.Result
	if !t.env.Config.Deploy.SupersedeCheck || run.ID <= 0 || run.Attempt > 1 {
		return false, nil
	}
	var sup *SupersededError
	if err := t.drv.CheckSuperseded(ctx, t.svc, run); !errors.As(err, &sup) {
		return false, err
	}
	res.Supersede()
	t.env.Report.OutputResult(res)
	t.env.Report.Noticef("Superseded: task definition %s of run %d is newer than this run (%d) in ECS service %s/%s; nothing deployed, this run's %s stays registered unused (supersede-check: true)",
		sup.TaskDefinition, sup.By.ID, run.ID, t.svc.Cluster, t.svc.Name, t.taskDef)
	return true, nil
}

// run is the workflow run; zero outside Actions.
func (t *Target) run() deploy.Run {
	id, attempt := t.env.Config.GitHub.Run()
	return deploy.Run{ID: id, Attempt: attempt}
}

// Attach makes service deployment arn the one a command acts on.
func (t *Target) Attach(arn string) {
	t.arn = arn
	t.env.Result.Deploy = &report.Deployment{Service: service}
	t.progress().track(arn, t.env.Config.AWS.Region)
}

// Command runs continue, stop or status on the attached deployment.
func (t *Target) Command(ctx context.Context, cmd config.Command) error {
	in := t.env.Config.Deploy
	acted, err := t.drv.Command(ctx, string(cmd), t.arn, in.Wait, WatchOptions{
		PauseAtHook: in.OnReady == config.ReadyPause, Timeout: in.Timeout,
		RollbackOnTimeout: in.RollbackOnTimeout, RollbackOnCancel: in.RollbackOnCancel, UntilTrafficShifted: in.UntilTrafficShifted,
	})
	if acted.Watched {
		t.prog.finish(acted.Outcome)
	} else {
		t.prog.record(acted.Outcome)
	}
	if cmd == config.CommandStatus && acted.Outcome != nil {
		t.prog.status(acted.Outcome)
	}
	if acted.Done {
		t.env.Result.Outcome = report.OutcomeDone
	}
	return err
}

// Undo updates the service back to the task definition it ran before.
func (t *Target) Undo() string {
	s := t.svc
	if s == nil || s.TaskDefinition == "" {
		return ""
	}
	return fmt.Sprintf("aws ecs update-service --region %s --cluster %s --service %s --task-definition %s",
		t.env.Config.AWS.Region, s.Cluster, s.Name, s.TaskDefinition)
}

// InputFor names the input that made the platform call the IAM action
// (service:Operation), for an AccessDenied error.
func (t *Target) InputFor(action string) string {
	d := t.env.Config.Deploy
	if d.TaskDefinition != "" && (action == "ecs:RegisterTaskDefinition" || strings.HasPrefix(action, "iam:")) {
		return fmt.Sprintf("task-definition %q", t.env.Config.GitHub.Rel(d.TaskDefinition))
	}
	return fmt.Sprintf("ecs-service %q", d.Own["ecs-cluster"]+"/"+d.Own["ecs-service"])
}

// progress makes the driver report to the run's result.
func (t *Target) progress() *progress {
	t.prog = newProgress(t.env.Report, t.env.Result, t.drv.Now)
	t.drv.Observer = t.prog
	return t.prog
}

// CheckFiles checks the task definition file before any AWS call.
func CheckFiles(in config.Deploy) error {
	if in.TaskDefinition == "" {
		return nil
	}
	_, err := taskdef.LoadTaskDefinition(in.TaskDefinition)
	return err
}
