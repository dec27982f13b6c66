package pipeline

import (
	"fmt"
	"strings"
	"testing"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/exitcode"
)

// TestManyMissingSecretsBounded asks the sandbox for 8000 secrets that do
// not exist: the error lists them all in the log, while the error-message
// output and the job summary stay within GitHub's limits and say how much
// they leave out.
func TestManyMissingSecretsBounded(t *testing.T) {
	t.Parallel()
	sb := secretsSandbox(t)
	ids := make([]string, 8000)
	for i := range ids {
		ids[i] = fmt.Sprintf("app/missing-%04d", i)
	}
	a := runWithRunnerFiles(t, sb, map[string]string{"secrets": strings.Join(ids, "\n"), "export-secrets": "true"})
	if a.code != exitcode.Failed {
		t.Errorf("exit %d, want %d", a.code, exitcode.Failed)
	}
	out := runnerFileVars(t, a.outputs)
	if got := out["error-code"]; got != "FAILED" {
		t.Errorf("error-code %q, want FAILED", got)
	}
	msg := out["error-message"]
	if len(msg) > 16<<10 || !strings.Contains(msg, `secret "app/missing-0000": ResourceNotFoundException`) ||
		!strings.HasSuffix(msg, "more lines not shown)") {
		t.Errorf("error-message has %d bytes (at most 16 KiB), starts %q, ends %q; want the first secrets and a note", len(msg), msg[:min(len(msg), 80)], msg[max(len(msg)-40, 0):])
	}
	if len(a.summary) > 1<<20 || !strings.Contains(a.summary, "more lines not shown)") {
		t.Errorf("summary has %d bytes (at most 1 MiB), note present: %v", len(a.summary), strings.Contains(a.summary, "more lines not shown)"))
	}
	if !strings.Contains(a.stdout, `secret "app/missing-7999"`) {
		t.Errorf("the log lacks the last missing secret")
	}
	if a.env != "" {
		t.Errorf("GITHUB_ENV written: %q", a.env[:min(len(a.env), 200)])
	}
	t.Logf("%d BatchGetSecretValue calls; error-message %d bytes, summary %d bytes", len(batchGetCalls(sb)), len(msg), len(a.summary))
}

// TestHealthCheckPathBadInput runs the action with health-check-paths no
// URL can hold: exit 2 naming the input, nothing sent to AWS.
func TestHealthCheckPathBadInput(t *testing.T) {
	t.Parallel()
	for _, path := range []string{"/health\nz", `/he"alth`, "/a b", "healthz"} {
		sb := secretsSandbox(t)
		a := runWithRunnerFiles(t, sb, map[string]string{
			"image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/app:v1", "codedeploy-application": "app",
			"codedeploy-deployment-group": "g", "container-port": "8080", "s3-bucket": "bkt", "health-check-path": path,
		})
		if a.code != exitcode.BadInput || !strings.Contains(a.stdout, `input "health-check-path"`) {
			t.Errorf("health-check-path %q: exit %d, want %d naming the input; log:\n%s", path, a.code, exitcode.BadInput, a.stdout)
		}
		if n := len(sb.Calls()); n != 0 {
			t.Errorf("health-check-path %q: %d AWS calls, want none", path, n)
		}
	}
}
