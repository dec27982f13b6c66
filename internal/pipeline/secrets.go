package pipeline

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/secrets"
)

// checkSecrets finds lines of the secrets input that must collide or export
// an unsafe env name before anything is sent to AWS: bad input.
func (r *run) checkSecrets() error {
	if err := secrets.Check(r.cfg.Secrets); err != nil {
		return badInput{err}
	}
	return nil
}

// secrets fetches the secrets and masks every value before anything else is
// printed; then exports them if asked, sets the secrets output (env names,
// never values) and keeps the values for the build and the references for
// the deployment. When any secret fails, nothing is exported or set.
func (r *run) secrets(ctx context.Context) error {
	if !r.cfg.SecretsEnabled() {
		return nil
	}
	start := time.Now()
	res, err := secrets.Fetch(ctx, r.clients.SecretsManagerIn, r.cfg.Secrets, r.cfg.AWS.Region)
	if err != nil {
		return fmt.Errorf("fetching secrets: %w", err)
	}
	masks := res.Masks()
	for _, m := range masks {
		r.rep.Mask(m)
	}
	if !r.cfg.GitHub.InActions {
		r.rep.Infof("Not under the Actions runner (GITHUB_ACTIONS is not true): %d strings (the values and their encoded forms) would be masked; none is printed", len(masks))
	}

	names := res.Names()
	r.rep.Infof("Fetched %d secret values: %s", len(names), strings.Join(names, ", "))
	if r.cfg.Secrets.Export {
		for _, v := range res.Vars {
			if !r.rep.ExportEnv(v.Name, string(v.Value)) {
				r.rep.Warningf("export-secrets: GITHUB_ENV is not set, so there is no later step to export to")
				break
			}
		}
	}
	r.fetched = res
	r.result.Secrets = names
	r.result.AddSpan("secrets", start, time.Now())
	r.rep.OutputResult(r.result)
	return nil
}
