package pipeline

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/deploy/inplace"
)

// BenchmarkInPlaceSwitch measures what a client sending a request every
// 20 ms sees while a new version replaces the running one on this host:
// the generated bundle's hooks (start the new colour, wait for its health,
// switch Caddy, drain and stop the old), beside the way that inspired it
// (stop the old container, start the new one, sleep 10 s). Run it with
// -bench InPlaceSwitch -benchtime 1x.
func BenchmarkInPlaceSwitch(b *testing.B) {
	if err := exec.Command("docker", "image", "inspect", testProxyImage, "bluegreen-deploy/testapp:local").Run(); err != nil {
		if os.Getenv("CI") == "true" {
			b.Fatalf("CI needs the Docker engine and %s (.ci/images.sh): %v", testProxyImage, err)
		}
		b.Skipf("no Docker engine or %s (.ci/images.sh): %v", testProxyImage, err)
	}
	b.Run("bluegreen-deploy", func(b *testing.B) {
		h := newHooks(b)
		h.run(b, "secrets.sh", "start.sh", "switch.sh")
		measure(b, h.port, func() { h.run(b, "stop.sh", "start.sh", "switch.sh") })
	})
	b.Run("stop-start-sleep10", func(b *testing.B) {
		port := freePort(b)
		name := fmt.Sprintf("bgb%d", port)
		b.Cleanup(func() { removeLabelled(name) })
		run := func() {
			docker(b, "run", "--detach", "--name", name, "--label", hostLabel+"="+name, "--env", "PORT=8080",
				"--publish", strconv.Itoa(port)+":8080", "bluegreen-deploy/testapp:local")
		}
		run()
		waitFor(b, port)
		measure(b, port, func() {
			docker(b, "stop", name)
			docker(b, "rm", name)
			run()
			time.Sleep(10 * time.Second)
		})
	})
}

// hooks is the generated bundle of the test app unpacked on this host, its
// scripts run as the agent would run them, without the sandbox.
type hooks struct {
	dir, name string
	port      int
}

func newHooks(tb testing.TB) *hooks {
	tb.Helper()
	h := &hooks{port: freePort(tb)}
	h.name = fmt.Sprintf("bgh%d", h.port)
	tb.Cleanup(func() { removeLabelled(h.name) })
	h.dir = unzipBundle(tb, inplace.Input{
		ImageURI: "bluegreen-deploy/testapp:local", ContainerName: h.name, ContainerPort: h.port,
		HealthCheckPath: "/health", HealthCheckTimeout: 5 * time.Second, ProxyImage: testProxyImage,
	})
	return h
}

// run runs the scripts in order and returns their output; one that fails
// fails tb.
func (h *hooks) run(tb testing.TB, scripts ...string) string {
	tb.Helper()
	out, err := h.try(scripts...)
	if err != nil {
		tb.Fatalf("%v\n%s", err, out)
	}
	return out
}

// try runs the scripts in order until one fails.
func (h *hooks) try(scripts ...string) (string, error) {
	var all []byte
	for _, s := range scripts {
		cmd := exec.Command("bash", filepath.Join(h.dir, "scripts", s))
		cmd.Env = append(os.Environ(), "BLUEGREEN_ENV_DIR="+filepath.Join(h.dir, "etc"), "BLUEGREEN_STATE_DIR="+filepath.Join(h.dir, "lib"))
		out, err := cmd.CombinedOutput()
		all = append(all, out...)
		if err != nil {
			return string(all), fmt.Errorf("%s: %w", s, err)
		}
	}
	return string(all), nil
}

// measure runs deploy b.N times under a request every 20 ms to port and
// reports the figures.
func measure(b *testing.B, port int, deploy func()) {
	b.Helper()
	var total loadStats
	b.ResetTimer()
	for range b.N {
		l := startLoad(port, 20*time.Millisecond)
		deploy()
		st := l.stop()
		total.sent += st.sent
		total.failed += st.failed
		total.longest = max(total.longest, st.longest)
		if total.firstErr == "" {
			total.firstErr = st.firstErr
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(total.sent)/float64(b.N), "requests/op")
	b.ReportMetric(float64(total.failed)/float64(b.N), "failed/op")
	b.ReportMetric(float64(total.longest.Milliseconds()), "longest-ms")
	b.Logf("%s: %s (first failure: %s)", b.Name(), total, total.firstErr)
}

// unzipBundle writes the generated bundle into a new folder.
func unzipBundle(b testing.TB, in inplace.Input) string {
	b.Helper()
	data, err := inplace.Bundle(in)
	if err != nil {
		b.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		b.Fatal(err)
	}
	dir := b.TempDir()
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			b.Fatal(err)
		}
		body, _ := io.ReadAll(rc)
		rc.Close()
		p := filepath.Join(dir, filepath.FromSlash(f.Name))
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, body, f.Mode()); err != nil {
			b.Fatal(err)
		}
	}
	return dir
}

// waitFor waits until port answers.
func waitFor(b *testing.B, port int) {
	b.Helper()
	for range 100 {
		if exec.Command("curl", "--silent", "--fail", "--output", "/dev/null", fmt.Sprintf("http://127.0.0.1:%d/", port)).Run() == nil {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	b.Fatalf("port %d does not answer", port)
}
