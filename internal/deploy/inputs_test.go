package deploy

import (
	"testing"
	"time"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/config"
)

func TestPlan(t *testing.T) {
	t.Parallel()
	group := Group{TerminationWait: 10 * time.Minute}
	gh := config.GitHub{SHA: "abc", RunID: "42", RunAttempt: "2"}
	tests := map[string]struct {
		in          config.Deploy
		wantTimeout time.Duration
		wantPause   bool
	}{
		"the group's default timeout": {config.Deploy{Application: "web", DeploymentGroup: "bg"}, group.DefaultTimeout(), false},
		"the timeout input":           {config.Deploy{Timeout: time.Minute}, time.Minute, false},
		"on-ready: pause":             {config.Deploy{OnReady: config.ReadyPause}, group.DefaultTimeout(), true},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			spec, watch := Plan(tt.in, gh, group, Revision{Where: "s3://b/k"})
			if spec.ActiveLimit != tt.wantTimeout || watch.Timeout != tt.wantTimeout {
				t.Errorf("active limit %s, watch timeout %s; want %s", spec.ActiveLimit, watch.Timeout, tt.wantTimeout)
			}
			if watch.PauseAtReady != tt.wantPause || !watch.StopOnError {
				t.Errorf("watch %+v: want PauseAtReady %v and StopOnError", watch, tt.wantPause)
			}
			if spec.Run != (Run{ID: 42, Attempt: 2}) || spec.Application != tt.in.Application || spec.Group != tt.in.DeploymentGroup || spec.Revision.Where != "s3://b/k" {
				t.Errorf("spec %+v does not carry the inputs, the run and the revision", spec)
			}
		})
	}
}
