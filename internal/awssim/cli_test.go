package awssim_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim/awssimtest"
)

// TestAWSCLI runs each testdata/cli/*.sh script with the real AWS CLI
// pointed at a fresh sandbox.
func TestAWSCLI(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("aws"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("the AWS CLI is required in CI")
		}
		t.Skip("aws not found")
	}
	scripts, err := filepath.Glob(filepath.Join("testdata", "cli", "*.sh"))
	if err != nil || len(scripts) == 0 {
		t.Fatalf("no scripts in testdata/cli (%v)", err)
	}
	for _, script := range scripts {
		t.Run(filepath.Base(script), func(t *testing.T) {
			t.Parallel()
			sb := awssimtest.Start(t, awssim.Options{})
			cmd := exec.Command("bash", script)
			cmd.Env = append(os.Environ(),
				"AWS_ENDPOINT_URL="+sb.URL,
				"AWS_ACCESS_KEY_ID=AKIASANDBOX",
				"AWS_SECRET_ACCESS_KEY=sandbox-secret",
				"AWS_DEFAULT_REGION=us-east-1",
				"AWS_PAGER=",
				"AWS_CONFIG_FILE="+filepath.Join(t.TempDir(), "config"),
				"AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(t.TempDir(), "credentials"),
			)
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("%s: %v\n%s", script, err, out)
			}
		})
	}
}
