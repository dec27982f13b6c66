package report

import "testing"

func TestFinalStatus(t *testing.T) {
	t.Parallel()
	deployed := func(status string) *Deployment { return &Deployment{ID: "d-A1B2C3D4E", Status: status} }
	tests := []struct {
		res  Result
		want Status
	}{
		{Result{Outcome: OutcomeDeployed, Deploy: deployed("Succeeded")}, Status{State: "success", AutoInactive: true, Description: "d-A1B2C3D4E: deployed (Succeeded)"}},
		{Result{Outcome: OutcomePaused, Deploy: deployed("Ready")}, Status{State: "success", Description: "d-A1B2C3D4E is Ready: traffic not shifted yet"}},
		{Result{Outcome: OutcomeShifted, Deploy: deployed("TrafficShifted")}, Status{State: "success", AutoInactive: true, Description: "d-A1B2C3D4E: traffic shifted (TrafficShifted)"}},
		{Result{Outcome: OutcomeRolledBack, Deploy: deployed("Failed")}, Status{State: "failure", Description: "d-A1B2C3D4E: rolled back (Failed)"}},
		{Result{Outcome: OutcomeFailed}, Status{State: "failure", Description: "bluegreen-deploy: failed"}},
		{Result{Outcome: OutcomeCancelled, Deploy: deployed("Stopped")}, Status{State: "error", Description: "d-A1B2C3D4E: cancelled (Stopped)"}},
		{Result{Outcome: OutcomeTimedOut}, Status{State: "error", Description: "bluegreen-deploy: timed out"}},
	}
	for _, tt := range tests {
		if got := FinalStatus(&tt.res); got != tt.want {
			t.Errorf("FinalStatus(%s) = %+v, want %+v", tt.res.Outcome, got, tt.want)
		}
	}
}
