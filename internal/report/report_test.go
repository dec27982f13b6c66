package report

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// newTestReporter returns a Reporter whose runner files live in a temp dir.
func newTestReporter(t *testing.T) (*Reporter, *bytes.Buffer, map[string]string) {
	t.Helper()
	dir := t.TempDir()
	env := map[string]string{
		"GITHUB_OUTPUT":       filepath.Join(dir, "output"),
		"GITHUB_STEP_SUMMARY": filepath.Join(dir, "summary"),
		"GITHUB_ENV":          filepath.Join(dir, "env"),
	}
	var out bytes.Buffer
	return New(func(k string) string { return env[k] }, &out), &out, env
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	return string(data)
}

func TestOutputWritesChangesOnly(t *testing.T) {
	t.Parallel()
	rep, _, env := newTestReporter(t)
	rep.Output("deployment-id", "d-A1B2C3D4E")
	rep.Output("deployment-id", "d-A1B2C3D4E")
	rep.Output("deployment-status", "InProgress")
	rep.Output("deployment-status", "Succeeded")
	got := readFile(t, env["GITHUB_OUTPUT"])
	if n := strings.Count(got, "deployment-id<<"); n != 1 {
		t.Errorf("deployment-id written %d times, want once:\n%s", n, got)
	}
	if n := strings.Count(got, "deployment-status<<"); n != 2 {
		t.Errorf("deployment-status written %d times, want twice (it changed):\n%s", n, got)
	}
	if want := map[string]string{"deployment-id": "d-A1B2C3D4E", "deployment-status": "Succeeded"}; !reflect.DeepEqual(rep.Outputs(), want) {
		t.Errorf("Outputs() = %v, want %v", rep.Outputs(), want)
	}
}

func TestMaskLeavesOutputsAndSummaryAlone(t *testing.T) {
	t.Parallel()
	tests := []struct {
		runner bool
		want   string
	}{
		{true, "::add-mask::true\n::add-mask::d\n"},
		{false, ""}, // nothing reads ::add-mask:: there: it would print the value
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint("runner=", tt.runner), func(t *testing.T) {
			t.Parallel()
			rep, out, env := newTestReporter(t)
			rep.UnderRunner(tt.runner)
			rep.Mask("true")
			rep.Mask("d")
			rep.Mask("")
			rep.Output("image-pushed", "true")
			rep.Output("deployment-id", "d-A1B2C3D4E")
			rep.Summary("Deployment `d-A1B2C3D4E` is Succeeded.\n")
			want := map[string]string{"image-pushed": "true", "deployment-id": "d-A1B2C3D4E"}
			if got := rep.Outputs(); !reflect.DeepEqual(got, want) {
				t.Errorf("Outputs() = %v, want %v", got, want)
			}
			if got := readFile(t, env["GITHUB_OUTPUT"]); strings.Contains(got, "***") {
				t.Errorf("GITHUB_OUTPUT was rewritten:\n%s", got)
			}
			if got, want := readFile(t, env["GITHUB_STEP_SUMMARY"]), "Deployment `d-A1B2C3D4E` is Succeeded.\n\n"; got != want {
				t.Errorf("summary = %q, want %q", got, want)
			}
			if got := out.String(); got != tt.want {
				t.Errorf("commands = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestOutsideActions(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	rep := New(func(string) string { return "" }, &out)
	rep.Output("image-pushed", "true")
	rep.Summary("# not written")
	if ok := rep.ExportEnv("A", "b"); ok {
		t.Error("ExportEnv() outside Actions = true, want false")
	}
	if got, want := out.String(), "output image-pushed=true\n"; got != want {
		t.Errorf("stdout = %q, want %q", got, want)
	}
}

func TestFileErrorf(t *testing.T) {
	t.Parallel()
	tests := []struct {
		file string
		line int
		want string
	}{
		{"deploy/appspec.yml", 12, "::error file=deploy/appspec.yml,line=12::bad hook\n"},
		{"Dockerfile", 0, "::error file=Dockerfile::bad hook\n"},
	}
	for _, tt := range tests {
		rep, out, _ := newTestReporter(t)
		rep.FileErrorf(tt.file, tt.line, "bad %s", "hook")
		if got := out.String(); got != tt.want {
			t.Errorf("FileErrorf(%q, %d) wrote %q, want %q", tt.file, tt.line, got, tt.want)
		}
	}
}

func TestOutputResult(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		res  Result
		want map[string]string
	}{
		"nothing yet": {Result{Start: t0}, map[string]string{}},
		"secrets and image": {
			Result{Secrets: []string{"A", "B_C"}, Image: &Image{URI: "r/app@sha256:1", Digest: "sha256:1", Tags: []string{"v1", "latest"}}},
			map[string]string{"secrets": "A,B_C", "image-uri": "r/app@sha256:1", "image-digest": "sha256:1", "image-tags": "v1,latest", "image-pushed": "false"},
		},
		"deployment just created": {
			Result{Deploy: &Deployment{ID: "d-A1B2C3D4E", URL: "https://console", Status: "Created"}},
			map[string]string{"deployment-id": "d-A1B2C3D4E", "deployment-url": "https://console", "deployment-status": "Created"},
		},
		"finished": {
			Result{
				Start: t0, End: t0.Add(61600 * time.Millisecond),
				Deploy: &Deployment{ID: "d-A1B2C3D4E", Status: "Failed", RollbackID: "d-B2C3D4E5F", What: what("arn:td:3", "", "sha256:9")},
				GitHub: &GitHubDeployment{ID: 99},
			},
			map[string]string{
				"deployment-id": "d-A1B2C3D4E", "deployment-status": "Failed", "rollback-deployment-id": "d-B2C3D4E5F",
				"task-definition-arn": "arn:td:3", "revision-location": "sha256:9", "github-deployment-id": "99", "duration-seconds": "62",
			},
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			rep, _, _ := newTestReporter(t)
			rep.OutputResult(&tt.res)
			if got := rep.Outputs(); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("outputs = %v, want %v", got, tt.want)
			}
		})
	}
}

type codedError struct{ code string }

func (e codedError) Error() string     { return "api error " + e.code }
func (e codedError) ErrorCode() string { return e.code }

func TestExplain(t *testing.T) {
	t.Parallel()
	tail := strings.Repeat("line\n", 30) + "last line\n"
	failed := &Deployment{
		ID: "d-A1B2C3D4E", Status: "Failed", RollbackID: "d-B2C3D4E5F", ErrorCode: "HOOK_EXECUTION_FAILURE",
		ErrorMessage: "one or more lifecycle event hooks failed",
		Failure: &Diagnostics{
			Target: "i-01", Event: "ValidateService", ErrorCode: "ScriptFailed", Script: "scripts/health.sh",
			Message: "exit code 7", LogTail: tail, File: "appspec.yml", Line: 9,
		},
	}
	tests := map[string]struct {
		res    Result
		want   Failure
		wantOK bool
	}{
		"deployed": {res: Result{Outcome: OutcomeDeployed}},
		"rolled back with diagnostics": {
			res: Result{Outcome: OutcomeRolledBack, Deploy: failed},
			want: Failure{
				Code: "HOOK_EXECUTION_FAILURE", File: "appspec.yml", Line: 9,
				Message: "one or more lifecycle event hooks failed\n" +
					"ValidateService failed on i-01 (ScriptFailed), script scripts/health.sh: exit code 7\n" +
					"log tail:\n" + strings.Repeat("line\n", 19) + "last line",
			},
			wantOK: true,
		},
		"error names the event": {
			res: Result{Outcome: OutcomeRolledBack, Err: errors.New("deployment d-A1B2C3D4E ended Failed (ValidateService on i-01, script scripts/health.sh, ScriptFailed)"), Deploy: failed},
			want: Failure{
				Code: "HOOK_EXECUTION_FAILURE", File: "appspec.yml", Line: 9,
				Message: "deployment d-A1B2C3D4E ended Failed (ValidateService on i-01, script scripts/health.sh, ScriptFailed)\n" +
					"exit code 7\nlog tail:\n" + strings.Repeat("line\n", 19) + "last line",
			},
			wantOK: true,
		},
		"rolled back, nothing said": {
			res:    Result{Outcome: OutcomeRolledBack, Deploy: &Deployment{ID: "d-A1B2C3D4E", Status: "Stopped"}},
			want:   Failure{Code: "ROLLED_BACK", Message: "deployment d-A1B2C3D4E ended Stopped (rolled back)"},
			wantOK: true,
		},
		"Dockerfile to blame": {
			res:    Result{Outcome: OutcomeFailed, Err: &FileError{File: "/ws/Dockerfile", Line: 3, Err: errors.New("unknown instruction RUNN")}},
			want:   Failure{Code: "FAILED", Message: "/ws/Dockerfile:3: unknown instruction RUNN", File: "/ws/Dockerfile", Line: 3},
			wantOK: true,
		},
		"AWS error code": {
			res:    Result{Outcome: OutcomeFailed, Err: errors.Join(errors.New("pushing"), codedError{"AccessDeniedException"})},
			want:   Failure{Code: "AccessDeniedException", Message: "pushing\napi error AccessDeniedException"},
			wantOK: true,
		},
		"cancelled": {
			res:    Result{Outcome: OutcomeCancelled, Err: errors.New("context canceled"), Deploy: failed},
			want:   Failure{Code: "CANCELLED", File: "appspec.yml", Line: 9, Message: "context canceled\nValidateService failed on i-01 (ScriptFailed), script scripts/health.sh: exit code 7\nlog tail:\n" + strings.Repeat("line\n", 19) + "last line"},
			wantOK: true,
		},
		"timed out": {
			res:    Result{Outcome: OutcomeTimedOut, Err: errors.New("waiting: context deadline exceeded")},
			want:   Failure{Code: "TIMEOUT", Message: "waiting: context deadline exceeded"},
			wantOK: true,
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got, ok := Explain(&tt.res)
			if ok != tt.wantOK || got != tt.want {
				t.Errorf("Explain() = %+v, %v\nwant        %+v, %v", got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

func TestWorkflowCommands(t *testing.T) {
	t.Parallel()
	rep, out, _ := newTestReporter(t)
	rep.Group("Deploying d-A1B2C3D4E")
	rep.Infof("%s: %s", "i-01", "Install Succeeded")
	rep.EndGroup()
	rep.Noticef("paused at %s", "Ready")
	rep.Warningf("rolled back by %s", "d-B2C3D4E5F")
	rep.Errorf("deployment %s failed", "d-A1B2C3D4E")
	want := "::group::Deploying d-A1B2C3D4E\n" +
		"i-01: Install Succeeded\n" +
		"::endgroup::\n" +
		"::notice::paused at Ready\n" +
		"::warning::rolled back by d-B2C3D4E5F\n" +
		"::error::deployment d-A1B2C3D4E failed\n"
	if got := out.String(); got != want {
		t.Errorf("commands:\n%s\nwant:\n%s", got, want)
	}
}

// TestExportEnvDelimiterInjection checks that a value holding go-githubactions'
// fixed delimiter cannot set a second variable in GITHUB_ENV.
func TestExportEnvDelimiterInjection(t *testing.T) {
	t.Parallel()
	envFile := filepath.Join(t.TempDir(), "env")
	rep := New(func(k string) string {
		if k == "GITHUB_ENV" {
			return envFile
		}
		return ""
	}, io.Discard)
	value := "line1\n_GitHubActionsFileCommandDelimeter_\nNODE_OPTIONS=--require=/tmp/evil.js\nX<<_GitHubActionsFileCommandDelimeter_\ny"
	if !rep.ExportEnv("SECRET", value) {
		t.Fatal("ExportEnv = false")
	}
	data, err := os.ReadFile(envFile)
	if err != nil {
		t.Fatal(err)
	}
	got := parseFileCommands(t, string(data))
	if len(got) != 1 || got["SECRET"] != value {
		t.Errorf("GITHUB_ENV sets %q, want only SECRET with the whole value", got)
	}
}

// parseFileCommands reads a runner file as the runner does (name<<delimiter blocks).
func parseFileCommands(t *testing.T, data string) map[string]string {
	t.Helper()
	vars := map[string]string{}
	lines := strings.Split(strings.TrimSuffix(data, "\n"), "\n")
	for i := 0; i < len(lines); i++ {
		name, delim, ok := strings.Cut(lines[i], "<<")
		if !ok {
			t.Fatalf("line %d: %q is not name<<delimiter", i+1, lines[i])
		}
		var value []string
		for i++; i < len(lines) && lines[i] != delim; i++ {
			value = append(value, lines[i])
		}
		if i == len(lines) {
			t.Fatalf("no closing delimiter %q", delim)
		}
		vars[name] = strings.Join(value, "\n")
	}
	return vars
}

// TestOutputUndeclared checks that the writer sets only the outputs
// action.yml declares (Outputs).
func TestOutputUndeclared(t *testing.T) {
	t.Parallel()
	rep := New(func(string) string { return "" }, io.Discard)
	defer func() {
		if recover() == nil {
			t.Error("Output(deployment-ids) did not panic, want a refusal of the undeclared name")
		}
	}()
	rep.Output("deployment-ids", "d-A1B2C3D4E")
}
