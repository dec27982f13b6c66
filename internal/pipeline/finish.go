package pipeline

import (
	"context"
	"errors"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/exitcode"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/ghdeploy"
)

// finish reports how the run ended, cancelled or not, posts the GitHub
// deployment's final status, and returns the exit code.
func (r *run) finish(ctx context.Context, err error) int {
	if r.fleet != nil {
		r.result.Outcome = worst(r.fleet.members).res.Result.Outcome
		r.finishGitHub(r.cleanup)
	}
	final, err := r.rep.Conclude(ctx, err, r.result, r.cfg.GitHub.Rel)
	r.gh.Finish(r.cleanup, ghdeploy.Status{State: final.State, Description: final.Description, AutoInactive: final.AutoInactive})
	if bad := (badInput{}); errors.As(err, &bad) {
		return exitcode.BadInput
	}
	if r.result.Outcome.OK() {
		return exitcode.OK
	}
	return exitcode.Failed
}
