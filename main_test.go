package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim/awssimtest"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/exitcode"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/pipeline"
)

// TestBadInputMakesNoAWSCall runs the whole action in-process with invalid
// inputs for every stage against the sandbox, and checks that it exits with
// exitcode.BadInput having sent the sandbox nothing.
func TestBadInputMakesNoAWSCall(t *testing.T) {
	t.Parallel()
	sb := awssimtest.Start(t, awssim.Options{})
	env := sb.Env()
	for k, v := range map[string]string{
		"GITHUB_WORKSPACE":                  t.TempDir(),
		"GITHUB_SHA":                        "0123456789abcdef0123456789abcdef01234567",
		"INPUT_SECRETS":                     "DB,prod/db\nab*",
		"INPUT_ECR-REPOSITORY":              "team/app",
		"INPUT_CODEDEPLOY-APPLICATION":      "app",
		"INPUT_CODEDEPLOY-DEPLOYMENT-GROUP": "app-prod",
		"INPUT_TIMEOUT":                     "90x",
	} {
		env[k] = v
	}
	var out bytes.Buffer
	code := run(context.Background(), nil, pipeline.Env{Getenv: func(k string) string { return env[k] }, Stdout: &out})
	if code != exitcode.BadInput {
		t.Errorf("exit code = %d, want %d\n%s", code, exitcode.BadInput, out.String())
	}
	for _, want := range []string{`input "secrets"`, `input "timeout"`, "output error-code=INVALID_INPUT"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	if calls := sb.Calls(); len(calls) != 0 {
		t.Errorf("the sandbox got %d calls, want none: %+v", len(calls), calls)
	}
}

// TestBinaryOutsideActions runs the built binary with no GITHUB_* files set:
// it must not panic, and prints its outputs to stdout.
func TestBinaryOutsideActions(t *testing.T) {
	t.Parallel()
	bin := buildBinary(t)
	cmd := exec.Command(bin)
	cmd.Dir = t.TempDir()
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "INPUT_COMMAND=status", "INPUT_DEPLOYMENT-ID=bad"}
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != exitcode.BadInput {
		t.Fatalf("exit = %v, want code %d\n%s", err, exitcode.BadInput, out)
	}
	if bytes.Contains(out, []byte("panic")) {
		t.Errorf("the binary panicked:\n%s", out)
	}
	for _, want := range []string{`input "deployment-id"`, "output error-code=INVALID_INPUT", "output error-message="} {
		if !bytes.Contains(out, []byte(want)) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}
