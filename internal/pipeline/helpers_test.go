package pipeline

import (
	"archive/zip"
	"bytes"
	"context"
	"io"
	"maps"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim/awssimtest"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/config"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/image"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/report"
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
	return runActionEnv(t, sb, inputs, nil)
}

// runActionEnv is runAction with more environment variables.
func runActionEnv(t *testing.T, sb *awssimtest.Sandbox, inputs, extraEnv map[string]string) (int, map[string]string, string) {
	t.Helper()
	env := sb.Env()
	env["GITHUB_ACTIONS"] = "true" // the runner's workflow commands, which the tests read
	env["GITHUB_WORKSPACE"] = workspace(t)
	env["GITHUB_REPOSITORY"] = "octo/app"
	env["GITHUB_SHA"] = "0123456789abcdef0123456789abcdef01234567"
	env["DOCKER_HOST"] = os.Getenv("DOCKER_HOST")
	for k, v := range inputs {
		env[config.InputKey(k)] = v
	}
	maps.Copy(env, extraEnv)
	var out syncBuffer
	code := Run(context.Background(), Env{Getenv: func(k string) string { return env[k] }, Stdout: &out, Clock: sb.Clock})
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

// syncBuffer is a buffer the action and its goroutines may write at once.
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

// deploySandbox starts a sandbox seeded with testdata/sandbox/server.yaml
// and the extra scenarios.
func deploySandbox(t *testing.T, extra ...awssim.Scenario) *awssimtest.Sandbox {
	t.Helper()
	return seededSandbox(t, "server.yaml", awssim.DefaultTimeScale, extra...)
}

// seededSandbox starts a sandbox at scale simulated seconds per second,
// seeded with testdata/sandbox/<file> and the extra scenarios.
func seededSandbox(t *testing.T, file string, scale float64, extra ...awssim.Scenario) *awssimtest.Sandbox {
	t.Helper()
	sb := awssimtest.Start(t, awssim.Options{TimeScale: scale})
	applyScenario(t, sb, file, extra...)
	return sb
}

// applyScenario seeds sb with testdata/sandbox/<file> and the extra scenarios.
func applyScenario(t *testing.T, sb *awssimtest.Sandbox, file string, extra ...awssim.Scenario) {
	t.Helper()
	sc, err := awssim.LoadScenario("../../testdata/sandbox/" + file)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range append([]awssim.Scenario{sc}, extra...) {
		if err := sb.Apply(s); err != nil {
			t.Fatal(err)
		}
	}
}

// deployInputs are the inputs of a deployment to group of application web.
func deployInputs(image, group string) map[string]string {
	return map[string]string{
		"image": image, "codedeploy-application": "web", "codedeploy-deployment-group": group,
		"s3-bucket": "web-bundles", "container-port": "8080", "health-check-path": "/healthz",
	}
}

// bundles returns the files of every bundle in s3://web-bundles.
func bundles(t *testing.T, sb *awssimtest.Sandbox) []map[string]string {
	t.Helper()
	ctx := context.Background()
	api := s3.NewFromConfig(sb.Config(), func(o *s3.Options) { o.UsePathStyle = true })
	list, err := api.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("web-bundles")})
	if err != nil {
		t.Fatal(err)
	}
	var all []map[string]string
	for _, obj := range list.Contents {
		got, err := api.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("web-bundles"), Key: obj.Key})
		if err != nil {
			t.Fatal(err)
		}
		data, _ := io.ReadAll(got.Body)
		zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			t.Fatal(err)
		}
		files := map[string]string{}
		for _, f := range zr.File {
			rc, _ := f.Open()
			b, _ := io.ReadAll(rc)
			rc.Close()
			files[f.Name] = string(b)
		}
		all = append(all, files)
	}
	return all
}

func deploymentInfo(t *testing.T, sb *awssimtest.Sandbox, id string) *codedeploy.GetDeploymentOutput {
	t.Helper()
	out, err := codedeploy.NewFromConfig(sb.Config()).GetDeployment(context.Background(), &codedeploy.GetDeploymentInput{DeploymentId: aws.String(id)})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// testRun is a run whose runner files and stdout are kept for the test to read.
type testRun struct {
	*run
	out *bytes.Buffer
	env map[string]string
}

func newTestRun(t *testing.T, cfg *config.Config, env map[string]string) *testRun {
	t.Helper()
	dir := t.TempDir()
	if env == nil {
		env = map[string]string{}
	}
	env["GITHUB_OUTPUT"] = filepath.Join(dir, "output")
	env["GITHUB_STEP_SUMMARY"] = filepath.Join(dir, "summary")
	if cfg.GitHub.Workspace == "" {
		cfg.GitHub.Workspace = "/github/workspace"
	}
	if cfg.AWS.Region == "" {
		cfg.AWS.Region = "eu-west-1"
	}
	var out bytes.Buffer
	e := Env{Getenv: func(k string) string { return env[k] }, Stdout: &out}
	return &testRun{
		run: &run{cfg: cfg, env: e, rep: report.New(e.Getenv, &out), result: &report.Result{Start: time.Now()}, cleanup: context.Background()},
		out: &out,
		env: env,
	}
}

func (tr *testRun) summary(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile(tr.env["GITHUB_STEP_SUMMARY"])
	if err != nil {
		t.Fatalf("reading the summary: %v", err)
	}
	return string(data)
}

// docker runs the docker CLI and returns its output, failing the test on an error.
func docker(t testing.TB, args ...string) string {
	t.Helper()
	out, err := exec.Command("docker", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("docker %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// freePort returns a TCP port free on the loopback interface.
func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
