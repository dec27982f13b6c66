package agent

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim"
)

// TestEventLimit: an event's scripts share one limit (3600 s in AWS, "the
// maximum amount of time allowed for script execution for each deployment
// lifecycle event", AppSpec 'hooks' section), each script's own timeout
// notwithstanding; here the limit is 2 s so that the test runs in real time.
func TestEventLimit(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	archive := filepath.Join(root, "deployment-archive")
	if err := os.MkdirAll(filepath.Join(archive, "scripts"), 0o755); err != nil {
		t.Fatal(err)
	}
	spec := "version: 0.0\nos: linux\nhooks:\n  ValidateService:\n    - location: scripts/a.sh\n      timeout: 30\n    - location: scripts/b.sh\n      timeout: 30\n"
	for name, data := range map[string]string{"appspec.yml": spec, "scripts/a.sh": "#!/bin/sh\nsleep 1.5\n", "scripts/b.sh": "#!/bin/sh\nsleep 1.5\n"} {
		if err := os.WriteFile(filepath.Join(archive, name), []byte(data), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	start := time.Now()
	f := runHooks(context.Background(), awssim.HookRun{Event: "ValidateService", Root: root, Revision: root}, 2*time.Second)
	if took := time.Since(start); took > 2500*time.Millisecond {
		t.Errorf("the event took %s, want it ended at its 2 s limit", took)
	}
	if f == nil || f.ErrorCode != "ScriptTimedOut" || f.ScriptName != "scripts/b.sh" || !strings.Contains(f.Message, "lifecycle event's 3600 seconds") {
		t.Errorf("failure %+v, want ScriptTimedOut of scripts/b.sh at the event's limit", f)
	}
}
