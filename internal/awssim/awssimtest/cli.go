package awssimtest

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// CLI runs the AWS CLI against the sandbox and returns its standard output,
// or its output and standard error with the error. Without the CLI the test
// is skipped, or fails in CI (CI=true).
func (s *Sandbox) CLI(t testing.TB, args ...string) (string, error) {
	t.Helper()
	if _, err := exec.LookPath("aws"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("the AWS CLI is required in CI")
		}
		t.Skip("aws not found")
	}
	cmd := exec.Command("aws", args...)
	cmd.Env = append(os.Environ(), "AWS_PAGER=", "AWS_DEFAULT_REGION="+s.Region,
		"AWS_CONFIG_FILE="+filepath.Join(t.TempDir(), "config"), "AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(t.TempDir(), "credentials"))
	for k, v := range s.Env() {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return string(out) + stderr.String(), err
	}
	return string(out), nil
}

// DeployStack runs `aws cloudformation deploy` of a template file with
// parameters (Key=Value) and returns the stack's status and outputs. The
// capability is the one the template's header asks for (CAPABILITY_NAMED_IAM
// when it names it, else CAPABILITY_IAM).
func (s *Sandbox) DeployStack(t testing.TB, stack, file string, params ...string) (string, map[string]string) {
	t.Helper()
	capability := "CAPABILITY_IAM"
	if head, _ := os.ReadFile(file); strings.Contains(string(head), "CAPABILITY_NAMED_IAM") {
		capability = "CAPABILITY_NAMED_IAM"
	}
	args := []string{"cloudformation", "deploy", "--stack-name", stack, "--template-file", file, "--capabilities", capability}
	if len(params) > 0 {
		args = append(append(args, "--parameter-overrides"), params...)
	}
	out, err := s.CLI(t, args...)
	t.Logf("aws cloudformation deploy %s: %v\n%s", stack, err, out)
	return s.DescribeStack(t, stack)
}

// DescribeStack returns a stack's status and outputs.
func (s *Sandbox) DescribeStack(t testing.TB, stack string) (string, map[string]string) {
	t.Helper()
	out, err := s.CLI(t, "cloudformation", "describe-stacks", "--stack-name", stack, "--output", "json")
	if err != nil {
		t.Fatalf("describe-stacks %s: %v\n%s", stack, err, out)
	}
	var d struct {
		Stacks []struct {
			StackStatus string
			Outputs     []struct{ OutputKey, OutputValue string }
		}
	}
	if err := json.Unmarshal([]byte(out), &d); err != nil || len(d.Stacks) != 1 {
		t.Fatalf("describe-stacks %s: %v\n%s", stack, err, out)
	}
	outputs := map[string]string{}
	for _, o := range d.Stacks[0].Outputs {
		outputs[o.OutputKey] = o.OutputValue
	}
	return d.Stacks[0].StackStatus, outputs
}
