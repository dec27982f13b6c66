package pipeline

import (
	"context"
	"fmt"
	"time"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/config"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/ghdeploy"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/report"
)

// GitHub API timeouts: creating the deployment must not hold up the run, and
// the final status must fit in the runner's grace period after a cancel.
const (
	githubStartTimeout  = 30 * time.Second
	githubFinishTimeout = 5 * time.Second
)

// githubDeployment creates the GitHub deployment of the commit to the
// `environment` input and marks it in_progress, just before the deploy
// stage; finish posts its final status. Without a token, under act, or with
// wait: false (the run would not see the end), it is skipped with a notice.
// A GitHub API error is a warning: it does not stop the AWS deployment.
func (r *run) githubDeployment(ctx context.Context) error {
	g := r.cfg.GitHub
	if g.Environment == "" || !r.cfg.Deploys() {
		return nil
	}
	if skip := r.cfg.NoGitHubDeployment(); skip != "" {
		r.rep.Noticef("environment %q: no GitHub deployment: %s", g.Environment, skip)
		return nil
	}
	gh, err := ghdeploy.New(nil, g.APIURL, g.Token, g.Repository)
	if err != nil {
		r.rep.Warningf("environment %q: no GitHub deployment: %v", g.Environment, err)
		return nil
	}
	cctx, cancel := context.WithTimeout(ctx, githubStartTimeout)
	defer cancel()
	id, err := gh.Create(cctx, g.SHA, g.Environment, r.githubDescription())
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		r.rep.Warningf("%v", err)
		return nil
	}
	r.gh = gh
	r.result.GitHub = &report.GitHubDeployment{ID: id, Environment: g.Environment, URL: g.EnvironmentURL}
	r.rep.OutputResult(r.result)
	r.rep.Infof("GitHub deployment %d to %s", id, g.Environment)
	r.setGitHubStatus(cctx, report.Status{State: "in_progress", Description: "deploying"})
	return nil
}

func (r *run) githubDescription() string {
	if r.cfg.Command == config.CommandContinue {
		return fmt.Sprintf("continue CodeDeploy deployment %s", r.cfg.DeploymentID)
	}
	return fmt.Sprintf("CodeDeploy %s/%s", r.cfg.Deploy.Application, r.cfg.Deploy.DeploymentGroup)
}

// finishGitHub posts the GitHub deployment's final status, even when the run
// was cancelled (within its grace period), so no deployment is left
// in_progress.
func (r *run) finishGitHub(final report.Status) {
	if r.gh == nil {
		return
	}
	ctx, cancel := context.WithTimeout(r.cleanup, githubFinishTimeout)
	defer cancel()
	r.setGitHubStatus(ctx, final)
}

// setGitHubStatus posts a status with the run's log and environment links.
func (r *run) setGitHubStatus(ctx context.Context, s report.Status) {
	err := r.gh.SetStatus(ctx, r.result.GitHub.ID, ghdeploy.Status{State: s.State, Description: s.Description, AutoInactive: s.AutoInactive,
		LogURL: r.cfg.GitHub.RunURL(), EnvironmentURL: r.cfg.GitHub.EnvironmentURL})
	if err != nil {
		r.rep.Warningf("%v", err)
		return
	}
	r.result.GitHub.State = s.State
}
