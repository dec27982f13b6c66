package pipeline

import (
	"context"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/ghdeploy"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/report"
)

// githubDeployment starts the GitHub deployment, if the run makes one,
// described as description, and records it in the result.
func (r *run) githubDeployment(ctx context.Context, description string) error {
	g := r.cfg.GitHub
	gh, err := ghdeploy.Start(ctx, r.cfg, r.rep, description, func(id int64) {
		r.result.GitHub = &report.GitHubDeployment{ID: id, Environment: g.Environment, URL: g.EnvironmentURL}
		r.rep.OutputResult(r.result)
	})
	if gh != nil {
		r.gh, r.result.GitHub.State = gh, gh.State
	}
	return err
}
