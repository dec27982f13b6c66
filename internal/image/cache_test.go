package image

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	bkclient "github.com/moby/buildkit/client"
	"github.com/moby/moby/client"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim"
)

func TestCacheOptions(t *testing.T) {
	t.Parallel()
	from := []string{"host/app@sha256:aa"}
	inline := bkclient.CacheOptionsEntry{Type: "inline"}
	imports := []bkclient.CacheOptionsEntry{{Type: "registry", Attrs: map[string]string{"ref": from[0]}}}
	tests := []struct {
		name                 string
		cache                Cache
		wantImports, wantExp []bkclient.CacheOptionsEntry
	}{
		{"none", Cache{Mode: CacheNone, From: from}, nil, nil},
		{"zero", Cache{}, nil, nil},
		{"inline, cold", Cache{Mode: CacheInline}, nil, []bkclient.CacheOptionsEntry{inline}},
		{"inline", Cache{Mode: CacheInline, From: from}, imports, []bkclient.CacheOptionsEntry{inline}},
		{"registry", Cache{Mode: CacheRegistry, From: from, To: "host/app:buildcache-v1"}, imports, []bkclient.CacheOptionsEntry{{Type: "registry", Attrs: map[string]string{
			"ref": "host/app:buildcache-v1", "mode": "max", "image-manifest": "true", "oci-mediatypes": "true",
		}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			imp, exp := tt.cache.cacheOptions()
			if !reflect.DeepEqual(imp, tt.wantImports) || !reflect.DeepEqual(exp, tt.wantExp) {
				t.Errorf("cacheOptions() = %v, %v; want %v, %v", imp, exp, tt.wantImports, tt.wantExp)
			}
		})
	}
}

// pushRandom pushes a random image to ref in the sandbox and returns its
// digest; a tag ending in ".sig" gets a config media type that is not an
// image's, as signatures have.
func pushRandom(t *testing.T, ref string, auth Auth) string {
	t.Helper()
	var img v1.Image
	img, err := random.Image(512, 1)
	if err != nil {
		t.Fatal(err)
	}
	if strings.HasSuffix(ref, ".sig") {
		img = mutate.ConfigMediaType(img, "application/vnd.dev.cosign.artifact.sig.v1+json")
	}
	r, err := name.ParseReference(ref, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(r, img, remote.WithAuth(&authn.Basic{Username: auth.Username, Password: auth.Password})); err != nil {
		t.Fatal(err)
	}
	d, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(5 * time.Millisecond) // imagePushedAt has millisecond precision
	return d.String()
}

func TestPlanCache(t *testing.T) {
	t.Parallel()
	e := connect(t)
	tests := []struct {
		name     string
		enabled  bool
		push     []string // tags pushed in order
		fault    bool     // DescribeImages is denied
		wantMode CacheMode
		wantFrom int // index in push of the image imported from; -1: none
		wantWarn string
	}{
		{"none", false, []string{"v1"}, false, CacheNone, -1, ""},
		{"empty repository", true, nil, false, CacheInline, -1, ""},
		{"most recent push", true, []string{"v2", "v1", "v3"}, false, CacheInline, 2, ""},
		{"signatures are not images", true, []string{"v1", "sha256-1.sig"}, false, CacheInline, 0, ""},
		{"cache manifests are not images", true, []string{"v1", CacheTagPrefix + "v1"}, false, CacheInline, 0, ""},
		{"DescribeImages denied", true, []string{"v1"}, true, CacheInline, -1, "AccessDenied"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			sb, api, repo, auth := pushFixture(t, "team/app", true)
			var digests []string
			for _, tag := range tt.push {
				digests = append(digests, pushRandom(t, repo.URI+":"+tag, auth))
			}
			if tt.fault {
				if err := sb.Apply(awssim.Scenario{Faults: []awssim.Fault{{Service: "ecr", Operation: "DescribeImages", Error: "AccessDeniedException"}}}); err != nil {
					t.Fatal(err)
				}
			}
			before := len(sb.Calls())
			c := PlanCache(context.Background(), api, e, repo, "v9", auth, tt.enabled)
			var want []string
			if tt.wantFrom >= 0 {
				want = []string{repo.URI + "@" + digests[tt.wantFrom]}
			}
			if c.Mode != tt.wantMode || !slices.Equal(c.From, want) || c.To != "" {
				t.Errorf("PlanCache = mode %s, from %v, to %q; want %s, %v, none (engine without registry cache export)", c.Mode, c.From, c.To, tt.wantMode, want)
			}
			if tt.wantWarn == "" && c.Warning != nil || tt.wantWarn != "" && (c.Warning == nil || !strings.Contains(c.Warning.Error(), tt.wantWarn)) {
				t.Errorf("Warning = %v, want one with %q", c.Warning, tt.wantWarn)
			}
			if !tt.enabled && len(sb.Calls()) != before {
				t.Errorf("build-cache none called AWS: %v", sb.Calls()[before:])
			}
		})
	}
}

func TestLatestImagesPages(t *testing.T) {
	t.Parallel()
	sb, api, repo, auth := pushFixture(t, "team/app", false)
	var digests []string
	for _, tag := range []string{"v1", CacheTagPrefix + "v1", "v2", "v3", CacheTagPrefix + "v3"} {
		digests = append(digests, pushRandom(t, repo.URI+":"+tag, auth))
	}
	before := len(sb.Calls())
	image, manifest, err := latestImages(context.Background(), api, repo.Name, 2)
	if err != nil || image != digests[3] || manifest != digests[4] {
		t.Errorf("latestImages = %s, %s, %v; want %s, %s", image, manifest, err, digests[3], digests[4])
	}
	if pages := len(sb.Calls()) - before; pages != 3 {
		t.Errorf("latestImages made %d calls, want 3 pages of 2", pages)
	}
}

// cacheContext copies testdata/build/cache into a new directory, with src
// as the source file's line.
func cacheContext(t testing.TB, src string) string {
	t.Helper()
	dir := t.TempDir()
	for _, f := range []string{"Dockerfile", "deps.txt"} {
		data, err := os.ReadFile(filepath.Join("../../testdata/build/cache", f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "src.txt"), []byte(src+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// emptyEngine removes the images refs and the engine's whole build cache,
// as on a new runner (the base image stays: a runner would pull it).
func emptyEngine(t testing.TB, e *Engine, refs ...string) {
	t.Helper()
	ctx := context.Background()
	for _, ref := range refs {
		if _, err := e.api.ImageRemove(ctx, ref, client.ImageRemoveOptions{Force: true, PruneChildren: true}); err != nil {
			t.Fatalf("removing %s: %v", ref, err)
		}
	}
	if _, err := e.api.BuildCachePrune(ctx, client.BuildCachePruneOptions{All: true}); err != nil {
		t.Fatalf("pruning the build cache: %v", err)
	}
}

// TestBuildCacheFromECR builds and pushes an image, empties the engine, and
// rebuilds after a source change: with build-cache ecr the slow step's
// output (a random marker) comes from ECR, with none it is built again and
// the build makes no registry call. Not parallel: it prunes the engine's
// build cache.
func TestBuildCacheFromECR(t *testing.T) {
	e := connect(t)
	shellBase(t, e)
	ctx := context.Background()
	sb, api, repo, auth := pushFixture(t, "cache/app", true)

	build := func(tag, src string, enabled bool) (Cache, map[string]string) {
		t.Helper()
		ref := repo.URI + ":" + tag
		removeImages(t, e, ref)
		plan := PlanCache(ctx, api, e, repo, tag, auth, enabled)
		dir := cacheContext(t, src)
		spec := BuildSpec{Context: dir, Dockerfile: filepath.Join(dir, "Dockerfile"), Names: []string{ref}}
		if _, used, err := e.BuildCached(ctx, spec, plan, io.Discard); err != nil || used.Mode != plan.Mode {
			t.Fatalf("BuildCached(%s) = mode %s, %v; want mode %s", tag, used.Mode, err, plan.Mode)
		}
		files, _ := savedFiles(t, e, ref)
		if _, err := e.Push(ctx, ref, auth, io.Discard); err != nil {
			t.Fatal(err)
		}
		emptyEngine(t, e, ref)
		return plan, files
	}

	plan1, v1 := build("v1", "source v1", true)
	if plan1.Mode != CacheInline || len(plan1.From) != 0 || plan1.Warning != nil {
		t.Fatalf("first build's cache = %s, %v; want inline with nothing to import", plan1, plan1.Warning)
	}
	digest1, err := TagDigest(ctx, api, repo.Name, "v1")
	if err != nil {
		t.Fatal(err)
	}

	plan2, v2 := build("v2", "source v2", true)
	if want := []string{repo.URI + "@" + digest1}; plan2.Mode != CacheInline || !slices.Equal(plan2.From, want) || plan2.Warning != nil {
		t.Fatalf("second build's cache = %s, %v; want inline from %v", plan2, plan2.Warning, want)
	}
	if v2["marker"] != v1["marker"] || v2["src.txt"] != "source v2\n" {
		t.Errorf("after the change with build-cache ecr: marker %q, src.txt %q; want the first build's marker %q and the new source", v2["marker"], v2["src.txt"], v1["marker"])
	}

	before := len(sb.Calls())
	plan3, v3 := build("v3", "source v3", false)
	if imp, exp := plan3.cacheOptions(); plan3.Mode != CacheNone || imp != nil || exp != nil {
		t.Errorf("build-cache none = %s, imports %v, exports %v; want nothing", plan3, imp, exp)
	}
	if v3["marker"] == v1["marker"] {
		t.Errorf("with build-cache none the slow step's output %q came from a cache", v3["marker"])
	}
	for _, c := range sb.Calls()[before:] {
		if c.Service == "ecr" && c.Operation == "DescribeImages" || c.Service == "registry" && strings.Contains(c.Operation, "Get") && !strings.Contains(c.Operation, "Upload") {
			// Push's own HEADs and uploads are expected; a read of a
			// manifest or blob would be a cache import.
			t.Errorf("with build-cache none the build made %s %s", c.Service, c.Operation)
		}
	}
}

// TestBuildCachedFallsBack checks that a cache problem does not fail a
// build, and that a broken Dockerfile still does.
func TestBuildCachedFallsBack(t *testing.T) {
	t.Parallel()
	e := connect(t)
	shellBase(t, e)
	_, _, repo, auth := pushFixture(t, "team/app", false)
	missing := repo.URI + "@sha256:" + strings.Repeat("0", 64)
	tests := []struct {
		name      string
		dir       string
		cache     Cache
		wantModes []CacheMode // the modes the build may end in
		wantErr   bool
	}{
		{"import of a missing image", "", Cache{Mode: CacheInline, From: []string{missing}, Auth: auth}, []CacheMode{CacheInline, CacheNone}, false},
		{"import with a wrong login", "", Cache{Mode: CacheInline, From: []string{missing}, Auth: Auth{Username: "AWS", Password: "wrong", Server: auth.Server}}, []CacheMode{CacheInline, CacheNone}, false},
		// This engine has no containerd image store: its BuildKit refuses
		// registry export, and the build goes on without cache.
		{"registry export the engine lacks", "", Cache{Mode: CacheRegistry, To: repo.URI + ":" + CacheTagPrefix + "v1", Auth: auth}, []CacheMode{CacheNone}, false},
		{"broken Dockerfile", "../../testdata/build/broken", Cache{Mode: CacheInline, Auth: auth}, []CacheMode{CacheInline}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := tt.dir
			if dir == "" {
				dir = cacheContext(t, "source "+randomHex(t))
			}
			ref := "bluegreen-test/cache:" + randomHex(t)
			removeImages(t, e, ref)
			spec := BuildSpec{Context: dir, Dockerfile: filepath.Join(dir, "Dockerfile"), Names: []string{ref}}
			_, used, err := e.BuildCached(context.Background(), spec, tt.cache, io.Discard)
			t.Logf("mode %s, warning: %v", used.Mode, used.Warning)
			if (err != nil) != tt.wantErr || !slices.Contains(tt.wantModes, used.Mode) {
				t.Errorf("BuildCached = mode %s, %v; want a mode in %v, error %v", used.Mode, err, tt.wantModes, tt.wantErr)
			}
			if used.Mode == CacheNone && !tt.wantErr && used.Warning == nil {
				t.Errorf("built without cache and no warning says why")
			}
		})
	}
}
