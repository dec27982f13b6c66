package pipeline

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/codedeploy/types"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/exitcode"
)

// TestDeployFaults runs deployments whose CodeDeploy calls fail, and checks
// that transient errors are waited out and that a deployment the action
// gives up on, or a cancelled run's, is stopped or reported honestly with
// its id.
func TestDeployFaults(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		group      string
		faults     []awssim.Fault
		cancelWhen func(calls []awssim.Call) bool // cancel the run once this holds
		wantCode   int
		wantError  string // error-code
		wantMsg    []string
		notMsg     string
		wantStatus types.DeploymentStatus // the sandbox's, settled
	}{
		"a 503 blip on GetDeployment is waited out": {
			group:      "bg",
			faults:     []awssim.Fault{{Service: "codedeploy", Operation: "GetDeployment", Status: 503, Error: "ServiceUnavailableException", After: 1, Count: 24}},
			wantStatus: types.DeploymentStatusSucceeded,
		},
		"throttling on GetDeployment is waited out": {
			group:      "bg",
			faults:     []awssim.Fault{{Service: "codedeploy", Operation: "GetDeployment", Error: "ThrottlingException", After: 1, Count: 5}},
			wantStatus: types.DeploymentStatusSucceeded,
		},
		"resets on GetDeployment are waited out": {
			group:      "bg",
			faults:     []awssim.Fault{{Service: "codedeploy", Operation: "GetDeployment", Reset: true, After: 1, Count: 24}},
			wantStatus: types.DeploymentStatusSucceeded,
		},
		"AccessDenied on GetDeployment stops the deployment": {
			group:      "bg",
			faults:     []awssim.Fault{{Service: "codedeploy", Operation: "GetDeployment", Error: "AccessDeniedException"}},
			wantCode:   exitcode.Failed,
			wantError:  "AccessDeniedException",
			wantMsg:    []string{"was given up on", "stop requested"},
			notMsg:     "was stopped",
			wantStatus: types.DeploymentStatusStopped,
		},
		"a refused ContinueDeployment stops the deployment at Ready": {
			group:      "ready",
			faults:     []awssim.Fault{{Service: "codedeploy", Operation: "ContinueDeployment", Error: "AccessDeniedException"}},
			wantCode:   exitcode.Failed,
			wantError:  "MANUAL_STOP", // the deployment's own error code once stopped; the message names AccessDenied
			wantMsg:    []string{"was given up on", "continuing deployment", "AccessDeniedException", "stopped"},
			wantStatus: types.DeploymentStatusStopped,
		},
		"a cancel while CreateDeployment is on the wire stops the deployment it made": {
			group:      "bg",
			faults:     []awssim.Fault{{Service: "codedeploy", Operation: "CreateDeployment", Latency: time.Second}},
			cancelWhen: func(calls []awssim.Call) bool { return hasCall(calls, "PutObject") },
			wantCode:   exitcode.Failed,
			wantError:  "CANCELLED",
			wantMsg:    []string{"cancelled while deployment", "stop"},
			wantStatus: types.DeploymentStatusStopped,
		},
		"a refused stop after a cancel says so": {
			group:      "bg",
			faults:     []awssim.Fault{{Service: "codedeploy", Operation: "StopDeployment", Error: "AccessDeniedException"}},
			cancelWhen: func(calls []awssim.Call) bool { return hasCall(calls, "GetDeployment") },
			wantCode:   exitcode.Failed,
			wantError:  "CANCELLED",
			wantMsg:    []string{"stop refused", "AccessDeniedException", "still needs a stop"},
			notMsg:     "was stopped",
			wantStatus: types.DeploymentStatusInProgress,
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			hang := awssim.Scenario{}
			if tt.cancelWhen != nil {
				hang.Hangs = []awssim.Hang{{Application: "web", DeploymentGroup: tt.group}}
			}
			sb := deploySandbox(t, hang, awssim.Scenario{Faults: tt.faults})
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if tt.cancelWhen != nil {
				go func() {
					for !tt.cancelWhen(sb.Calls()) {
						time.Sleep(5 * time.Millisecond)
					}
					time.Sleep(100 * time.Millisecond)
					cancel()
				}()
			}
			inputs := deployInputs(sb.PushImage(t, "web"), tt.group)
			inputs["timeout"] = "24h" // the SDK's backoff runs in real time, 600 times slower than the sandbox's
			code, out, log := runActionCtx(ctx, t, sb, inputs, nil)
			all := settledDeployments(t, sb, "web", tt.group)
			var mine []sandboxDeployment
			for _, d := range all {
				if d.Creator != types.DeploymentCreatorCodeDeployRollback {
					mine = append(mine, d)
				}
			}
			if code != tt.wantCode || out["error-code"] != tt.wantError {
				t.Fatalf("exit %d, error-code %q; want %d, %q\n%s", code, out["error-code"], tt.wantCode, tt.wantError, log)
			}
			if len(mine) != 1 || out["deployment-id"] != mine[0].ID || mine[0].Status != tt.wantStatus {
				t.Fatalf("sandbox deployments %+v, deployment-id %q; want one, %s, output\n%s", all, out["deployment-id"], tt.wantStatus, log)
			}
			msg := out["error-message"]
			for _, want := range tt.wantMsg {
				if !strings.Contains(msg, want) {
					t.Errorf("error-message %q does not say %q", msg, want)
				}
			}
			if tt.notMsg != "" && strings.Contains(msg, tt.notMsg) {
				t.Errorf("error-message %q says %q", msg, tt.notMsg)
			}
			if tt.wantCode == exitcode.OK && out["deployment-status"] != string(tt.wantStatus) {
				t.Errorf("deployment-status %q, want %s", out["deployment-status"], tt.wantStatus)
			}
		})
	}
}

func hasCall(calls []awssim.Call, operation string) bool {
	for _, c := range calls {
		if c.Operation == operation {
			return true
		}
	}
	return false
}
