package image

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/ecr"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"
	"github.com/moby/moby/client"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim/awssimtest"
)

// connect connects to the machine's Docker engine, or skips the test when
// there is none (fails under CI=true).
func connect(t testing.TB) *Engine {
	t.Helper()
	e, err := Connect(context.Background(), os.Getenv("DOCKER_HOST"))
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI needs the Docker engine: %v", err)
		}
		t.Skipf("no Docker engine: %v", err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

// removeImages removes the engine's images named refs when the test ends.
func removeImages(t testing.TB, e *Engine, refs ...string) {
	t.Cleanup(func() {
		for _, ref := range refs {
			e.api.ImageRemove(context.Background(), ref, client.ImageRemoveOptions{Force: true, PruneChildren: true})
		}
	})
}

const shellImage = "bluegreen-test/shell:1"

var shellOnce sync.Once

// shellBase imports, once, a base image with a shell and cat copied from
// the host (dash, cat and the libraries ldd names), since nothing can be
// pulled here.
func shellBase(t *testing.T, e *Engine) {
	t.Helper()
	var err error
	shellOnce.Do(func() { err = importShell(e) })
	if err != nil {
		t.Fatalf("making the base image %s: %v", shellImage, err)
	}
}

func importShell(e *Engine) error {
	files := map[string]string{"bin/sh": "/bin/sh", "bin/cat": "/bin/cat"}
	out, err := exec.Command("ldd", "/bin/sh", "/bin/cat").Output()
	if err != nil {
		return err
	}
	for _, p := range regexp.MustCompile(`(/[^\s]+\.so[^\s]*)`).FindAllString(string(out), -1) {
		files[strings.TrimPrefix(p, "/")] = p
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	dirs := map[string]bool{"tmp/": true, "run/": true}
	for name := range files {
		for d := filepath.Dir(name); d != "."; d = filepath.Dir(d) {
			dirs[d+"/"] = true
		}
	}
	for d := range dirs {
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: d, Mode: 0o755}); err != nil {
			return err
		}
	}
	for name, src := range files {
		data, err := os.ReadFile(src) // follows symbolic links
		if err != nil {
			return err
		}
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o755, Size: int64(len(data))}); err != nil {
			return err
		}
		tw.Write(data)
	}
	if err := tw.Close(); err != nil {
		return err
	}
	res, err := e.api.ImageImport(context.Background(), client.ImageImportSource{Source: &buf, SourceName: "-"}, shellImage, client.ImageImportOptions{})
	if err != nil {
		return err
	}
	defer res.Close()
	_, err = io.Copy(io.Discard, res)
	return err
}

// savedFiles returns the files of the saved image ref, layer by layer
// (later layers win), and every byte of the saved archive.
func savedFiles(t *testing.T, e *Engine, ref string) (map[string]string, []byte) {
	t.Helper()
	rc, err := e.api.ImageSave(context.Background(), []string{ref})
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	archive, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{}
	all := append([]byte(nil), archive...)
	tr := tar.NewReader(bytes.NewReader(archive))
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		if !strings.HasSuffix(h.Name, "layer.tar") {
			continue
		}
		layer, _ := io.ReadAll(tr)
		all = append(all, layer...)
		lr := tar.NewReader(bytes.NewReader(layer))
		for {
			lh, err := lr.Next()
			if err == io.EOF {
				break
			} else if err != nil {
				t.Fatal(err)
			}
			data, _ := io.ReadAll(lr)
			all = append(all, data...)
			files[lh.Name] = string(data)
		}
	}
	return files, all
}

func TestBuildArgsTargetLabelsSecret(t *testing.T) {
	t.Parallel()
	e := connect(t)
	shellBase(t, e)
	token := "tok-" + randomHex(t)
	ref := "bluegreen-test/features:" + randomHex(t)
	removeImages(t, e, ref)

	var log bytes.Buffer
	id, err := e.Build(context.Background(), BuildSpec{
		Context:    "../../testdata/build/features",
		Dockerfile: "../../testdata/build/features/Dockerfile",
		Target:     "release",
		Args:       map[string]string{"GREETING": "hello from a build arg"},
		Labels:     map[string]string{"com.example.team": "payments"},
		Secrets:    map[string][]byte{"APP_TOKEN": []byte(token)},
		NoCache:    true,
		Names:      []string{ref},
	}, &log)
	if err != nil {
		t.Fatalf("Build: %v\n%s", err, log.String())
	}
	inspect, err := e.api.ImageInspect(context.Background(), ref)
	if err != nil {
		t.Fatal(err)
	}
	if got := inspect.ID; got != id {
		t.Errorf("Build returned %s, the engine has %s for %s", id, got, ref)
	}
	if got, want := inspect.Config.Labels["com.example.team"], "payments"; got != want {
		t.Errorf("label com.example.team = %q, want %q", got, want)
	}

	files, all := savedFiles(t, e, ref)
	if got, want := files["greeting"], "hello from a build arg\n"; got != want {
		t.Errorf("/greeting = %q, want %q (the build arg)", got, want)
	}
	if got, want := files["secret-len"], "36\n"; got != want { // len("tok-") + 32 hex
		t.Errorf("/secret-len = %q, want %q (the secret, mounted)", got, want)
	}
	if _, ok := files["bin/sh"]; ok {
		t.Errorf("the image has /bin/sh: target release was not honoured")
	}
	if bytes.Contains(all, []byte(token)) {
		t.Errorf("the secret's value is in the saved image")
	}
	if strings.Contains(log.String(), token) {
		t.Errorf("the secret's value is in the build's progress")
	}
	for _, want := range []string{"[build 2/3] RUN --mount=type=secret", "naming to docker.io/" + ref} {
		if !strings.Contains(log.String(), want) {
			t.Errorf("progress lacks %q:\n%s", want, log.String())
		}
	}
}

func TestBuildErrors(t *testing.T) {
	t.Parallel()
	e := connect(t)
	tests := []struct {
		name       string
		spec       BuildSpec
		wantErr    string
		wantLine   int
		wantTarget error
	}{
		{
			name:     "Dockerfile error",
			spec:     BuildSpec{Context: "../../testdata/build/broken", Dockerfile: "../../testdata/build/broken/Dockerfile"},
			wantErr:  "unknown instruction: FORM",
			wantLine: 3,
		},
		{
			name:    "missing context",
			spec:    BuildSpec{Context: "../../testdata/build/nowhere", Dockerfile: "../../testdata/build/broken/Dockerfile"},
			wantErr: `build context "../../testdata/build/nowhere" is not a directory`,
		},
		{
			name:    "missing Dockerfile",
			spec:    BuildSpec{Context: "../../testdata/app", Dockerfile: "../../testdata/app/Dockerfile.nowhere"},
			wantErr: `Dockerfile "../../testdata/app/Dockerfile.nowhere" is not a file`,
		},
		{
			name:    "unknown target",
			spec:    BuildSpec{Context: "../../testdata/build/broken", Dockerfile: "../../testdata/build/features/Dockerfile", Target: "nosuchstage"},
			wantErr: "nosuchstage",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.spec.Names = []string{"bluegreen-test/broken:" + randomHex(t)}
			_, err := e.Build(context.Background(), tt.spec, io.Discard)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Build error = %v, want one containing %q", err, tt.wantErr)
			}
			var be *BuildError
			if errors.As(err, &be) && be.Line != tt.wantLine || tt.wantLine > 0 && be == nil {
				t.Errorf("error %v: BuildError.Line = %+v, want line %d", err, be, tt.wantLine)
			}
			var loc interface{ Location() (string, int) } // report.Located
			if be != nil && (!errors.As(err, &loc) || func() bool { f, l := loc.Location(); return f != tt.spec.Dockerfile || l != tt.wantLine }()) {
				t.Errorf("error %v: Location() is not the Dockerfile %s, line %d", err, tt.spec.Dockerfile, tt.wantLine)
			}
		})
	}
}

func TestConnectUnreachable(t *testing.T) {
	t.Parallel()
	_, err := Connect(context.Background(), "unix:///nonexistent/docker.sock")
	if err == nil || !strings.Contains(err.Error(), "connecting to the Docker engine at unix:///nonexistent/docker.sock") {
		t.Fatalf("Connect error = %v, want one naming the engine's address", err)
	}
}

// pushFixture starts a sandbox with repository name (immutable tags when
// immutable is set) and returns it with its login.
func pushFixture(t *testing.T, name string, immutable bool) (*awssimtest.Sandbox, *ecr.Client, Repository, Auth) {
	t.Helper()
	sb := awssimtest.Start(t, awssim.Options{})
	api := ecr.NewFromConfig(sb.Config())
	ctx := context.Background()
	mutability := ecrtypes.ImageTagMutabilityMutable
	if immutable {
		mutability = ecrtypes.ImageTagMutabilityImmutable
	}
	out, err := api.CreateRepository(ctx, &ecr.CreateRepositoryInput{RepositoryName: &name, ImageTagMutability: mutability})
	if err != nil {
		t.Fatal(err)
	}
	repo := Repository{Name: name, URI: *out.Repository.RepositoryUri}
	auth, err := Login(ctx, api)
	if err != nil {
		t.Fatal(err)
	}
	return sb, api, repo, auth
}

func TestPushApp(t *testing.T) {
	t.Parallel()
	e := connect(t)
	_, api, repo, auth := pushFixture(t, "team/app", true)
	ref := repo.URI + ":v1"
	removeImages(t, e, ref)
	if _, err := e.Build(context.Background(), BuildSpec{Context: "../../testdata/app", Dockerfile: "../../testdata/app/Dockerfile", Names: []string{ref}}, io.Discard); err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	digest, err := e.Push(context.Background(), ref, auth, &log)
	if err != nil {
		t.Fatalf("Push: %v\n%s", err, log.String())
	}
	got, err := TagDigest(context.Background(), api, "team/app", "v1")
	if err != nil {
		t.Fatal(err)
	}
	if got != digest {
		t.Errorf("ECR has %s for v1, Push returned %s", got, digest)
	}
	if !strings.Contains(log.String(), "v1: digest: "+digest) {
		t.Errorf("push progress lacks the digest line:\n%s", log.String())
	}
	if strings.Contains(log.String(), auth.Password) {
		t.Errorf("push progress shows the registry password")
	}
}

func randomHex(t testing.TB) string {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

func TestBuildersHonourDockerignore(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		buildKit bool
	}{
		{"BuildKit", true},
		{"classic", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := connect(t)
			if !tt.buildKit {
				e.bk, e.NoBuildKit = nil, errors.New("disabled by the test")
			}
			ref := "bluegreen-test/context:" + randomHex(t)
			removeImages(t, e, ref)
			var log bytes.Buffer
			id, err := e.Build(context.Background(), BuildSpec{
				Context:    "../../testdata/app",
				Dockerfile: "../../testdata/build/context.Dockerfile", // outside the context
				Labels:     map[string]string{"builder": tt.name},
				Names:      []string{ref},
				// No cache: a cached step is an image another package's test
				// may remove meanwhile (the engine is shared), and the classic
				// builder then fails with "unable to find image".
				NoCache: true,
			}, &log)
			if err != nil {
				t.Fatalf("Build: %v\n%s", err, log.String())
			}
			if !strings.HasPrefix(id, "sha256:") {
				t.Errorf("Build returned ID %q, want sha256:...", id)
			}
			files, _ := savedFiles(t, e, ref)
			if _, ok := files["ctx/index.html"]; !ok {
				t.Errorf("the image lacks ctx/index.html; files: %v", files)
			}
			for name := range files {
				if strings.HasPrefix(name, "ctx/notes") || strings.Contains(name, "context.Dockerfile") || strings.Contains(name, classicDockerfile) {
					t.Errorf("the image has %s, which .dockerignore excludes or is not in the context", name)
				}
			}
			inspect, err := e.api.ImageInspect(context.Background(), ref)
			if err != nil {
				t.Fatal(err)
			}
			if got := inspect.Config.Labels["builder"]; got != tt.name {
				t.Errorf("label builder = %q, want %q", got, tt.name)
			}
		})
	}
}

func TestClassicBuildRefusesSecrets(t *testing.T) {
	t.Parallel()
	e := connect(t)
	e.bk, e.NoBuildKit = nil, errors.New("disabled by the test")
	_, err := e.Build(context.Background(), BuildSpec{
		Context:    "../../testdata/app",
		Dockerfile: "../../testdata/app/Dockerfile",
		Secrets:    map[string][]byte{"APP_TOKEN": []byte("tok-x")},
		Names:      []string{"bluegreen-test/secrets:" + randomHex(t)},
	}, io.Discard)
	if !errors.Is(err, ErrSecretsNeedBuildKit) {
		t.Fatalf("Build error = %v, want ErrSecretsNeedBuildKit", err)
	}
}

func TestPushFailures(t *testing.T) {
	t.Parallel()
	e := connect(t)
	tests := []struct {
		name    string
		prepare func(t *testing.T, sb *awssimtest.Sandbox, repo Repository, auth *Auth)
		want    error
		wantMsg string
	}{
		{
			name: "immutable tag",
			prepare: func(t *testing.T, sb *awssimtest.Sandbox, repo Repository, auth *Auth) {
				// v1 already holds another image.
				ref := repo.URI + ":v1"
				removeImages(t, e, ref)
				if _, err := e.Build(context.Background(), BuildSpec{Context: "../../testdata/app", Dockerfile: "../../testdata/app/Dockerfile",
					Labels: map[string]string{"first": randomHex(t)}, Names: []string{ref}}, io.Discard); err != nil {
					t.Fatal(err)
				}
				if _, err := e.Push(context.Background(), ref, *auth, io.Discard); err != nil {
					t.Fatal(err)
				}
			},
			want:    ErrImmutableTag,
			wantMsg: "cannot be overwritten because the repository is immutable",
		},
		{
			name: "broken blob upload",
			prepare: func(t *testing.T, sb *awssimtest.Sandbox, _ Repository, _ *Auth) {
				if err := sb.Apply(awssim.Scenario{BreakBlobUploads: -1}); err != nil {
					t.Fatal(err)
				}
			},
			wantMsg: "500 Internal Server Error (the engine retried the layer upload and gave up)",
		},
		{
			name: "bad login",
			prepare: func(_ *testing.T, _ *awssimtest.Sandbox, _ Repository, auth *Auth) {
				auth.Password = "not-the-token"
			},
			wantMsg: "authorization token is invalid",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if testing.Short() && tt.name == "broken blob upload" {
				t.Skip("the engine retries the upload for about 50 s")
			}
			sb, _, repo, auth := pushFixture(t, "team/app", true)
			tt.prepare(t, sb, repo, &auth)
			ref := repo.URI + ":v1"
			removeImages(t, e, ref)
			if _, err := e.Build(context.Background(), BuildSpec{Context: "../../testdata/app", Dockerfile: "../../testdata/app/Dockerfile",
				Labels: map[string]string{"second": randomHex(t)}, Names: []string{ref}}, io.Discard); err != nil {
				t.Fatal(err)
			}
			_, err := e.Push(context.Background(), ref, auth, io.Discard)
			if err == nil || !strings.Contains(err.Error(), tt.wantMsg) {
				t.Fatalf("Push error = %v, want one containing %q", err, tt.wantMsg)
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("Push error = %v, want %v", err, tt.want)
			}
			t.Logf("error: %v", err)
		})
	}
}

// TestPushRetries injects registry faults through the sandbox's scenario and
// counts the registry calls each push makes.
func TestPushRetries(t *testing.T) {
	t.Parallel()
	e := connect(t)
	fault := func(op string, status, count int, code string) awssim.Fault {
		return awssim.Fault{Service: "registry", Operation: op, Status: status, Error: code, Count: count}
	}
	tests := []struct {
		name          string
		fault         awssim.Fault
		also          []awssim.Fault // more faults at once
		wantErr       string         // "" for a push that succeeds
		wantManifests int            // PutManifest calls
	}{
		{name: "one 500 on a layer upload", fault: fault("PatchUpload", 500, 1, "UNKNOWN"), wantManifests: 1},
		{name: "one 500 on completing a layer upload", fault: fault("CompleteUpload", 500, 1, "UNKNOWN"), wantManifests: 1},
		{name: "one 500 on the manifest", fault: fault("PutManifest", 500, 1, "UNKNOWN"), wantManifests: 2},
		{name: "one 500 on a layer, then one on the manifest", fault: fault("PatchUpload", 500, 1, "UNKNOWN"),
			also: []awssim.Fault{fault("PutManifest", 500, 1, "UNKNOWN")}, wantManifests: 2},
		{name: "two 503s on the manifest", fault: fault("PutManifest", 503, 2, "UNAVAILABLE"), wantManifests: 3},
		{name: "persistent 500 on the manifest", fault: fault("PutManifest", 500, 0, "UNKNOWN"), wantManifests: 4,
			wantErr: "received unexpected HTTP status: 500 Internal Server Error (attempt 4 of 4)"},
		{name: "invalid manifest, not retried", fault: fault("PutManifest", 400, 0, "MANIFEST_INVALID"), wantManifests: 1,
			wantErr: "manifest invalid"},
		{name: "denied, not retried", fault: fault("PutManifest", 403, 0, "DENIED"), wantManifests: 1,
			wantErr: "denied"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			sb, api, repo, auth := pushFixture(t, "team/app", true)
			if err := sb.Apply(awssim.Scenario{Faults: append([]awssim.Fault{tt.fault}, tt.also...)}); err != nil {
				t.Fatal(err)
			}
			ref := repo.URI + ":v1"
			removeImages(t, e, ref)
			if _, err := e.Build(context.Background(), BuildSpec{Context: "../../testdata/app", Dockerfile: "../../testdata/app/Dockerfile",
				Labels: map[string]string{"retry": randomHex(t)}, Names: []string{ref}}, io.Discard); err != nil {
				t.Fatal(err)
			}
			var log bytes.Buffer
			digest, err := e.Push(context.Background(), ref, auth, &log)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("Push: %v\n%s", err, log.String())
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("Push error = %v, want one containing %q\n%s", err, tt.wantErr, log.String())
			case tt.wantErr == "":
				if got, err := TagDigest(context.Background(), api, "team/app", "v1"); err != nil || got != digest {
					t.Errorf("ECR has %q (%v) for v1, Push returned %s", got, err, digest)
				}
			}
			manifests := 0
			for _, c := range sb.Calls() {
				if c.Service == "registry" && c.Operation == "PutManifest" {
					manifests++
				}
			}
			if manifests != tt.wantManifests {
				t.Errorf("%d PutManifest calls, want %d", manifests, tt.wantManifests)
			}
		})
	}
}
