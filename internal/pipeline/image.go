package pipeline

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/moby/moby/client"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/config"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/image"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/report"
)

// checkImage validates the image stage before anything is sent to AWS: the
// Docker engine's address, when an image is built.
func (r *run) checkImage() error {
	if !r.cfg.BuildEnabled() {
		return nil
	}
	if host := r.env.Getenv("DOCKER_HOST"); host != "" {
		if _, err := client.ParseHostURL(host); err != nil {
			return fmt.Errorf("DOCKER_HOST %q is not a Docker engine address (e.g. unix:///var/run/docker.sock): %w", host, err)
		}
	}
	return nil
}

// image builds and pushes the image, or resolves an existing one.
func (r *run) image(ctx context.Context) error {
	switch {
	case r.cfg.Image.URI != "":
		img, err := image.Resolve(ctx, r.clients.ECR, r.cfg.Image.URI)
		if err != nil {
			return err
		}
		r.setImage(img)
		r.rep.Infof("Image %s is %s", r.cfg.Image.URI, img.URI())
	case r.cfg.BuildEnabled():
		img, err := r.buildAndPush(ctx)
		if err != nil {
			return err
		}
		r.setImage(img)
	}
	return nil
}

// buildAndPush logs in to ECR, checks the repository and the first tag,
// and builds and pushes the image unless that tag is already there.
func (r *run) buildAndPush(ctx context.Context) (image.Image, error) {
	in := r.cfg.Image
	auth, err := image.Login(ctx, r.clients.ECR)
	if err != nil {
		return image.Image{}, err
	}
	r.rep.Mask(auth.Password)
	repo, err := image.EnsureRepository(ctx, r.clients.ECR, in.Repository, in.CreateRepository)
	if errors.Is(err, image.ErrRepositoryNotFound) {
		return image.Image{}, fmt.Errorf("input \"ecr-repository\": %w: create it, or set create-repository: true", err)
	} else if err != nil {
		return image.Image{}, err
	}
	if repo.Created {
		r.rep.Noticef("Created ECR repository %s (scan on push, immutable tags)", repo.URI)
	}
	img := image.Image{Repository: repo.URI, Tags: in.Tags}

	if in.SkipExisting {
		digest, err := image.TagDigest(ctx, r.clients.ECR, repo.Name, in.Tags[0])
		if err != nil {
			return image.Image{}, err
		}
		if digest != "" {
			img.Digest = digest
			r.rep.Infof("%s is already in ECR as %s: nothing to build or push", img.Ref(in.Tags[0]), digest)
			return img, nil
		}
	}

	secrets, err := r.buildSecretValues()
	if err != nil {
		return image.Image{}, err
	}
	eng, err := image.Connect(ctx, r.env.Getenv("DOCKER_HOST"))
	if err != nil {
		return image.Image{}, err
	}
	defer eng.Close()
	if eng.NoBuildKit != nil {
		r.rep.Noticef("Building with the Docker engine's classic builder (engine %s): %v", eng.Version, eng.NoBuildKit)
	}

	names := make([]string, len(in.Tags))
	for i, tag := range in.Tags {
		names[i] = img.Ref(tag)
	}
	gh := r.cfg.GitHub
	source := ""
	if gh.Repository != "" {
		source = gh.ServerURL + "/" + gh.Repository
	}
	spec := image.BuildSpec{
		Context:    r.cfg.Build.Context,
		Dockerfile: r.cfg.Build.Dockerfile,
		Target:     r.cfg.Build.Target,
		Args:       keyValues(r.cfg.Build.Args),
		Labels:     image.OCILabels(source, gh.SHA, time.Now(), keyValues(r.cfg.Build.Labels)),
		NoCache:    r.cfg.Build.NoCache,
		Secrets:    secrets,
		Names:      names,
	}

	start := time.Now()
	cache := image.PlanCache(ctx, r.clients.ECR, eng, repo, in.Tags[0], auth, r.cfg.Build.Cache == "ecr")
	r.rep.Group("Building " + names[0])
	id, cache, err := eng.BuildCached(ctx, spec, cache, r.env.Stdout)
	r.rep.EndGroup()
	r.result.AddSpan("build", start, time.Now())
	if cache.Warning != nil {
		r.rep.Warningf("Build cache: %v", cache.Warning)
	}
	r.rep.Infof("Build cache: %s", cache)
	var be *image.BuildError
	if errors.As(err, &be) {
		return image.Image{}, &report.FileError{File: be.Dockerfile, Line: be.Line, Err: err}
	} else if err != nil {
		return image.Image{}, err
	}
	r.rep.Infof("Built %s", id)

	start = time.Now()
	r.rep.Group("Pushing " + strings.Join(names, ", "))
	for _, name := range names {
		digest, err := eng.Push(ctx, name, auth, r.env.Stdout)
		if err != nil {
			r.rep.EndGroup()
			return image.Image{}, err
		}
		if img.Digest != "" && digest != img.Digest {
			r.rep.EndGroup()
			return image.Image{}, fmt.Errorf("pushing %s: the engine pushed %s, and %s before", name, digest, img.Digest)
		}
		img.Digest = digest
	}
	r.rep.EndGroup()
	r.result.AddSpan("push", start, time.Now())

	inECR, err := image.TagDigest(ctx, r.clients.ECR, repo.Name, in.Tags[0])
	if err != nil {
		return image.Image{}, err
	}
	if inECR != img.Digest {
		return image.Image{}, fmt.Errorf("after pushing %s: ECR has %q for tag %s, the push reported %s", names[0], inECR, in.Tags[0], img.Digest)
	}
	img.Pushed = true
	r.rep.Infof("Pushed %s", img.URI())
	return img, nil
}

// buildSecretValues returns the fetched secrets the build may mount, by env
// name.
func (r *run) buildSecretValues() (map[string][]byte, error) {
	if len(r.cfg.Build.Secrets) == 0 {
		return nil, nil
	}
	m := make(map[string][]byte, len(r.cfg.Build.Secrets))
	for _, name := range r.cfg.Build.Secrets {
		v, ok := r.buildSecrets[name]
		if !ok {
			return nil, fmt.Errorf("input \"build-secrets\": %q is not among the fetched secrets (%s)", name, strings.Join(slices.Sorted(maps.Keys(r.buildSecrets)), ", "))
		}
		m[name] = []byte(v)
	}
	return m, nil
}

// setImage records the image for the outputs, the summary and the deploy stage.
func (r *run) setImage(img image.Image) {
	r.result.Image = &report.Image{URI: img.URI(), Digest: img.Digest, Tags: img.Tags, Pushed: img.Pushed}
}

// keyValues turns the inputs' key=value lines into a map; a later key wins.
func keyValues(kvs []config.KeyValue) map[string]string {
	m := make(map[string]string, len(kvs))
	for _, kv := range kvs {
		m[kv.Key] = kv.Value
	}
	return m
}
