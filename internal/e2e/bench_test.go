package e2e

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim"
	awssimsandbox "github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim/sandbox"
)

// BenchmarkActionContainer runs the action's image as the runner does (a
// fresh container per step, here fetching one secret from the sandbox) and
// reports the time from the container's start to its first AWS request, and
// the image's size.
func BenchmarkActionContainer(b *testing.B) {
	image := actionImage(b)
	ctx := context.Background()
	size, err := ImageSize(ctx, image)
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("image %s: %.2f MB compressed (gzip, as pulled), %.2f MB uncompressed",
		image, float64(size.Compressed)/1e6, float64(size.Uncompressed)/1e6)

	// The sandbox, behind a handler that notes when a request first arrives.
	var first atomic.Pointer[time.Time]
	srv := awssimsandbox.New(awssim.Options{})
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		now := time.Now()
		first.CompareAndSwap(nil, &now)
		srv.ServeHTTP(w, r)
	}))
	defer hs.Close()
	srv.SetHost(strings.TrimPrefix(hs.URL, "http://"))
	err = srv.Apply(awssim.Scenario{Seed: []awssim.SeedCall{{
		Service: "secretsmanager", Operation: "CreateSecret",
		Input: map[string]any{"Name": "web/db", "SecretString": "bench"},
	}}})
	if err != nil {
		b.Fatal(err)
	}

	create := []string{"create", "--network", "host",
		"-e", "INPUT_SECRETS=web/db",
		"-e", "AWS_ENDPOINT_URL=" + hs.URL,
		"-e", "AWS_REGION=us-east-1",
		"-e", "AWS_ACCESS_KEY_ID=AKIASANDBOX",
		"-e", "AWS_SECRET_ACCESS_KEY=sandbox-secret",
		image}
	var fromEngine, fromClient time.Duration
	for b.Loop() {
		first.Store(nil)
		id := docker(b, create...)
		begin := time.Now()
		docker(b, "start", "--attach", id)
		started, err := time.Parse(time.RFC3339Nano, docker(b, "inspect", "--format", "{{.State.StartedAt}}", id))
		if err != nil {
			b.Fatal(err)
		}
		docker(b, "rm", id)
		at := first.Load()
		if at == nil {
			b.Fatal("the action made no AWS request")
		}
		fromEngine += at.Sub(started)
		fromClient += at.Sub(begin)
	}
	n := float64(b.N)
	b.ReportMetric(float64(fromEngine.Milliseconds())/n, "ms-start-to-first-request")
	b.ReportMetric(float64(fromClient.Milliseconds())/n, "ms-docker-start-to-first-request")
	b.ReportMetric(float64(size.Compressed)/1e6, "MB-compressed")
}

// docker runs a docker command and returns its trimmed output.
func docker(b *testing.B, args ...string) string {
	b.Helper()
	out, err := exec.Command("docker", args...).CombinedOutput()
	if err != nil {
		b.Fatalf("docker %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}
