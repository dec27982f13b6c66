package ghdeploy

import (
	"context"
	"time"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/config"
)

// GitHub API timeouts: creating the deployment must not hold up the run, and
// the final status must fit in the runner's grace period after a cancel.
const (
	startTimeout  = 30 * time.Second
	finishTimeout = 5 * time.Second
)

// Log is where the lifecycle tells what it did.
type Log interface {
	Infof(format string, args ...any)
	Noticef(format string, args ...any)
	Warningf(format string, args ...any)
}

// Deployment is the GitHub deployment that mirrors a run in its environment.
type Deployment struct {
	ID    int64
	State string // the last status posted: in_progress, success, ...
	gh    *Client
	cfg   config.GitHub
	log   Log
}

// Start creates the GitHub deployment of the commit to the `environment`
// input, described as description (what the run deploys, as its platform
// names it), and marks it in_progress, just before the deploy stage; created
// hears its id first. Without a token, under act, or with wait: false (the
// run would not see the end), it is skipped with a notice. A GitHub API error
// is a warning: Start returns nil and no error, and the AWS deployment goes
// on; only a cancelled ctx is an error.
func Start(ctx context.Context, cfg *config.Config, log Log, description string, created func(id int64)) (*Deployment, error) {
	g := cfg.GitHub
	if g.Environment == "" || !cfg.Deploys() {
		return nil, nil
	}
	if skip := cfg.NoGitHubDeployment(); skip != "" {
		log.Noticef("environment %q: no GitHub deployment: %s", g.Environment, skip)
		return nil, nil
	}
	gh, err := New(nil, g.APIURL, g.Token, g.Repository)
	if err != nil {
		log.Warningf("environment %q: no GitHub deployment: %v", g.Environment, err)
		return nil, nil
	}
	cctx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()
	id, err := gh.Create(cctx, g.SHA, g.Environment, description)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		log.Warningf("%v", err)
		return nil, nil
	}
	d := &Deployment{ID: id, gh: gh, cfg: g, log: log}
	created(id)
	log.Infof("GitHub deployment %d to %s", id, g.Environment)
	d.post(cctx, Status{State: "in_progress", Description: "deploying"})
	return d, nil
}

// Finish posts the deployment's final status within cleanup, the context
// that outlives a cancel by the runner's grace period, so no deployment is
// left in_progress. A nil Deployment does nothing.
func (d *Deployment) Finish(cleanup context.Context, final Status) {
	if d == nil {
		return
	}
	ctx, cancel := context.WithTimeout(cleanup, finishTimeout)
	defer cancel()
	d.post(ctx, final)
}

// post posts a status with the run's log and environment links; an error is
// a warning.
func (d *Deployment) post(ctx context.Context, s Status) {
	s.LogURL, s.EnvironmentURL = d.cfg.RunURL(), d.cfg.EnvironmentURL
	if err := d.gh.SetStatus(ctx, d.ID, s); err != nil {
		d.log.Warningf("%v", err)
		return
	}
	d.State = s.State
}

// CancelGrace is how long clean-up may run after a cancel: the runner kills
// the action about 7.5 s after its SIGINT.
const CancelGrace = 6500 * time.Millisecond

// WithGrace returns a context for clean-up, such as Finish, that outlives
// ctx by grace: it ends grace after ctx is cancelled, or when stop is called.
func WithGrace(ctx context.Context, grace time.Duration) (cleanup context.Context, stop context.CancelFunc) {
	c, cancel := context.WithCancel(context.WithoutCancel(ctx))
	unhook := context.AfterFunc(ctx, func() { time.AfterFunc(grace, cancel) })
	return c, func() { unhook(); cancel() }
}
