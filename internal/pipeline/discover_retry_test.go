package pipeline

import (
	"testing"
	"time"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/exitcode"
)

// TestDiscoveryRetries: four 503s in a row on the deployment group's
// discovery, one more than the SDK's attempts, are outlasted and the
// deploy succeeds; a refusal (AccessDenied) fails the run at once, with one
// call and nothing changed.
func TestDiscoveryRetries(t *testing.T) {
	t.Parallel()
	t.Run("four 503s", func(t *testing.T) {
		t.Parallel()
		sb := deploySandbox(t, awssim.Scenario{Faults: []awssim.Fault{
			{Service: "codedeploy", Operation: "GetDeploymentGroup", Error: "ServiceUnavailable", Status: 503, Count: 4},
		}})
		code, out, log := runAction(t, sb, deployInputs(sb.PushImage(t, "web"), "bg"))
		if code != exitcode.OK || out["deployment-status"] != "Succeeded" {
			t.Fatalf("exit %d, deployment-status %q; want 0, Succeeded\n%s", code, out["deployment-status"], log)
		}
		var statuses []int
		for _, c := range sb.Calls() {
			if c.Operation == "GetDeploymentGroup" {
				statuses = append(statuses, c.Status)
			}
		}
		if len(statuses) < 5 || statuses[3] != 503 || statuses[4] != 200 {
			t.Errorf("GetDeploymentGroup statuses %v; want four 503s, then 200", statuses)
		}
	})
	t.Run("a refusal", func(t *testing.T) {
		t.Parallel()
		sb := deploySandbox(t, awssim.Scenario{Faults: []awssim.Fault{
			{Service: "codedeploy", Operation: "GetDeploymentGroup", Error: "AccessDeniedException"},
		}})
		image := sb.PushImage(t, "web")
		before := len(sb.Calls())
		start := time.Now()
		code, out, log := runAction(t, sb, deployInputs(image, "bg"))
		took := time.Since(start)
		if code != exitcode.Failed || out["error-code"] == "" {
			t.Fatalf("exit %d, error-code %q; want %d and an error-code\n%s", code, out["error-code"], exitcode.Failed, log)
		}
		calls := sb.Calls()[before:]
		if len(calls) != 1 || calls[0].Operation != "GetDeploymentGroup" || took > 2*time.Second {
			t.Errorf("%d calls (%+v) in %s; want the one refused GetDeploymentGroup, at once", len(calls), calls, took)
		}
		t.Logf("refused: exit %d (%s) after %s", code, out["error-code"], took.Round(time.Millisecond))
	})
}
