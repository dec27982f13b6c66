package image

import (
	"context"
	"fmt"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// CopyTo makes img, an image in ECR that from logs in to, available in the
// repository of the same name in dst's registry (another region's) under
// its tags: unless the first tag is already there with img's digest, it is
// copied registry to registry, manifest and blobs byte for byte, so the
// digest is the same in every region. It returns the image in dst.
func CopyTo(ctx context.Context, img Image, from Auth, dst ECRAPI, req Request, obs Observer) (Image, error) {
	to, err := Login(ctx, dst)
	if err != nil {
		return Image{}, err
	}
	obs.LoggedIn(to)
	repo, err := EnsureRepository(ctx, dst, req.Repository, req.CreateRepository)
	if err != nil {
		return Image{}, err
	}
	if repo.Created {
		obs.RepositoryCreated(repo)
	}
	out := Image{Repository: repo.URI, Digest: img.Digest, Tags: img.Tags}
	there, err := TagDigest(ctx, dst, repo.Name, img.Tags[0])
	if err != nil {
		return Image{}, err
	}
	if there == img.Digest {
		obs.Found(out.Ref(img.Tags[0]), there)
		return out, nil
	}

	src, err := name.NewDigest(img.URI(), nameOptions(from)...)
	if err != nil {
		return Image{}, fmt.Errorf("copying %s: %w", img.URI(), err)
	}
	desc, err := remote.Get(src, remote.WithContext(ctx), remote.WithAuth(basic(from)))
	if err != nil {
		return Image{}, fmt.Errorf("copying %s: reading it: %w", img.URI(), err)
	}
	names := make([]string, len(img.Tags))
	for i, tag := range img.Tags {
		names[i] = out.Ref(tag)
	}
	obs.Begin(StepPush, names)
	err = copyTags(ctx, desc, names, to)
	obs.End(StepPush, err)
	if err != nil {
		return Image{}, err
	}
	if there, err = TagDigest(ctx, dst, repo.Name, img.Tags[0]); err != nil {
		return Image{}, err
	}
	if there != img.Digest {
		return Image{}, fmt.Errorf("after copying %s to %s: ECR has %q for tag %s", img.URI(), names[0], there, img.Tags[0])
	}
	out.Pushed = true
	return out, nil
}

// copyTags writes desc (an image or an index) as the first of names, with
// its blobs, and tags it with the rest.
func copyTags(ctx context.Context, desc *remote.Descriptor, names []string, to Auth) error {
	opts := []remote.Option{remote.WithContext(ctx), remote.WithAuth(basic(to))}
	for i, n := range names {
		ref, err := name.NewTag(n, nameOptions(to)...)
		if err != nil {
			return fmt.Errorf("copying to %s: %w", n, err)
		}
		switch {
		case i > 0:
			err = remote.Tag(ref, desc, opts...)
		case desc.MediaType.IsIndex():
			idx, ierr := desc.ImageIndex()
			if ierr != nil {
				return fmt.Errorf("copying to %s: %w", n, ierr)
			}
			err = remote.WriteIndex(ref, idx, opts...)
		default:
			im, ierr := desc.Image()
			if ierr != nil {
				return fmt.Errorf("copying to %s: %w", n, ierr)
			}
			err = remote.Write(ref, im, opts...)
		}
		if err != nil {
			return fmt.Errorf("copying to %s: %w", n, err)
		}
	}
	return nil
}

// basic is the login a as go-containerregistry takes it.
func basic(a Auth) authn.Authenticator {
	return &authn.Basic{Username: a.Username, Password: a.Password}
}

// nameOptions parse references in a's registry: over plain HTTP when it
// answers it.
func nameOptions(a Auth) []name.Option {
	if a.HTTP {
		return []name.Option{name.Insecure}
	}
	return nil
}
