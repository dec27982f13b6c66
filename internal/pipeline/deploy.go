package pipeline

import (
	"context"
	"fmt"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/config"
)

// checkDeploy validates the deploy stage and the deployment commands before
// anything is sent to AWS.
func (r *run) checkDeploy() error {
	switch {
	case r.cfg.Command != config.CommandDeploy:
		return fmt.Errorf("input \"command\": %s is %w", r.cfg.Command, ErrNotBuilt)
	case r.cfg.DeployEnabled():
		return fmt.Errorf("input \"codedeploy-application\": the deploy stage is %w", ErrNotBuilt)
	}
	return nil
}

// deploy creates and drives the CodeDeploy deployment, or runs the
// continue, stop and status commands.
func (r *run) deploy(ctx context.Context) error { return nil }
