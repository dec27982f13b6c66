package pipeline

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim/awssimtest"
)

// The images .ci/images.sh makes: the proxy of the tests' hosts.
const testProxyImage = "bluegreen-deploy/caddy:2.11.9"

// execTimeScale keeps the default timeout (30 min simulated) above the
// hooks' real time (about a minute at most here).
const execTimeScale = 10

// hostLabel is the label the in-place bundle puts on its containers and network.
const hostLabel = "io.github.bluegreen-deploy.app"

// TestInPlaceBlueGreen deploys v1, v2, then v3 whose health path fails, to
// the in-place group of testdata/sandbox/exec.yaml (this host, hooks run for
// real) through the whole action, while a client sends a request every
// 20 ms to container-port: no request fails, and v2 serves at the end.
func TestInPlaceBlueGreen(t *testing.T) {
	h := newHostDeploy(t)
	h.deploy(t, "v1", true)
	if got := h.get(t); got != "v1" {
		t.Fatalf("after v1: / answers %q", got)
	}

	load := startLoad(h.port, 20*time.Millisecond)
	h.deploy(t, "v2", true)
	st := load.stop()
	t.Logf("v2: %s", st)
	if st.sent < 10 || st.failed > 0 {
		t.Errorf("during v2: %s; want zero failed of at least 10 (first failure: %s)", st, st.firstErr)
	}
	if got := h.get(t); got != "v2" {
		t.Errorf("after v2: / answers %q, want v2", got)
	}

	load = startLoad(h.port, 20*time.Millisecond)
	out, log := h.run(t, "v3", false)
	st = load.stop()
	t.Logf("v3 (failing health path, then the rollback to v2): %s", st)
	if out["deployment-status"] != "Failed" || !strings.Contains(out["error-message"], "ApplicationStart") ||
		!strings.Contains(log, "testapp v3: health check failed") || !strings.Contains(log, "the green colour keeps serving") {
		t.Errorf("v3: deployment-status %q, error-message %q; want Failed at ApplicationStart with the container's log tail; log:\n%s", out["deployment-status"], out["error-message"], log)
	}
	if st.sent < 10 || st.failed > 0 {
		t.Errorf("during v3: %s; want zero failed of at least 10 (first failure: %s)", st, st.firstErr)
	}
	if got := h.get(t); got != "v2" {
		t.Errorf("after v3: / answers %q, want v2", got)
	}
}

// TestInPlaceHooks runs the bundle's scripts on this host without the
// sandbox: a redeploy of the same image and env file starts the kept colour
// again, and a new colour that dies before the switch fails the deployment
// with the live colour serving; no request fails meanwhile.
func TestInPlaceHooks(t *testing.T) {
	requireDocker(t)
	if err := exec.Command("docker", "image", "inspect", testProxyImage, "bluegreen-deploy/testapp:local").Run(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI needs %s (.ci/images.sh): %v", testProxyImage, err)
		}
		t.Skipf("%s is missing: run .ci/images.sh", testProxyImage)
	}
	h := newHooks(t)
	h.run(t, "secrets.sh", "stop.sh", "start.sh", "switch.sh") // blue
	load := startLoad(h.port, 20*time.Millisecond)
	h.run(t, "stop.sh", "start.sh", "switch.sh") // green
	if out := h.run(t, "stop.sh", "start.sh", "switch.sh"); !strings.Contains(out, "starting the kept blue colour") {
		t.Errorf("the third deploy did not start the kept blue colour:\n%s", out)
	}
	h.run(t, "stop.sh", "start.sh") // green, healthy
	exec.Command("docker", "kill", h.name+"-green").Run()
	out, err := h.try("switch.sh")
	if st := load.stop(); st.sent < 10 || st.failed > 0 {
		t.Errorf("%s; want zero failed of at least 10 (first failure: %s)", st, st.firstErr)
	}
	if err == nil || !strings.Contains(out, "is not running") {
		t.Errorf("switch.sh to a dead colour: %v, want a failure naming it; output:\n%s", err, out)
	}
	resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/", h.port))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got, want := resp.Header.Get("X-Bluegreen-Upstream"), fmt.Sprintf("%s-blue:%d", h.name, h.port); got != want {
		t.Errorf("after the failed switch, upstream %q serves; want %s", got, want)
	}
}

// hostDeploy is a sandbox in exec mode (this host is the in-place group's
// instance), a workspace that builds the test app, and a free container-port.
type hostDeploy struct {
	sb   *awssimtest.Sandbox
	ws   string
	name string // container-name: labels every container and network
	port int
}

func newHostDeploy(t *testing.T) *hostDeploy {
	t.Helper()
	requireDocker(t)
	for _, im := range []string{testProxyImage, "bluegreen-deploy/testapp:local"} {
		if err := exec.Command("docker", "image", "inspect", im).Run(); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("CI needs %s (.ci/images.sh makes it)", im)
			}
			t.Skipf("%s is missing: run .ci/images.sh", im)
		}
	}
	// The hooks inherit this process's environment: keep the env file and
	// the proxy's state in the test's folders.
	state := t.TempDir()
	t.Setenv("BLUEGREEN_ENV_DIR", filepath.Join(state, "etc"))
	t.Setenv("BLUEGREEN_STATE_DIR", filepath.Join(state, "lib"))

	h := &hostDeploy{sb: seededSandbox(t, "exec.yaml", execTimeScale), ws: t.TempDir(), port: freePort(t)}
	h.name = fmt.Sprintf("bgt%d", h.port)
	t.Cleanup(func() { os.RemoveAll(h.sb.AgentRoot()) })
	t.Cleanup(func() { removeLabelled(h.name) })

	build := exec.Command("go", "build", "-trimpath", "-o", filepath.Join(h.ws, "testapp"), "../e2e/testapp")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the test app: %v\n%s", err, out)
	}
	dockerfile := "FROM scratch\nCOPY testapp /testapp\nARG VERSION\nARG HEALTHY=true\n" +
		"ENV APP_VERSION=$VERSION HEALTHY=$HEALTHY\nENTRYPOINT [\"/testapp\"]\n"
	if err := os.WriteFile(filepath.Join(h.ws, "Dockerfile"), []byte(dockerfile), 0o644); err != nil {
		t.Fatal(err)
	}
	return h
}

// run builds version (healthy or not), pushes it to the sandbox's ECR and
// deploys it to the in-place group, returning the outputs and the log.
func (h *hostDeploy) run(t *testing.T, version string, healthy bool) (map[string]string, string) {
	t.Helper()
	inputs := map[string]string{
		"ecr-repository": "app", "image-tags": version, "build-cache": "none",
		"build-args":             "VERSION=" + version + "\nHEALTHY=" + strconv.FormatBool(healthy),
		"codedeploy-application": "host", "codedeploy-deployment-group": "host", "s3-bucket": "host-bundles",
		"container-name": h.name, "container-port": strconv.Itoa(h.port),
		"health-check-path": "/health", "health-check-timeout": "5s", "proxy-image": testProxyImage,
	}
	_, out, log := runActionEnv(t, h.sb, inputs, map[string]string{"GITHUB_WORKSPACE": h.ws})
	return out, log
}

// deploy is run that must succeed.
func (h *hostDeploy) deploy(t *testing.T, version string, healthy bool) {
	t.Helper()
	if out, log := h.run(t, version, healthy); out["deployment-status"] != "Succeeded" {
		t.Fatalf("deploying %s: deployment-status %q, error-message %q; log:\n%s", version, out["deployment-status"], out["error-message"], log)
	}
}

// get returns what container-port answers on /.
func (h *hostDeploy) get(t *testing.T) string {
	t.Helper()
	resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/", h.port))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return strings.TrimSpace(string(b))
}

// freePort returns a TCP port nothing listens on.
// removeLabelled removes the containers and networks labelled with app.
func removeLabelled(app string) {
	filter := "label=" + hostLabel + "=" + app
	out, _ := exec.Command("docker", "ps", "--all", "--quiet", "--filter", filter).Output()
	if ids := strings.Fields(string(out)); len(ids) > 0 {
		exec.Command("docker", append([]string{"rm", "--force"}, ids...)...).Run()
	}
	out, _ = exec.Command("docker", "network", "ls", "--quiet", "--filter", filter).Output()
	if ids := strings.Fields(string(out)); len(ids) > 0 {
		exec.Command("docker", append([]string{"network", "rm"}, ids...)...).Run()
	}
}

// load is a client sending GET / every interval until stopped.
type load struct {
	done chan struct{}
	wg   sync.WaitGroup
	st   loadStats
}

// loadStats are a load's figures.
type loadStats struct {
	sent, failed int
	longest      time.Duration
	firstErr     string
}

func (s loadStats) String() string {
	return fmt.Sprintf("%d requests, %d failed, longest %v", s.sent, s.failed, s.longest.Round(time.Millisecond))
}

func startLoad(port int, every time.Duration) *load {
	l := &load{done: make(chan struct{})}
	client := &http.Client{Timeout: 5 * time.Second}
	url := fmt.Sprintf("http://127.0.0.1:%d/", port)
	var mu sync.Mutex
	tick := time.NewTicker(every)
	l.wg.Add(1)
	go func() {
		defer l.wg.Done()
		defer tick.Stop()
		for {
			select {
			case <-l.done:
				return
			case <-tick.C:
			}
			l.wg.Add(1)
			go func() {
				defer l.wg.Done()
				start := time.Now()
				resp, err := client.Get(url)
				if err == nil {
					_, err = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if err == nil && resp.StatusCode != http.StatusOK {
						err = fmt.Errorf("status %s", resp.Status)
					}
				}
				took := time.Since(start)
				mu.Lock()
				defer mu.Unlock()
				l.st.sent++
				l.st.longest = max(l.st.longest, took)
				if err != nil {
					l.st.failed++
					if l.st.firstErr == "" {
						l.st.firstErr = err.Error()
					}
				}
			}()
		}
	}()
	return l
}

// stop ends the load, waits for the requests in flight and returns the figures.
func (l *load) stop() loadStats {
	close(l.done)
	l.wg.Wait()
	return l.st
}
