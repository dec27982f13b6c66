package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim/awssimtest"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/config"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/exitcode"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/pipeline"
)

// TestInputsAsPeopleTypeThem runs the action in-process outside Actions with
// inputs spelled as a shell allows: INPUT_ON_READY=pause leaves the
// deployment at Ready; a misspelt INPUT_ON_READDY=pause is warned about with
// the nearest input's name, and the default (continue) applies.
func TestInputsAsPeopleTypeThem(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		vars       map[string]string
		wantStatus string
		wantWarn   string
	}{
		{"underscore spelling", map[string]string{"INPUT_ON_READY": "pause", "INPUT_CODEDEPLOY_DEPLOYMENT_GROUP": "ready"}, "Ready", ""},
		{"misspelt", map[string]string{"INPUT_ON_READDY": "pause", "INPUT_CODEDEPLOY-DEPLOYMENT-GROUP": "bg"}, "Succeeded",
			"warning: INPUT_ON_READDY names no input of the action: did you mean on-ready (INPUT_ON-READY)?"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			sb := awssimtest.Start(t, awssim.Options{TimeScale: awssim.DefaultTimeScale})
			sc, err := awssim.LoadScenario(filepath.Join("testdata", "sandbox", "server.yaml"))
			if err != nil {
				t.Fatal(err)
			}
			if err := sb.Apply(sc); err != nil {
				t.Fatal(err)
			}
			ws, err := filepath.Abs(".")
			if err != nil {
				t.Fatal(err)
			}
			env := sb.Env()
			env["GITHUB_WORKSPACE"] = ws
			env["GITHUB_SHA"] = "0123456789abcdef0123456789abcdef01234567"
			env["INPUT_IMAGE"] = sb.PushImage(t, "web")
			env["INPUT_CODEDEPLOY_APPLICATION"] = "web"
			env["INPUT_S3_BUCKET"] = "web-bundles"
			env["INPUT_CONTAINER_PORT"] = "8080"
			for k, v := range tt.vars {
				env[k] = v
			}
			var environ []string
			for k, v := range env {
				environ = append(environ, k+"="+v)
			}
			var stdout bytes.Buffer
			code := run(context.Background(), nil, pipeline.Env{
				Getenv:  func(k string) string { return env[k] },
				Environ: func() []string { return environ },
				Stdout:  &stdout,
			})
			log := stdout.String()
			if code != exitcode.OK || !strings.Contains(log, "output deployment-status="+tt.wantStatus+"\n") {
				t.Errorf("exit %d, want 0 with deployment-status=%s; log:\n%s", code, tt.wantStatus, log)
			}
			var warnings []string
			for line := range strings.Lines(log) {
				if strings.HasPrefix(line, "warning: ") { // outside Actions, annotations render for a terminal
					warnings = append(warnings, strings.TrimSpace(line))
				}
			}
			if want := []string{tt.wantWarn}; tt.wantWarn == "" && len(warnings) != 0 || tt.wantWarn != "" && (len(warnings) != 1 || warnings[0] != tt.wantWarn) {
				t.Errorf("warnings = %q, want %q", warnings, want)
			}
		})
	}
}

// TestHelpAndVersion runs the built binary with --help, --version and an
// argument it does not take.
func TestHelpAndVersion(t *testing.T) {
	t.Parallel()
	bin := filepath.Join(t.TempDir(), "bluegreen-deploy")
	if out, err := exec.Command("go", "build", "-ldflags", "-X main.version=v9.8.7-test", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	plain := buildBinary(t) // no -ldflags: the build info's version
	var wantHelp []string
	for _, in := range config.Inputs {
		wantHelp = append(wantHelp, in.Name, config.InputKey(in.Name))
	}
	tests := []struct {
		bin      string
		args     []string
		wantCode int
		want     []string
	}{
		{bin, []string{"--version"}, 0, []string{"bluegreen-deploy v9.8.7-test\n"}},
		{plain, []string{"--version"}, 0, []string{"bluegreen-deploy (devel)"}},
		{bin, []string{"--help"}, 0, append(wantHelp, "bluegreen-deploy v9.8.7-test:", "env 'INPUT_PARSE-JSON-SECRETS=true'", "INPUT_PARSE_JSON_SECRETS=true")},
		{bin, []string{"deploy"}, exitcode.BadInput, []string{"not arguments"}},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			cmd := exec.Command(tt.bin, tt.args...)
			cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
			out, _ := cmd.CombinedOutput()
			if code := cmd.ProcessState.ExitCode(); code != tt.wantCode {
				t.Errorf("exit %d, want %d\n%s", code, tt.wantCode, out)
			}
			for _, want := range tt.want {
				if !bytes.Contains(out, []byte(want)) {
					t.Errorf("output lacks %q:\n%s", want, out)
				}
			}
		})
	}
}
