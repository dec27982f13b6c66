package pipeline

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strings"
	"time"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/ghdeploy"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/report"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/secrets"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/stopcause"
)

// deployWaves deploys the members wave by wave: every member of a wave at
// once, the next wave once each of them succeeded. A member that fails
// stops the rest of its wave (its deployments stopped, with rollback
// unless rollback-on-cancel is false), and no later wave starts. Nor does
// one after a member a newer run superseded: this run's image is not the
// one to deploy, and the later waves' members are superseded too.
func (r *run) deployWaves(ctx context.Context) error {
	var refs []secrets.Reference
	if r.fetched != nil {
		refs = r.fetched.References()
	}
	if err := r.fleetGitHub(ctx, "deploy"); err != nil {
		return err
	}
	waves := r.fleet.waves()
	for i, wave := range waves {
		r.rep.Infof("Wave %d: %s", wave[0].spec.Wave, names(wave))
		failed := r.deployWave(ctx, wave, refs)
		w, superseded := worst(wave), outcomeOf(wave, report.OutcomeSuperseded)
		var why string
		switch {
		case failed != nil:
			why = fmt.Sprintf("not started: wave %d did not succeed", wave[0].spec.Wave)
		case superseded != nil:
			why = fmt.Sprintf("not started: a newer run superseded %s in wave %d", superseded.spec.Name, wave[0].spec.Wave)
		case w.res.Result.Outcome == report.OutcomePaused:
			why = fmt.Sprintf("not started: wave %d is paused at Ready (continue it with command: continue)", wave[0].spec.Wave)
		}
		if why != "" {
			for _, later := range waves[i+1:] {
				for _, m := range later {
					m.res.Note = why
					if superseded != nil && failed == nil {
						m.res.Result.Supersede()
					}
				}
			}
			r.sayWhere()
			return failed
		}
	}
	r.sayWhere()
	return nil
}

// deployWave deploys wave's members at once and returns the error of the
// first that failed, after stopping the others.
func (r *run) deployWave(ctx context.Context, wave []*member, refs []secrets.Reference) error {
	wctx, stop := stopcause.WithStop(ctx)
	defer stop("the wave ended")
	var first *member
	running := map[*member]bool{} // when first failed: the members the stop reaches
	done := make(chan *member)
	for _, m := range wave {
		running[m] = true
		go func() {
			m.deploy(ctx, wctx, refs)
			done <- m
		}()
	}
	stopped := map[*member]bool{}
	for range wave {
		m := <-done
		delete(running, m)
		if !m.res.Result.Outcome.OK() && first == nil && ctx.Err() == nil {
			first = m
			stopped = maps.Clone(running)
			stop(fmt.Sprintf("target %s failed", m.spec.Name))
		}
	}
	if ctx.Err() != nil {
		return fmt.Errorf("wave %d: %w", wave[0].spec.Wave, context.Cause(ctx))
	}
	if first == nil {
		return nil
	}
	for _, m := range wave {
		switch {
		case m == first:
		case m.res.Result.Outcome.OK():
			m.res.Note = "on the new version: it succeeded before " + first.spec.Name + " failed, and is not rolled back"
			if undo := m.target.Undo(); undo != "" {
				m.res.Note += "; to roll it back: " + undo
			}
		case !stopped[m]: // it failed on its own, before the stop
		case m.res.Result.Deploy != nil && m.res.Result.Deploy.ID != "":
			m.res.Note = "stopped: " + first.spec.Name + " failed"
		default:
			m.res.Note = "not deployed: " + first.spec.Name + " failed first"
		}
	}
	return fmt.Errorf("target %s: %w", first.spec.Name, failure(first.res.Result))
}

// outcomeOf is the first member of ms whose outcome is o, or nil.
func outcomeOf(ms []*member, o report.Outcome) *member {
	for _, m := range ms {
		if m.res.Result.Outcome == o {
			return m
		}
	}
	return nil
}

// failure is a member's error, or its outcome as one.
func failure(res *report.Result) error {
	if res.Err != nil {
		return res.Err
	}
	if d := res.Deploy; d != nil && d.ID != "" {
		return fmt.Errorf("deployment %s ended %s (%s)", d.ID, d.Status, res.Outcome)
	}
	return errors.New(string(res.Outcome))
}

// deploy prepares and deploys the member's revision on its wave's
// context, and records how it ended in its result: as the run's context
// says, a stop because another member failed being no cancel of the run.
func (m *member) deploy(run, wave context.Context, refs []secrets.Reference) {
	res := m.res.Result
	res.Start = time.Now()
	err := m.target.Prepare(wave, m.image, refs)
	if err == nil {
		err = m.target.Deploy(wave)
	}
	if err != nil {
		err = neededByTarget(m.target, err)
	}
	m.end(run, err)
}

// end records a member's error and outcome, as the run's Conclude does for
// one target.
func (m *member) end(ctx context.Context, err error) {
	m.rep.Settle(ctx, err, m.res.Result, m.cfg.GitHub.Rel)
	m.rep.Infof("Outcome: %s", m.res.Result.Outcome)
}

// sayWhere tells which members run the new version and which do not.
func (r *run) sayWhere() {
	var on, off []string
	for _, m := range r.fleet.members {
		switch o := m.res.Result.Outcome; {
		case o == report.OutcomeDeployed || o == report.OutcomeShifted:
			on = append(on, m.spec.Name)
		case o == "":
			off = append(off, m.spec.Name+" (not started)")
		default:
			off = append(off, fmt.Sprintf("%s (%s)", m.spec.Name, o))
		}
	}
	if len(off) > 0 {
		r.rep.Infof("On the new version: %s. Not on it: %s", orNone(on), strings.Join(off, ", "))
	}
}

func orNone(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, ", ")
}

// fleetCommand runs continue, stop or status on every member's deployment
// at once.
func (r *run) fleetCommand(ctx context.Context) error {
	if err := r.fleetGitHub(ctx, "continue"); err != nil {
		return err
	}
	return r.fleet.each(r.fleet.members, func(m *member) error {
		m.res.Result.Start = time.Now()
		m.target.Attach(m.spec.DeploymentID)
		err := m.target.Command(ctx, r.cfg.Command)
		m.end(ctx, err)
		return err
	})
}

// fleetGitHub starts the GitHub deployments of a deploying run with
// several targets: one per environment when the targets name several,
// else one for the step.
func (r *run) fleetGitHub(ctx context.Context, verb string) error {
	if !r.cfg.Deploys() {
		return nil
	}
	envs := r.fleet.environments()
	for _, env := range envs {
		ms := r.fleet.inEnvironment(env)
		gh, err := ghdeploy.Start(ctx, ms[0].cfg, r.rep, fmt.Sprintf("%s %s", verb, names(ms)), func(id int64) {
			for _, m := range ms {
				m.res.Result.GitHub = &report.GitHubDeployment{ID: id, Environment: env, URL: m.cfg.GitHub.EnvironmentURL}
			}
			if len(envs) == 1 { // the step's
				r.result.GitHub = &report.GitHubDeployment{ID: id, Environment: env, URL: ms[0].cfg.GitHub.EnvironmentURL}
				r.rep.OutputResult(r.result)
			}
		})
		if err != nil {
			return err
		}
		if gh != nil {
			r.fleet.gh = append(r.fleet.gh, fleetGitHub{gh, ms})
		}
	}
	return nil
}

// finishGitHub posts each GitHub deployment's final status: that of the
// first of its members that did not succeed, else of the first.
func (r *run) finishGitHub(ctx context.Context) {
	for _, g := range r.fleet.gh {
		res := worst(g.members).res.Result
		final := report.FinalStatus(res)
		if res.GitHub != nil {
			for _, m := range g.members {
				m.res.Result.GitHub.State = final.State
			}
		}
		g.gh.Finish(ctx, ghdeploy.Status{State: final.State, Description: final.Description, AutoInactive: final.AutoInactive})
		if r.result.GitHub != nil {
			r.result.GitHub.State = final.State
		}
	}
}
