package pipeline

import (
	"context"
	"errors"
	"fmt"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/config"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/secrets"
)

// checkDeploy validates the deploy stage's files before anything is sent
// to AWS, as the chosen platform checks them.
func (r *run) checkDeploy() error {
	if r.cfg.Targets != nil && r.cfg.Takes() {
		var errs []error
		for _, t := range r.cfg.Targets {
			cfg := r.cfg.Target(t)
			if err := platforms[chosen(cfg)].checkFiles(cfg.Deploy); err != nil {
				errs = append(errs, fmt.Errorf("target %s: %w", t.Name, err))
			}
		}
		return errors.Join(errs...)
	}
	if !r.cfg.DeployEnabled() {
		return nil
	}
	return platforms[chosen(r.cfg)].checkFiles(r.cfg.Deploy)
}

// discover reads the deployment target and checks the inputs it needs,
// before the secrets and image stages run and before anything is created
// in AWS.
func (r *run) discover(ctx context.Context) error {
	if r.fleet != nil {
		if !r.cfg.Takes() {
			return nil
		}
		return r.fleet.each(r.fleet.members, func(m *member) error { return m.target.Discover(ctx) })
	}
	if !r.cfg.DeployEnabled() {
		return nil
	}
	r.target = r.newTarget()
	return r.target.Discover(ctx)
}

// deploy prepares the revision, starts the GitHub deployment and deploys,
// or runs the continue, stop and status commands.
func (r *run) deploy(ctx context.Context) error {
	switch {
	case r.fleet != nil && !r.cfg.Takes():
		return r.fleetCommand(ctx)
	case !r.cfg.Takes():
		return r.deploymentCommand(ctx)
	case r.fleet != nil && r.result.Image == nil:
		return errors.New("the deploy stage has no image: give ecr-repository or image")
	case r.fleet != nil:
		return r.deployWaves(ctx)
	}
	if r.target == nil {
		return nil
	}
	if r.result.Image == nil || r.result.Image.URI == "" {
		return errors.New("the deploy stage has no image: the image stage gave no image URI")
	}
	var refs []secrets.Reference
	if r.fetched != nil {
		refs = r.fetched.References()
	}
	if err := r.target.Prepare(ctx, r.result.Image.URI, refs); err != nil {
		return err
	}
	if err := r.githubDeployment(ctx, r.target.Title()); err != nil {
		return err
	}
	return r.target.Deploy(ctx)
}

// deploymentCommand runs continue, stop or status on deployment-id.
func (r *run) deploymentCommand(ctx context.Context) error {
	r.target = r.newTarget()
	r.target.Attach(r.cfg.DeploymentID)
	if r.cfg.Command == config.CommandContinue {
		if err := r.githubDeployment(ctx, "continue "+r.target.Title()); err != nil {
			return err
		}
	}
	return r.target.Command(ctx, r.cfg.Command)
}
