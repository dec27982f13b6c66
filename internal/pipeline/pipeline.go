// Package pipeline is the one place that orders the action's stages
// (deployment target discovery, secrets, image, deploy), carries each stage's result to the next, and
// turns the outcome into an exit code. A run deploys to one target, or with
// input targets to several (fleet.go): discovered at once, the image made
// in each of their regions, deployed wave by wave.
package pipeline

import (
	"context"
	"errors"
	"io"
	"time"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awscfg"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/config"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/exitcode"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/ghdeploy"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/plan"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/platform"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/report"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/secrets"
)

// badInput is an invalid input found before any AWS call: the run exits
// with exitcode.BadInput.
type badInput struct{ error }

func (e badInput) Unwrap() error { return e.error }

// Env is the process boundary of a run.
type Env struct {
	Getenv  func(string) string
	Environ func() []string // every variable as KEY=value, to warn about stray INPUT_*; nil: none
	Stdout  io.Writer
	// Clock is the deployment platform's time (nil: the real time); tests
	// pass the sandbox's simulated clock.
	Clock platform.Clock
}

// run is the state of one pipeline run.
type run struct {
	cfg     *config.Config
	env     Env
	rep     *report.Reporter
	clients *awscfg.Clients
	result  *report.Result
	gh      *ghdeploy.Deployment // the GitHub deployment, once it exists
	target  Target               // the deployment target, once discovered or attached
	cleanup context.Context      // outlives a cancel by ghdeploy.CancelGrace, for the final GitHub status
	fleet   *fleet               // the targets of a run with several (input targets)
	fetched *secrets.Result      // the secrets stage's result: mounts for the build, references for the deployment
	plan    *plan.Plan           // command plan's plan, as the stages make it
}

// Run reads the inputs, runs the stages they ask for and returns the exit code.
func Run(ctx context.Context, env Env) int {
	rep := report.New(env.Getenv, env.Stdout)
	if local := config.LoadLocal(env.Getenv); !local.InActions {
		env.Stdout = rep.ForTerminal(local.SummaryHTML)
	}
	if env.Environ != nil {
		for _, w := range config.InputWarnings(env.Environ()) {
			rep.Warningf("%s", w)
		}
	}
	cfg, err := config.Load(env.Getenv, Platforms())
	if err != nil {
		rep.InvalidInput(err)
		return exitcode.BadInput
	}
	rep.UnderRunner(cfg.GitHub.InActions)
	cleanup, stop := ghdeploy.WithGrace(ctx, ghdeploy.CancelGrace)
	defer stop()
	r := &run{cfg: cfg, env: env, rep: rep, result: &report.Result{Start: time.Now()}, cleanup: cleanup}
	return r.finish(ctx, r.stages(ctx))
}

// stages runs, in order, each stage the inputs ask for.
func (r *run) stages(ctx context.Context) error {
	if err := errors.Join(r.checkSecrets(), r.checkDeploy()); err != nil {
		return err
	}
	if r.cfg.NeedsAWS() {
		clients, err := awscfg.Load(ctx, r.cfg.AWS, r.env.Getenv)
		if err != nil {
			return err
		}
		r.clients = clients
	}
	if r.cfg.Targets != nil {
		if err := r.newFleet(ctx); err != nil {
			return err
		}
	}
	type stage struct {
		name string
		run  func(context.Context) error
	}
	stages := []stage{{"deploy", r.discover}, {"secrets", r.secrets}, {"image", r.image}, {"deploy", r.deploy}}
	if r.cfg.Command == config.CommandPlan { // the same reads, nothing that changes anything
		r.plan = &plan.Plan{}
		stages = []stage{{"deploy", r.discover}, {"secrets", r.planSecrets}, {"image", r.planImage}, {"deploy", r.planTarget}}
	}
	for _, s := range stages {
		if err := s.run(ctx); err != nil {
			return r.neededBy(s.name, err)
		}
	}
	if r.plan != nil {
		return r.publishPlan(ctx)
	}
	return nil
}
