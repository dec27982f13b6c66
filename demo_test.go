package main

import (
	"bytes"
	"encoding/base64"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestDemoBinary runs the README's main job (internal/demo) as the plain
// binary (the act path is TestWorkflows' server workflow) and checks that it
// deployed. The runner files of an enclosing workflow must not capture the
// demo's outputs.
func TestDemoBinary(t *testing.T) {
	if _, err := exec.LookPath("docker"); err != nil && os.Getenv("CI") != "true" {
		t.Skip("the demo builds testdata/app through the Docker engine")
	}
	demo := filepath.Join(t.TempDir(), "demo")
	if out, err := exec.Command("go", "build", "-o", demo, "./internal/demo").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	cmd := exec.Command(demo, "-mode", "binary")
	cmd.Env = append(os.Environ(), "GITHUB_OUTPUT="+filepath.Join(t.TempDir(), "enclosing-output"))
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("demo: %v\nstdout:\n%s\nstderr:\n%s", err, stdout.String(), stderr.String())
	}
	for _, want := range []string{"deployment-status=Succeeded", "image-pushed=true", "secrets=", "Job summary:"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("the demo's output lacks %q:\n%s", want, stdout.String())
		}
	}
	// testdata/sandbox/demo.yaml's secret values: outside Actions no
	// ::add-mask:: line may print them, nor their base64 forms.
	for _, v := range []string{"demo-user-0", "demo-password-1", "demo-token-2"} {
		for _, form := range []string{v, base64.StdEncoding.EncodeToString([]byte(v)), base64.RawURLEncoding.EncodeToString([]byte(v))} {
			if strings.Contains(stdout.String()+stderr.String(), form) {
				t.Errorf("the demo printed %q, a form of a secret value", form)
			}
		}
	}
}
