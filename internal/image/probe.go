package image

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"

	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/ecr/types"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/plan"
)

// ProbeAPI is the ECR calls Probe and ProbeRef make: reads only.
type ProbeAPI interface {
	DescribeRepositories(context.Context, *ecr.DescribeRepositoriesInput, ...func(*ecr.Options)) (*ecr.DescribeRepositoriesOutput, error)
	DescribeImages(context.Context, *ecr.DescribeImagesInput, ...func(*ecr.Options)) (*ecr.DescribeImagesOutput, error)
	BatchGetImage(context.Context, *ecr.BatchGetImageInput, ...func(*ecr.Options)) (*ecr.BatchGetImageOutput, error)
}

// Probe says what Publish would do with req, building and pushing nothing:
// skip the build because the first tag is in ECR (with its digest), or
// build req.Build (Dockerfile and context named relative to workspace) and
// push, creating the repository first if it is missing and
// create-repository is on. A missing repository without create-repository
// is ErrRepositoryNotFound, as Publish would fail.
func Probe(ctx context.Context, api ProbeAPI, req Request, workspace string) (plan.Image, error) {
	img := plan.Image{Action: plan.ImageBuild, Repository: req.Repository, Tags: req.Tags}
	out, err := api.DescribeRepositories(ctx, &ecr.DescribeRepositoriesInput{RepositoryNames: []string{req.Repository}})
	var notFound *types.RepositoryNotFoundException
	switch {
	case errors.As(err, &notFound) && req.CreateRepository:
		img.CreateRepository = true
	case errors.As(err, &notFound):
		return plan.Image{}, fmt.Errorf("%w: %q", ErrRepositoryNotFound, req.Repository)
	case err != nil:
		return plan.Image{}, fmt.Errorf("describing ECR repository %q: %w", req.Repository, err)
	case len(out.Repositories) > 0:
		img.Repository = *out.Repositories[0].RepositoryUri
	}
	if req.SkipExisting && !img.CreateRepository {
		digest, err := TagDigest(ctx, api, req.Repository, req.Tags[0])
		if err != nil {
			return plan.Image{}, err
		}
		if digest != "" {
			img.Action, img.Digest = plan.ImageSkip, digest
			img.URI = Image{Repository: img.Repository, Digest: digest}.URI()
			return img, nil
		}
	}
	img.Dockerfile, img.Context = relative(workspace, req.Build.Dockerfile), relative(workspace, req.Build.Context)
	return img, nil
}

// ProbeRef resolves the image input ref to its digest, as the deploy would.
func ProbeRef(ctx context.Context, api ProbeAPI, ref string) (plan.Image, error) {
	img, err := Resolve(ctx, api, ref)
	if err != nil {
		return plan.Image{}, err
	}
	return plan.Image{Action: plan.ImageExisting, Repository: img.Repository, Tags: img.Tags, URI: img.URI(), Digest: img.Digest}, nil
}

// relative names path from workspace when it is inside it.
func relative(workspace, path string) string {
	if workspace == "" || path == "" {
		return path
	}
	if rel, err := filepath.Rel(workspace, path); err == nil && filepath.IsLocal(rel) || rel == "." {
		return rel
	}
	return path
}
