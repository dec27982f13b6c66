package pipeline

import (
	"context"
	"fmt"
)

// checkImage validates the image stage before anything is sent to AWS.
func (r *run) checkImage() error {
	switch {
	case r.cfg.BuildEnabled():
		return fmt.Errorf("input \"ecr-repository\": the build-and-push stage is %w", ErrNotBuilt)
	case r.cfg.Image.URI != "":
		return fmt.Errorf("input \"image\": resolving an existing image is %w", ErrNotBuilt)
	}
	return nil
}

// image builds and pushes the image, or resolves an existing one.
func (r *run) image(ctx context.Context) error { return nil }
