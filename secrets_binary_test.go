package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim/awssimtest"
)

// TestBinaryPrintsNoSecretOutsideActions runs the built binary with a JSON
// secret against the sandbox: outside Actions nothing reads ::add-mask::, so
// no value (nor its base64 or JSON-escaped form) may reach stdout or stderr;
// under the runner (GITHUB_ACTIONS=true) the masks are printed for it.
func TestBinaryPrintsNoSecretOutsideActions(t *testing.T) {
	t.Parallel()
	values := map[string]string{
		"user":  "svc-Zq7xW3kP",
		"pass":  `p4ss"w0rd\Ωnever`,
		"multi": "first-LINE-k9v2\nsecond-LINE-m4t8",
	}
	secret, err := json.Marshal(values)
	if err != nil {
		t.Fatal(err)
	}
	sb := awssimtest.Start(t, awssim.Options{})
	if err := sb.Apply(awssim.Scenario{Seed: []awssim.SeedCall{{
		Service: "secretsmanager", Operation: "CreateSecret",
		Input: map[string]any{"Name": "app/creds", "SecretString": string(secret)},
	}}}); err != nil {
		t.Fatal(err)
	}
	var forms []string
	for _, v := range values {
		for _, p := range append(strings.Split(v, "\n"), v) {
			quoted, _ := json.Marshal(p)
			forms = append(forms, p, base64.StdEncoding.EncodeToString([]byte(p)),
				base64.RawURLEncoding.EncodeToString([]byte(p)), string(quoted[1:len(quoted)-1]))
		}
	}
	bin := buildBinary(t)

	tests := []struct {
		name    string
		actions string // GITHUB_ACTIONS
	}{
		{"outside Actions", ""},
		{"under the runner", "true"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cmd := exec.Command(bin)
			cmd.Dir = t.TempDir()
			cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "GITHUB_ACTIONS=" + tt.actions,
				"INPUT_SECRETS=APP,app/creds", "INPUT_PARSE-JSON-SECRETS=true"}
			for k, v := range sb.Env() {
				cmd.Env = append(cmd.Env, k+"="+v)
			}
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			if err := cmd.Run(); err != nil {
				t.Fatalf("exit: %v\nstdout:\n%s\nstderr:\n%s", err, &stdout, &stderr)
			}
			if !strings.Contains(stdout.String(), "output secrets=APP_MULTI,APP_PASS,APP_USER") {
				t.Errorf("no secrets output:\n%s", &stdout)
			}
			if tt.actions == "true" {
				if !strings.Contains(stdout.String(), "::add-mask::svc-Zq7xW3kP\n") {
					t.Errorf("under the runner, no ::add-mask:: for a value:\n%s", &stdout)
				}
				return
			}
			if !strings.Contains(stdout.String(), "would be masked; none is printed") {
				t.Errorf("no word on the masks:\n%s", &stdout)
			}
			for _, f := range forms {
				for name, out := range map[string]string{"stdout": stdout.String(), "stderr": stderr.String()} {
					if strings.Contains(out, f) {
						t.Errorf("%s holds %q, a form of a secret value:\n%s", name, f, out)
					}
				}
			}
		})
	}
}
