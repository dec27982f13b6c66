package e2e

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim/awssimtest"
)

// scenarioFile seeds the sandbox for every workflow and the benchmark.
const scenarioFile = "testdata/sandbox/demo.yaml"

// need skips the test when a tool or image is missing, or fails it in CI
// (CI=true), where .ci/run provides them all.
func need(tb testing.TB, what string, err error) {
	tb.Helper()
	if err == nil {
		return
	}
	if os.Getenv("CI") == "true" {
		tb.Fatalf("%s: %v", what, err)
	}
	tb.Skipf("%s: %v (bash .ci/images.sh prepares the images)", what, err)
}

// needDocker checks for the Docker engine and local images.
func needDocker(tb testing.TB, images ...string) {
	tb.Helper()
	out, err := exec.Command("docker", "version", "--format", "{{.Server.APIVersion}}").CombinedOutput()
	if err != nil {
		need(tb, "the Docker engine", &cmdError{err, out})
	}
	for _, image := range images {
		if out, err := exec.Command("docker", "image", "inspect", "--format", "{{.Id}}", image).CombinedOutput(); err != nil {
			need(tb, "the image "+image, &cmdError{err, out})
		}
	}
}

type cmdError struct {
	err error
	out []byte
}

func (e *cmdError) Error() string { return e.err.Error() + ": " + string(bytes.TrimSpace(e.out)) }

var (
	buildOnce  sync.Once
	buildImage string
	buildLog   bytes.Buffer
	buildErr   error
)

// actionImage builds the action's image from the Dockerfile once per test
// binary, under the name action.yml runs, and returns that name.
func actionImage(tb testing.TB) string {
	tb.Helper()
	needDocker(tb)
	buildOnce.Do(func() {
		var root string
		if root, buildErr = RepoRoot(); buildErr != nil {
			return
		}
		if buildImage, buildErr = ActionImage(root); buildErr != nil {
			return
		}
		buildErr = BuildImage(context.Background(), root, buildImage, &buildLog)
	})
	if buildErr != nil {
		tb.Fatalf("%v\n%s", buildErr, buildLog.Bytes())
	}
	return buildImage
}

// sandbox starts the AWS sandbox seeded with file (relative to the
// repository), such as the demo scenario.
func sandbox(tb testing.TB, file string) *awssimtest.Sandbox {
	tb.Helper()
	sb := awssimtest.Start(tb, awssim.Options{})
	if err := sb.Apply(scenario(tb, file)); err != nil {
		tb.Fatalf("seeding the sandbox with %s: %v", file, err)
	}
	tb.Cleanup(func() {
		if err := RemoveImages(context.Background(), sb.Host+"/"); err != nil {
			tb.Error(err)
		}
	})
	return sb
}

// needAct readies a test that runs workflows with act: act, the runner
// image and the action's image, each a skip when missing (a failure in
// CI). It returns act's path and the repository root.
func needAct(t *testing.T) (bin, root string) {
	t.Helper()
	bin, err := FindAct()
	need(t, "act", err)
	needDocker(t, RunnerImage)
	actionImage(t)
	if root, err = RepoRoot(); err != nil {
		t.Fatal(err)
	}
	return bin, root
}

// runAct runs workflow with act until ctx ends and returns what act
// reported and its log, which the test prints if it fails.
func runAct(ctx context.Context, t *testing.T, act Act, workflow string) (Run, string) {
	t.Helper()
	var log bytes.Buffer
	start := time.Now()
	run, err := act.Run(ctx, workflow, &log)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("act's log:\n%s", log.Bytes())
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("act ran %s in %s: job %s, steps %v, outputs %v", filepath.Base(workflow), time.Since(start).Round(time.Second), run.Job, run.Steps, run.Outputs)
	return run, log.String()
}
