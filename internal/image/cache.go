package image

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/ecr/types"
	clitypes "github.com/docker/cli/cli/config/types"
	bkclient "github.com/moby/buildkit/client"
	"github.com/moby/buildkit/session"
	"github.com/moby/buildkit/session/auth/authprovider"
	"github.com/moby/moby/client"
)

// CacheMode is what a build does with cache in ECR.
type CacheMode string

// The cache modes.
const (
	// CacheNone: nothing is imported or exported (build-cache: none, or a
	// builder without BuildKit).
	CacheNone CacheMode = "none"
	// CacheInline: cache is imported from the repository's most recent
	// image, and the new image carries inline cache for its final stage.
	CacheInline CacheMode = "inline"
	// CacheRegistry: cache is imported from the most recent registry cache
	// manifest and image, and a registry cache manifest of every stage
	// (mode=max, image-manifest=true) is exported to a tag of its own;
	// the image carries no inline cache.
	CacheRegistry CacheMode = "registry"
)

// CacheTagPrefix starts the tags of registry cache manifests; each build
// writes a new one (cache tag prefix plus the image's first tag), so
// immutable repositories take them.
const CacheTagPrefix = "buildcache-"

// containerdSnapshotter is the engine's driver-type when it keeps images in
// containerd, the image store with which its BuildKit exports registry cache.
const containerdSnapshotter = "io.containerd.snapshotter.v1"

// Cache is the build cache a build uses: what it imports, what it exports,
// and the mode that says so.
type Cache struct {
	Mode    CacheMode
	From    []string // registry references to import cache from, by digest
	To      string   // registry cache reference (CacheRegistry)
	Auth    Auth     // the registry login for From and To
	Warning error    // a cache problem the build goes on without
}

// ECR reports whether cache comes from or goes to ECR.
func (c Cache) ECR() bool { return c.Mode == CacheInline || c.Mode == CacheRegistry }

func (c Cache) String() string {
	switch {
	case !c.ECR():
		return "none"
	case len(c.From) == 0:
		return fmt.Sprintf("%s (nothing to import: a cold build)", c.Mode)
	default:
		return fmt.Sprintf("%s (from %s)", c.Mode, strings.Join(c.From, ", "))
	}
}

// PlanCache returns the cache for building tag of repo when enabled: import
// from the repository's most recent image (and cache manifest), export
// inline cache, or a registry cache manifest where the engine can. A cache
// problem is not an error: it is in Warning, and the build goes on with
// less cache.
func PlanCache(ctx context.Context, api ECRAPI, e *Engine, repo Repository, tag string, auth Auth, enabled bool) Cache {
	if !enabled {
		return Cache{Mode: CacheNone}
	}
	if e.bk == nil {
		return Cache{Mode: CacheNone, Warning: fmt.Errorf("no build cache from ECR: the engine's classic builder cannot import it (%v)", e.NoBuildKit)}
	}
	c := Cache{Mode: CacheInline, Auth: auth}
	registry, err := e.registryCacheExport(ctx)
	if err != nil {
		c.Warning = err
	} else if registry {
		c.Mode, c.To = CacheRegistry, repo.URI+":"+CacheTagPrefix+tag
	}
	image, manifest, err := latestImages(ctx, api, repo.Name, describePageSize)
	if err != nil {
		c.Warning = errors.Join(c.Warning, err)
		return c
	}
	if manifest != "" && c.Mode == CacheRegistry {
		c.From = append(c.From, repo.URI+"@"+manifest)
	}
	if image != "" {
		c.From = append(c.From, repo.URI+"@"+image)
	}
	return c
}

// registryCacheExport reports whether the engine's BuildKit exports
// registry cache: only with the containerd image store (docker info's
// driver-type), as buildx's docker driver decides.
func (e *Engine) registryCacheExport(ctx context.Context) (bool, error) {
	info, err := e.api.Info(ctx, client.InfoOptions{})
	if err != nil {
		return false, fmt.Errorf("asking the engine whether it exports registry cache: %w", err)
	}
	for _, kv := range info.Info.DriverStatus {
		if kv[0] == "driver-type" && kv[1] == containerdSnapshotter {
			return true, nil
		}
	}
	return false, nil
}

// The config media types of images (the artifactMediaType of DescribeImages;
// "" for an index) and of registry cache manifests.
var imageConfigTypes = []string{"", "application/vnd.docker.container.image.v1+json", "application/vnd.oci.image.config.v1+json"}

const cacheConfigType = "application/vnd.buildkit.cacheconfig.v0"

// describePageSize is DescribeImages' largest page.
const describePageSize = 1000

// latestImages returns the digests of the repository's most recently pushed
// image and registry cache manifest (tagged CacheTagPrefix...), each "" when
// there is none, reading every page of DescribeImages (pageSize a page).
func latestImages(ctx context.Context, api ECRAPI, repo string, pageSize int32) (image, manifest string, err error) {
	var latest [2]*types.ImageDetail // image, cache manifest
	pages := ecr.NewDescribeImagesPaginator(api, &ecr.DescribeImagesInput{RepositoryName: aws.String(repo), MaxResults: aws.Int32(pageSize)})
	for pages.HasMorePages() {
		out, err := pages.NextPage(ctx)
		if err != nil {
			return "", "", fmt.Errorf("finding the most recent image in %q for the build cache: %w", repo, err)
		}
		for i := range out.ImageDetails {
			d := &out.ImageDetails[i]
			if d.ImagePushedAt == nil || d.ImageDigest == nil {
				continue
			}
			k := 0
			switch {
			case aws.ToString(d.ArtifactMediaType) == cacheConfigType || slices.ContainsFunc(d.ImageTags, func(t string) bool { return strings.HasPrefix(t, CacheTagPrefix) }):
				k = 1
			case !slices.Contains(imageConfigTypes, aws.ToString(d.ArtifactMediaType)):
				continue // a signature, SBOM or other artifact: no cache in it
			}
			if latest[k] == nil || d.ImagePushedAt.After(*latest[k].ImagePushedAt) {
				latest[k] = d
			}
		}
	}
	digest := func(d *types.ImageDetail) string {
		if d == nil {
			return ""
		}
		return aws.ToString(d.ImageDigest)
	}
	return digest(latest[0]), digest(latest[1]), nil
}

// BuildCached builds spec as Build does, with cache c. When the build
// fails with cache from or to ECR, it is built again without (a cache
// problem must not fail a deploy; the steps that ran are in the engine's
// cache by then); the Cache returned is the one the image was built with,
// its Warning saying why it is not c. When the build without cache fails
// too, the cache was not the problem: the error is that build's, with c.
func (e *Engine) BuildCached(ctx context.Context, spec BuildSpec, c Cache, w io.Writer) (string, Cache, error) {
	spec.cache = c
	id, err := e.Build(ctx, spec, w)
	if err == nil || !c.ECR() || ctx.Err() != nil {
		return id, c, err
	}
	fmt.Fprintf(w, "The build with cache mode %s failed; building again without cache from ECR\n", c.Mode)
	spec.cache = Cache{Mode: CacheNone}
	id, coldErr := e.Build(ctx, spec, w)
	if coldErr != nil {
		return "", c, coldErr
	}
	return id, Cache{Mode: CacheNone, Warning: fmt.Errorf("the build with cache mode %s failed, and without cache from ECR it did not: %w", c.Mode, err)}, nil
}

// cacheOptions returns the BuildKit cache imports and exports for c.
func (c Cache) cacheOptions() (imports, exports []bkclient.CacheOptionsEntry) {
	if !c.ECR() {
		return nil, nil
	}
	for _, ref := range c.From {
		imports = append(imports, bkclient.CacheOptionsEntry{Type: "registry", Attrs: map[string]string{"ref": ref}})
	}
	if c.Mode == CacheRegistry {
		// One export only (BuildKit before v0.12 refuses more); with
		// mode=max it holds every stage, more than inline cache would.
		return imports, []bkclient.CacheOptionsEntry{{Type: "registry", Attrs: map[string]string{
			"ref": c.To, "mode": "max", "image-manifest": "true", "oci-mediatypes": "true",
		}}}
	}
	return imports, []bkclient.CacheOptionsEntry{{Type: "inline"}}
}

// authSession answers BuildKit's registry credential requests for c's
// registry with c.Auth, so cache import and export use the ECR login.
func (c Cache) authSession() session.Attachable {
	return authprovider.NewDockerAuthProvider(authprovider.DockerAuthProviderConfig{
		AuthConfigProvider: func(_ context.Context, host string, _ []string, _ authprovider.ExpireCachedAuthCheck) (clitypes.AuthConfig, error) {
			if host != c.Auth.Server {
				return clitypes.AuthConfig{}, nil
			}
			return clitypes.AuthConfig{Username: c.Auth.Username, Password: c.Auth.Password, ServerAddress: host}, nil
		},
	})
}
