package pipeline

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim/awssimtest"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/config"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/exitcode"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/report"
)

func TestFinish(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		cancel      bool
		err         error
		res         report.Result
		wantCode    int
		wantOutputs map[string]string
		wantLog     []string // lines stdout must hold
		wantSummary string   // the summary's first line
	}{
		"deployed": {
			res:         report.Result{Outcome: report.OutcomeDeployed, Deploy: &report.Deployment{ID: "d-A1B2C3D4E", URL: "https://console.example/d-A1B2C3D4E", Status: "Succeeded"}},
			wantCode:    exitcode.OK,
			wantOutputs: map[string]string{"deployment-id": "d-A1B2C3D4E", "deployment-status": "Succeeded", "deployment-url": "https://console.example/d-A1B2C3D4E"},
			wantSummary: "## ✅ Deployed in",
		},
		"paused at Ready": {
			res:         report.Result{Deploy: &report.Deployment{ID: "d-A1B2C3D4E", Status: "Ready"}},
			wantCode:    exitcode.OK,
			wantOutputs: map[string]string{"deployment-status": "Ready"},
			wantSummary: "## ⏸️ Paused at Ready after",
		},
		"rolled back": {
			err: errors.New("deployment d-A1B2C3D4E failed"),
			res: report.Result{Outcome: report.OutcomeRolledBack, Deploy: &report.Deployment{
				ID: "d-A1B2C3D4E", Status: "Failed", RollbackID: "d-B2C3D4E5F", ErrorCode: "HOOK_EXECUTION_FAILURE",
				Failure: &report.Diagnostics{Target: "i-01", Event: "AfterInstall", ErrorCode: "ScriptFailed", File: "/github/workspace/deploy/appspec.yml", Line: 4},
			}},
			wantCode:    exitcode.Failed,
			wantOutputs: map[string]string{"error-code": "HOOK_EXECUTION_FAILURE", "rollback-deployment-id": "d-B2C3D4E5F", "error-message": "deployment d-A1B2C3D4E failed\nAfterInstall failed on i-01 (ScriptFailed)"},
			wantLog:     []string{"::error file=deploy/appspec.yml,line=4::deployment d-A1B2C3D4E failed%0AAfterInstall failed on i-01 (ScriptFailed)"},
			wantSummary: "## ↩️ Rolled back after",
		},
		"build failed on the Dockerfile": {
			err:         &report.FileError{File: "/github/workspace/app/Dockerfile", Line: 2, Err: errors.New("unknown instruction")},
			wantCode:    exitcode.Failed,
			wantOutputs: map[string]string{"error-code": "FAILED"},
			wantLog:     []string{"::error file=app/Dockerfile,line=2::app/Dockerfile:2: unknown instruction"},
			wantSummary: "## ❌ Failed after",
		},
		"cancelled": {
			cancel:      true,
			err:         fmt.Errorf("watching: %w", context.Canceled),
			res:         report.Result{Deploy: &report.Deployment{ID: "d-A1B2C3D4E", Status: "Stopped", RollbackID: "d-B2C3D4E5F"}},
			wantCode:    exitcode.Failed,
			wantOutputs: map[string]string{"error-code": "CANCELLED", "error-message": "watching: context canceled"},
			wantLog:     []string{"::error::watching: context canceled"},
			wantSummary: "## 🚫 Cancelled after",
		},
		"secrets only": {
			res:         report.Result{Secrets: []string{"DB_PASSWORD"}},
			wantCode:    exitcode.OK,
			wantOutputs: map[string]string{"secrets": "DB_PASSWORD"},
			wantSummary: "## ✅ Done in",
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			tr := newTestRun(t, &config.Config{}, nil)
			start := tr.result.Start
			*tr.result = tt.res
			tr.result.Start = start
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if tt.cancel {
				cancel()
			}
			if code := tr.finish(ctx, tt.err); code != tt.wantCode {
				t.Errorf("finish() = %d, want %d", code, tt.wantCode)
			}
			outputs := tr.rep.Outputs()
			for k, want := range tt.wantOutputs {
				if outputs[k] != want {
					t.Errorf("output %s = %q, want %q", k, outputs[k], want)
				}
			}
			if _, ok := outputs["duration-seconds"]; !ok {
				t.Error("duration-seconds is not set")
			}
			if tt.wantCode == exitcode.OK && (outputs["error-code"] != "" || strings.Contains(tr.out.String(), "::error")) {
				t.Errorf("a successful run reports an error:\n%s", tr.out.String())
			}
			for _, line := range tt.wantLog {
				if !strings.Contains(tr.out.String(), line+"\n") {
					t.Errorf("stdout lacks %q:\n%s", line, tr.out.String())
				}
			}
			got := tr.summary(t)
			if !strings.HasPrefix(got, tt.wantSummary) {
				t.Errorf("summary starts %q, want %q", strings.SplitN(got, "\n", 2)[0], tt.wantSummary)
			}
			if strings.Contains(got, "/github/workspace") {
				t.Errorf("summary shows an absolute workspace path:\n%s", got)
			}
		})
	}
}

// TestRunReports runs the whole action in-process against the sandbox and
// reads what it leaves for the workflow: the summary names the secrets and
// never holds their values, and a failed run still leaves a summary.
func TestRunReports(t *testing.T) {
	t.Parallel()
	const value = "s3cr3t-Value-42"
	tests := map[string]struct {
		denied      []string
		wantCode    int
		wantSummary string
		wantOutputs []string
	}{
		"secrets fetched": {wantCode: exitcode.OK, wantSummary: "## ✅ Done in", wantOutputs: []string{"secrets", "duration-seconds"}},
		"secret denied":   {denied: []string{"prod/db"}, wantCode: exitcode.Failed, wantSummary: "## ❌ Failed after", wantOutputs: []string{"error-code", "error-message", "duration-seconds"}},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			sb := awssimtest.Start(t, awssim.Options{})
			if err := sb.Apply(awssim.Scenario{
				Seed: []awssim.SeedCall{
					{Service: "secretsmanager", Operation: "CreateSecret", Input: map[string]any{"Name": "prod/db", "SecretString": value}},
				},
				DeniedSecrets: tt.denied,
			}); err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			env := sb.Env()
			env["GITHUB_WORKSPACE"] = dir
			env["GITHUB_OUTPUT"] = filepath.Join(dir, "output")
			env["GITHUB_STEP_SUMMARY"] = filepath.Join(dir, "summary")
			env["INPUT_SECRETS"] = "DB_PASSWORD,prod/db"
			var out bytes.Buffer
			code := Run(context.Background(), Env{Getenv: func(k string) string { return env[k] }, Stdout: &out})
			if code != tt.wantCode {
				t.Errorf("Run() = %d, want %d\n%s", code, tt.wantCode, out.String())
			}
			summary, err := os.ReadFile(env["GITHUB_STEP_SUMMARY"])
			if err != nil {
				t.Fatalf("no summary: %v", err)
			}
			if !strings.HasPrefix(string(summary), tt.wantSummary) {
				t.Errorf("summary starts %q, want %q", strings.SplitN(string(summary), "\n", 2)[0], tt.wantSummary)
			}
			if tt.wantCode == exitcode.OK && !strings.Contains(string(summary), "`DB_PASSWORD`") {
				t.Errorf("summary does not name the secret:\n%s", summary)
			}
			outputs, err := os.ReadFile(env["GITHUB_OUTPUT"])
			if err != nil {
				t.Fatalf("no outputs: %v", err)
			}
			for _, o := range tt.wantOutputs {
				if !strings.Contains(string(outputs), o+"<<") {
					t.Errorf("output %s is not set:\n%s", o, outputs)
				}
			}
			for what, text := range map[string]string{"summary": string(summary), "outputs": string(outputs), "log": out.String()} {
				if strings.Contains(strings.ReplaceAll(text, "::add-mask::"+value+"\n", ""), value) {
					t.Errorf("the secret value is in the %s:\n%s", what, text)
				}
			}
		})
	}
}
