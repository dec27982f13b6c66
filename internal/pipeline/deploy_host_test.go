package pipeline

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/e2e"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/exitcode"
)

// testAppImage is the app the host tests deploy (.ci/images.sh makes it).
const testAppImage = "bluegreen-deploy/testapp:local"

// hostEnvDir is where the generated bundle's hooks write the env file in
// this test binary: the sandbox's exec agent passes its environment, and so
// BLUEGREEN_ENV_DIR, to the hooks.
var hostEnvDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "bluegreen-env-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	hostEnvDir = dir
	os.Setenv("BLUEGREEN_ENV_DIR", dir)
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// TestServerDeployOnHost deploys the generated bundle through the whole
// action to the sandbox's exec agent: this host is the instance, so the hooks
// log in to the sandbox's ECR, pull the image by digest through the real
// engine, fetch the secret with the AWS CLI and run the container on a free
// port, and ValidateService asks its health path with curl. A second version
// replaces the first (ApplicationStop runs the last install's stop.sh).
func TestServerDeployOnHost(t *testing.T) {
	t.Parallel()
	requireHost(t)
	type step struct {
		version string
		healthy bool
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{"healthy, then a new version", []step{{"v1", true}, {"v2", true}}},
		{"failing health check", []step{{"v1", false}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			sb := seededSandbox(t, "exec.yaml", awssim.DefaultTimeScale)
			t.Cleanup(func() {
				if err := e2e.RemoveImages(context.Background(), sb.Host+"/"); err != nil {
					t.Error(err)
				}
			})
			const secret = "s3cr3t-greeting-value"
			sm := secretsmanager.NewFromConfig(sb.Config())
			if _, err := sm.CreateSecret(context.Background(), &secretsmanager.CreateSecretInput{
				Name: aws.String("host/greeting"), SecretString: aws.String(secret),
			}); err != nil {
				t.Fatal(err)
			}
			port := freePort(t)
			name := fmt.Sprintf("hostrun-%d", port)
			t.Cleanup(func() { removeContainers(t, name) })

			for _, st := range tt.steps {
				code, out, log := runAction(t, sb, map[string]string{
					"ecr-repository": "app", "image-tags": st.version, "context": "testdata/host", "build-cache": "none",
					"build-args":             fmt.Sprintf("APP_VERSION=%s\nHEALTHY=%t", st.version, st.healthy),
					"secrets":                "GREETING,host/greeting",
					"codedeploy-application": "host", "codedeploy-deployment-group": "bg", "s3-bucket": "host-bundles",
					"container-name": name, "container-port": fmt.Sprint(port),
					"health-check-path": "/health", "health-check-timeout": "4s",
					// Hooks take real seconds, the sandbox's clock runs 600 times faster.
					"timeout": "24h",
				})
				for _, line := range strings.Split(log, "\n") {
					if strings.Contains(line, secret) && !strings.HasPrefix(line, "::add-mask::") {
						t.Errorf("%s: the action's log holds the secret's value: %s", st.version, line)
					}
				}
				checkScriptLogs(t, sb.AgentRoot(), secret)
				if st.healthy {
					checkServing(t, name, port, st.version, code, out, log)
					continue
				}
				msg := multiLineOutput(log, "error-message")
				for _, want := range []string{
					"ValidateService", "testapp " + st.version + ": health check failed (HEALTHY=false)",
					"did not answer 2xx within 4 s (health-check-timeout); last status: 503",
				} {
					if !strings.Contains(msg, want) {
						t.Errorf("%s: error-message lacks %q:\n%s", st.version, want, msg)
					}
				}
				if code == exitcode.OK {
					t.Errorf("%s: exit %d, want a failure; log:\n%s", st.version, code, log)
				}
			}
		})
	}
}

// checkServing checks a successful run: the container name runs image-uri,
// answers version on the host's port, and has PORT and the secret in its
// environment from a root-only env file.
func checkServing(t *testing.T, name string, port int, version string, code int, out map[string]string, log string) {
	t.Helper()
	if code != exitcode.OK || out["deployment-status"] != "Succeeded" {
		t.Fatalf("%s: exit %d, status %q; want 0, Succeeded; log:\n%s", version, code, out["deployment-status"], log)
	}
	if got := get(t, fmt.Sprintf("http://127.0.0.1:%d/", port)); got != version+"\n" {
		t.Errorf("GET / = %q, want %s", got, version)
	}
	env := docker(t, "container", "inspect", "--format", `{{join .Config.Env "\n"}}`, name)
	for _, want := range []string{"PORT=" + fmt.Sprint(port), "GREETING=s3cr3t-greeting-value"} {
		if !strings.Contains(env, want+"\n") {
			t.Errorf("%s: the container's environment lacks %s", version, strings.SplitN(want, "=", 2)[0])
		}
	}
	image := docker(t, "container", "inspect", "--format", "{{.Config.Image}}", name)
	if strings.TrimSpace(image) != out["image-uri"] {
		t.Errorf("%s: the container runs %q, want image-uri %q", version, image, out["image-uri"])
	}
	fi, err := os.Stat(filepath.Join(hostEnvDir, name+".env"))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("%s: env file: %v, mode %v; want 0600", version, err, fi)
	}
}

// requireHost skips (fails, under CI=true) without the Docker engine, the
// test app image, the AWS CLI and curl: what the hooks need on the host.
func requireHost(t *testing.T) {
	t.Helper()
	requireDocker(t)
	var missing []string
	for _, tool := range []string{"aws", "curl", "bash"} {
		if _, err := exec.LookPath(tool); err != nil {
			missing = append(missing, tool)
		}
	}
	if err := exec.Command("docker", "image", "inspect", testAppImage).Run(); err != nil {
		missing = append(missing, testAppImage+" (bash .ci/images.sh)")
	}
	if len(missing) > 0 {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI needs %v", missing)
		}
		t.Skipf("missing %v", missing)
	}
}

// freePort returns a loopback TCP port nothing listens on now.
// removeContainers removes the containers the bundle started as name, found
// by the label its start script sets.
func removeContainers(t *testing.T, name string) {
	ids := strings.Fields(docker(t, "container", "ls", "--all", "--quiet", "--filter", "label=bluegreen-deploy.container="+name))
	if len(ids) > 0 {
		docker(t, append([]string{"container", "rm", "--force"}, ids...)...)
	}
}

func get(t *testing.T, url string) string {
	t.Helper()
	c := http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// multiLineOutput reads output name from the log of a run outside Actions,
// where a value's further lines follow its "output name=" line.
func multiLineOutput(log, name string) string {
	_, rest, _ := strings.Cut(log, "\noutput "+name+"=")
	value, _, _ := strings.Cut(rest, "\noutput ")
	return value
}

// checkScriptLogs fails the test when a hook's log under the agent's root
// holds secret.
func checkScriptLogs(t *testing.T, root, secret string) {
	t.Helper()
	n := 0
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || d.Name() != "scripts.log" {
			return err
		}
		n++
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if strings.Contains(string(data), secret) {
			t.Errorf("%s holds the secret's value", p)
		}
		return nil
	})
	if err != nil || n == 0 {
		t.Errorf("reading the hooks' logs under %s: %v (%d found)", root, err, n)
	}
}
