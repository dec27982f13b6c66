package pipeline

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim/awssimtest"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/image"
)

// requireDocker skips a test that needs the Docker engine when there is
// none, unless CI=true.
func requireDocker(t *testing.T) {
	t.Helper()
	e, err := image.Connect(context.Background(), os.Getenv("DOCKER_HOST"))
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI needs the Docker engine: %v", err)
		}
		t.Skipf("no Docker engine: %v", err)
	}
	e.Close()
}

// workspace is the repository root, the workspace of the test runs.
func workspace(t *testing.T) string {
	t.Helper()
	ws, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	return ws
}

// runAction runs the whole action in-process against the sandbox with the
// given inputs and returns its exit code, outputs and log.
func runAction(t *testing.T, sb *awssimtest.Sandbox, inputs map[string]string) (int, map[string]string, string) {
	t.Helper()
	env := sb.Env()
	env["GITHUB_WORKSPACE"] = workspace(t)
	env["GITHUB_REPOSITORY"] = "octo/app"
	env["GITHUB_SHA"] = "0123456789abcdef0123456789abcdef01234567"
	env["DOCKER_HOST"] = os.Getenv("DOCKER_HOST")
	for k, v := range inputs {
		env["INPUT_"+strings.ToUpper(k)] = v
	}
	var out syncBuffer
	code := Run(context.Background(), Env{Getenv: func(k string) string { return env[k] }, Stdout: &out})
	return code, parseOutputs(out.String()), out.String()
}

// parseOutputs reads the "output name=value" lines printed outside Actions.
func parseOutputs(log string) map[string]string {
	m := map[string]string{}
	for _, line := range strings.Split(log, "\n") {
		if rest, ok := strings.CutPrefix(line, "output "); ok {
			k, v, _ := strings.Cut(rest, "=")
			m[k] = v
		}
	}
	return m
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// countCalls counts the sandbox's recorded calls of service and operation.
func countCalls(sb *awssimtest.Sandbox, service, operation string) int {
	n := 0
	for _, c := range sb.Calls() {
		if c.Service == service && c.Operation == operation {
			n++
		}
	}
	return n
}

func TestImageBuildPushAndRerun(t *testing.T) {
	t.Parallel()
	requireDocker(t)
	sb := awssimtest.Start(t, awssim.Options{})
	inputs := map[string]string{"ecr-repository": "team/app", "create-repository": "true", "context": "testdata/app"}

	code, out, log := runAction(t, sb, inputs)
	if code != ExitOK {
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
	if code != ExitOK {
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
	if code != ExitOK {
		t.Fatalf("image input: exit %d, want 0; log:\n%s", code, log3)
	}
	if got, want := out3["image-uri"], out["image-uri"]; got != want {
		t.Errorf("image input: image-uri = %q, want %q", got, want)
	}
	if got, want := out3["image-pushed"], "false"; got != want {
		t.Errorf("image input: image-pushed = %q, want %q", got, want)
	}
}
