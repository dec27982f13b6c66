package image

import (
	"context"
	"fmt"
	"io"
)

// Request is what Publish builds and where it pushes it.
type Request struct {
	Repository       string   // ECR repository name
	Tags             []string // the first is the one SkipExisting looks up
	CreateRepository bool
	SkipExisting     bool
	DockerHost       string    // "" for the default socket
	Cache            bool      // import and export build cache through ECR (build-cache: ecr)
	Build            BuildSpec // Names are set by Publish, one per tag
}

// Step is a long step of Publish.
type Step string

// Steps, as Observer.Begin and End name them.
const (
	StepBuild Step = "build"
	StepPush  Step = "push"
)

// Observer hears of Publish's progress; the caller decides what to log.
// The engine's build and push output is written to it.
type Observer interface {
	io.Writer
	LoggedIn(Auth)                            // before the password is used: mask it
	RepositoryCreated(Repository)             // create-repository made it
	Found(ref, digest string)                 // the tag is in ECR: nothing to build or push
	ClassicBuilder(version string, why error) // the engine has no BuildKit
	Begin(s Step, names []string)
	End(s Step, err error)
	Built(id string)
	Cached(Cache) // the build cache the build used, and why it fell back, if it did
}

// Publish is the image stage in one call, after ko's publish.Interface: it
// logs in to ECR, finds (or creates) the repository, and unless the first
// tag is already there, builds req.Build through the Docker engine, pushes it
// under every tag and checks that ECR holds the pushed digest.
func Publish(ctx context.Context, api ECRAPI, req Request, obs Observer) (Image, error) {
	auth, err := Login(ctx, api)
	if err != nil {
		return Image{}, err
	}
	obs.LoggedIn(auth)
	repo, err := EnsureRepository(ctx, api, req.Repository, req.CreateRepository)
	if err != nil {
		return Image{}, err
	}
	if repo.Created {
		obs.RepositoryCreated(repo)
	}
	img := Image{Repository: repo.URI, Tags: req.Tags}
	if req.SkipExisting {
		digest, err := TagDigest(ctx, api, repo.Name, req.Tags[0])
		if err != nil {
			return Image{}, err
		}
		if digest != "" {
			img.Digest = digest
			obs.Found(img.Ref(req.Tags[0]), digest)
			return img, nil
		}
	}

	eng, err := Connect(ctx, req.DockerHost)
	if err != nil {
		return Image{}, err
	}
	defer eng.Close()
	if eng.NoBuildKit != nil {
		obs.ClassicBuilder(eng.Version, eng.NoBuildKit)
	}
	spec := req.Build
	spec.Names = make([]string, len(req.Tags))
	for i, tag := range req.Tags {
		spec.Names[i] = img.Ref(tag)
	}

	cache := PlanCache(ctx, api, eng, repo, req.Tags[0], auth, req.Cache)
	obs.Begin(StepBuild, spec.Names)
	id, cache, err := eng.BuildCached(ctx, spec, cache, obs)
	obs.End(StepBuild, err)
	obs.Cached(cache)
	if err != nil {
		return Image{}, err
	}
	obs.Built(id)

	obs.Begin(StepPush, spec.Names)
	img.Digest, err = pushAll(ctx, eng, spec.Names, auth, obs)
	obs.End(StepPush, err)
	if err != nil {
		return Image{}, err
	}

	inECR, err := TagDigest(ctx, api, repo.Name, req.Tags[0])
	if err != nil {
		return Image{}, err
	}
	if inECR != img.Digest {
		return Image{}, fmt.Errorf("after pushing %s: ECR has %q for tag %s, the push reported %s", spec.Names[0], inECR, req.Tags[0], img.Digest)
	}
	img.Pushed = true
	return img, nil
}

// pushAll pushes each of names and returns the digest they share.
func pushAll(ctx context.Context, eng *Engine, names []string, auth Auth, w io.Writer) (string, error) {
	var digest string
	for _, name := range names {
		d, err := eng.Push(ctx, name, auth, w)
		if err != nil {
			return "", err
		}
		if digest != "" && d != digest {
			return "", fmt.Errorf("pushing %s: the engine pushed %s, and %s before", name, d, digest)
		}
		digest = d
	}
	return digest, nil
}
