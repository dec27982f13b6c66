package awssimtest

import (
	"errors"
	"io/fs"
	"os"
	"testing"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim"
)

// TestStartRemovesAgentRoot: a test's sandbox with the exec agent leaves no
// deployment root behind when the test ends.
func TestStartRemovesAgentRoot(t *testing.T) {
	var root string
	t.Run("sandbox", func(t *testing.T) {
		sb := Start(t, awssim.Options{})
		if err := sb.Server.Apply(awssim.Scenario{Agent: "exec"}); err != nil {
			t.Fatal(err)
		}
		root = sb.Server.AgentRoot()
		if root == "" {
			t.Fatal("agent: exec gave no deployment root")
		}
		if _, err := os.Stat(root); err != nil {
			t.Fatalf("the deployment root while the sandbox runs: %v", err)
		}
	})
	if _, err := os.Stat(root); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the deployment root %s after the test: %v, want it removed", root, err)
	}
}
