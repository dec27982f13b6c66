package pipeline

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim/awssimtest"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/exitcode"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/image"
)

func TestImageBuildPushAndRerun(t *testing.T) {
	t.Parallel()
	requireDocker(t)
	sb := awssimtest.Start(t, awssim.Options{})
	inputs := map[string]string{"ecr-repository": "team/app", "create-repository": "true", "context": "testdata/app"}

	code, out, log := runAction(t, sb, inputs)
	if code != exitcode.OK {
		t.Fatalf("first run: exit %d, want 0; log:\n%s", code, log)
	}
	digest := out["image-digest"]
	if got, want := out["image-uri"], sb.Host+"/team/app@"+digest; got != want || !strings.HasPrefix(digest, "sha256:") {
		t.Errorf("first run: image-uri = %q, want %q", got, want)
	}
	if got, want := out["image-pushed"], "true"; got != want {
		t.Errorf("first run: image-pushed = %q, want %q", got, want)
	}
	if got, want := out["image-tags"], "0123456789abcdef0123456789abcdef01234567"; got != want {
		t.Errorf("first run: image-tags = %q, want %q", got, want)
	}
	// The registry holds the tag, under the digest the action reported.
	api := ecr.NewFromConfig(sb.Config())
	desc, err := api.DescribeImages(context.Background(), &ecr.DescribeImagesInput{
		RepositoryName: aws.String("team/app"),
		ImageIds:       []ecrtypes.ImageIdentifier{{ImageTag: aws.String(out["image-tags"])}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := aws.ToString(desc.ImageDetails[0].ImageDigest); got != digest {
		t.Errorf("ECR has digest %s for the tag, the action reported %s", got, digest)
	}
	manifestPuts := countCalls(sb, "registry", "PutManifest")
	if manifestPuts == 0 {
		t.Errorf("the first run put no manifest to the registry")
	}

	code, out2, log2 := runAction(t, sb, inputs)
	if code != exitcode.OK {
		t.Fatalf("second run: exit %d, want 0; log:\n%s", code, log2)
	}
	if got, want := out2["image-pushed"], "false"; got != want {
		t.Errorf("second run: image-pushed = %q, want %q", got, want)
	}
	if got := out2["image-digest"]; got != digest {
		t.Errorf("second run: image-digest = %q, want the first run's %q", got, digest)
	}
	if strings.Contains(log2, "::group::Building") {
		t.Errorf("second run built the image; log:\n%s", log2)
	}
	if got := countCalls(sb, "registry", "PutManifest"); got != manifestPuts {
		t.Errorf("second run: %d manifest puts in all, want still %d", got, manifestPuts)
	}

	// The image input deploys that image: its digest comes from ECR.
	code, out3, log3 := runAction(t, sb, map[string]string{"image": sb.Host + "/team/app:" + out["image-tags"]})
	if code != exitcode.OK {
		t.Fatalf("image input: exit %d, want 0; log:\n%s", code, log3)
	}
	if got, want := out3["image-uri"], out["image-uri"]; got != want {
		t.Errorf("image input: image-uri = %q, want %q", got, want)
	}
	if got, want := out3["image-pushed"], "false"; got != want {
		t.Errorf("image input: image-pushed = %q, want %q", got, want)
	}
}

func TestImageFailures(t *testing.T) {
	t.Parallel()
	requireDocker(t)
	app := map[string]string{"ecr-repository": "team/app", "create-repository": "true", "context": "testdata/app", "image-tags": "v1"}
	with := func(extra map[string]string) map[string]string {
		m := maps.Clone(app)
		maps.Copy(m, extra)
		return m
	}
	tests := []struct {
		name    string
		slow    bool
		before  func(t *testing.T, sb *awssimtest.Sandbox)
		inputs  map[string]string
		env     map[string]string
		wantErr string
	}{
		{
			name:    "missing repository",
			inputs:  with(map[string]string{"create-repository": "false"}),
			wantErr: `::error::input "ecr-repository": ECR repository does not exist: "team/app": create it, or set create-repository: true`,
		},
		{
			name:    "Dockerfile error",
			inputs:  with(map[string]string{"context": "testdata/build/broken"}),
			wantErr: "::error file=testdata/build/broken/Dockerfile,line=3::",
		},
		{
			name:    "unreachable engine",
			inputs:  app,
			env:     map[string]string{"DOCKER_HOST": "unix:///nonexistent/docker.sock"},
			wantErr: "::error::connecting to the Docker engine at unix:///nonexistent/docker.sock",
		},
		{
			name: "immutable tag",
			before: func(t *testing.T, sb *awssimtest.Sandbox) {
				if code, _, log := runAction(t, sb, app); code != exitcode.OK {
					t.Fatalf("first push: exit %d; log:\n%s", code, log)
				}
			},
			inputs:  with(map[string]string{"skip-existing": "false", "labels": "attempt=2"}), // another digest for the same tag
			wantErr: "tag already exists in an immutable repository: tag invalid: The image tag 'v1' already exists",
		},
		{
			name: "broken blob upload",
			slow: true,
			before: func(t *testing.T, sb *awssimtest.Sandbox) {
				if err := sb.Apply(awssim.Scenario{BreakBlobUploads: -1}); err != nil {
					t.Fatal(err)
				}
			},
			inputs:  with(map[string]string{"build-args": "RUN_ID=" + t.Name()}),
			wantErr: "received unexpected HTTP status: 500 Internal Server Error",
		},
		{
			name:    "unknown image",
			inputs:  map[string]string{"image": "127.0.0.1:1/team/app:v9"},
			wantErr: "::error::resolving image \"127.0.0.1:1/team/app:v9\": ECR repository does not exist",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if tt.slow && testing.Short() {
				t.Skip("the engine retries for about 50 s")
			}
			sb := awssimtest.Start(t, awssim.Options{})
			if tt.before != nil {
				tt.before(t, sb)
			}
			code, out, log := runActionEnv(t, sb, tt.inputs, tt.env)
			if code != exitcode.Failed {
				t.Errorf("exit %d, want %d", code, exitcode.Failed)
			}
			if !strings.Contains(log, tt.wantErr) {
				t.Errorf("log lacks %q:\n%s", tt.wantErr, log)
			}
			if out["error-message"] == "" {
				t.Errorf("no error-message output")
			}
		})
	}
}

// TestActionProcess is the action's process for BenchmarkPushMemory: it
// runs only when that benchmark starts the test binary with
// BLUEGREEN_ACTION_PROCESS=1.
func TestActionProcess(t *testing.T) {
	if os.Getenv("BLUEGREEN_ACTION_PROCESS") != "1" {
		t.Skip("the action's process for BenchmarkPushMemory")
	}
	code := Run(context.Background(), Env{Getenv: os.Getenv, Stdout: os.Stdout})
	// The process's own high-water RSS (the fork's rusage would count the
	// benchmark's pages too).
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(status), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			fmt.Printf("peak-rss-kib=%s\n", strings.TrimSpace(strings.TrimSuffix(rest, "kB")))
		}
	}
	os.Exit(code)
}

// BenchmarkPushMemory builds and pushes a FROM scratch image holding 10 MB
// (and 100 MB, then 500 MB) of random data, each run in its own process, and reports
// that process's peak RSS: streaming keeps it flat. Run it with
// -bench PushMemory -benchtime 1x.
func BenchmarkPushMemory(b *testing.B) {
	if _, err := image.Connect(context.Background(), os.Getenv("DOCKER_HOST")); err != nil {
		b.Skipf("no Docker engine: %v", err)
	}
	sb := awssimtest.Start(b, awssim.Options{})
	peaks := map[int]int64{}
	for _, mb := range []int{10, 100, 500} {
		b.Run(fmt.Sprintf("%dMB", mb), func(b *testing.B) {
			ws := b.TempDir()
			writeRandomFile(b, filepath.Join(ws, "blob"), mb<<20)
			if err := os.WriteFile(filepath.Join(ws, "Dockerfile"), []byte("FROM scratch\nCOPY blob /blob\n"), 0o644); err != nil {
				b.Fatal(err)
			}
			for i := 0; b.Loop(); i++ {
				cmd := exec.Command(os.Args[0], "-test.run=^TestActionProcess$")
				cmd.Env = append(os.Environ(), "BLUEGREEN_ACTION_PROCESS=1", "GITHUB_WORKSPACE="+ws,
					"INPUT_ECR-REPOSITORY=bench/app", "INPUT_CREATE-REPOSITORY=true", fmt.Sprintf("INPUT_IMAGE-TAGS=mb%d-%d", mb, i))
				for k, v := range sb.Env() {
					cmd.Env = append(cmd.Env, k+"="+v)
				}
				out, err := cmd.CombinedOutput()
				if err != nil || !strings.Contains(string(out), "output image-pushed=true") {
					b.Fatalf("the action: %v\n%s", err, out)
				}
				m := regexp.MustCompile(`peak-rss-kib=(\d+)`).FindSubmatch(out)
				if m == nil {
					b.Fatalf("the action did not report its peak RSS:\n%s", out)
				}
				peak, _ := strconv.ParseInt(string(m[1]), 10, 64)
				peaks[mb] = max(peaks[mb], peak<<10)
			}
			b.ReportMetric(float64(peaks[mb])/(1<<20), "peak-RSS-MiB")
		})
	}
	fmt.Printf("peak RSS of the action: 10 MB image %.1f MiB, 100 MB image %.1f MiB, 500 MB image %.1f MiB\n",
		float64(peaks[10])/(1<<20), float64(peaks[100])/(1<<20), float64(peaks[500])/(1<<20))
}

// writeRandomFile writes size incompressible bytes to path, streaming.
func writeRandomFile(b *testing.B, path string, size int) {
	b.Helper()
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	if _, err := io.CopyN(f, rand.Reader, int64(size)); err != nil {
		b.Fatal(err)
	}
}
