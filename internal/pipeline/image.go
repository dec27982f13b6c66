package pipeline

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/image"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/report"
)

// image builds and pushes the image, or resolves an existing one.
func (r *run) image(ctx context.Context) error {
	var img image.Image
	var err error
	switch {
	case r.cfg.Image.URI != "":
		if img, err = image.Resolve(ctx, r.clients.ECR, r.cfg.Image.URI); err == nil {
			r.rep.Infof("Image %s is %s", r.cfg.Image.URI, img.URI())
		}
	case r.cfg.BuildEnabled():
		img, err = r.publish(ctx)
	default:
		return nil
	}
	if err != nil {
		return err
	}
	r.result.Image = &report.Image{URI: img.URI(), Digest: img.Digest, Tags: img.Tags, Pushed: img.Pushed}
	if r.fleet != nil {
		return r.regionImages(ctx)
	}
	return nil
}

// publish builds and pushes the image unless its first tag is in ECR.
func (r *run) publish(ctx context.Context) (image.Image, error) {
	var secrets map[string][]byte
	if names := r.cfg.Build.Secrets; len(names) > 0 {
		var err error
		if secrets, err = r.fetched.Mounts(names); err != nil {
			return image.Image{}, fmt.Errorf("input \"build-secrets\": %w", err)
		}
	}
	img, err := image.Publish(ctx, r.clients.ECR, image.RequestFor(r.cfg, secrets, time.Now()), report.NewImageLog(r.rep, r.result))
	if errors.Is(err, image.ErrRepositoryNotFound) {
		return img, fmt.Errorf("input \"ecr-repository\": %w: create it, or set create-repository: true", err)
	}
	if err == nil && img.Pushed {
		r.rep.Infof("Pushed %s", img.URI())
	}
	return img, err
}
