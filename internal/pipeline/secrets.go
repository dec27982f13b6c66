package pipeline

import (
	"context"
	"fmt"
)

// checkSecrets validates the secrets stage before anything is sent to AWS.
func (r *run) checkSecrets() error {
	if r.cfg.SecretsEnabled() {
		return fmt.Errorf("input \"secrets\": the secrets stage is %w", ErrNotBuilt)
	}
	return nil
}

// secrets fetches the secrets, masks and exports them.
func (r *run) secrets(ctx context.Context) error { return nil }
