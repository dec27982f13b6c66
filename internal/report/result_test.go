package report

import (
	"context"
	"errors"
	"fmt"
	"testing"
)

func TestDecide(t *testing.T) {
	t.Parallel()
	live := context.Background()
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	deployment := func(status, rollback string) *Deployment {
		return &Deployment{ID: "d-A1B2C3D4E", Status: status, RollbackID: rollback}
	}
	failed := errors.New("boom")
	tests := []struct {
		name string
		ctx  context.Context
		err  error
		res  Result
		want Outcome
	}{
		{"nothing to deploy", live, nil, Result{}, OutcomeDone},
		{"stage says deployed", live, nil, Result{Outcome: OutcomeDeployed}, OutcomeDeployed},
		{"succeeded", live, nil, Result{Deploy: deployment("Succeeded", "")}, OutcomeDeployed},
		{"ready", live, nil, Result{Deploy: deployment("Ready", "")}, OutcomePaused},
		{"traffic shifted", live, nil, Result{Deploy: deployment(StatusTrafficShifted, "")}, OutcomeShifted},
		{"failed and rolled back", live, failed, Result{Deploy: deployment("Failed", "d-B2C3D4E5F")}, OutcomeRolledBack},
		{"deployment succeeded, then an error", live, failed, Result{Deploy: deployment("Succeeded", "")}, OutcomeFailed},
		{"left in progress (wait: false)", live, nil, Result{Deploy: deployment("InProgress", "")}, OutcomeDone},
		{"stage says rolled back", live, failed, Result{Outcome: OutcomeRolledBack}, OutcomeRolledBack},
		{"rolled back without error", live, nil, Result{Deploy: deployment("Stopped", "d-B2C3D4E5F")}, OutcomeRolledBack},
		{"failed without rollback", live, nil, Result{Deploy: deployment("Failed", "")}, OutcomeFailed},
		{"stage claims success with an error", live, failed, Result{Outcome: OutcomeDeployed}, OutcomeFailed},
		{"build failed", live, failed, Result{}, OutcomeFailed},
		{"cancelled", cancelled, fmt.Errorf("watching: %w", context.Canceled), Result{Outcome: OutcomeRolledBack}, OutcomeCancelled},
		{"cancelled, other error", cancelled, failed, Result{}, OutcomeCancelled},
		{"cancelled after success", cancelled, nil, Result{Outcome: OutcomeDeployed}, OutcomeDeployed},
		{"timed out", live, fmt.Errorf("waiting 30m: %w", context.DeadlineExceeded), Result{Outcome: OutcomeRolledBack}, OutcomeTimedOut},
	}
	for _, tt := range tests {
		if got := Decide(tt.ctx, tt.err, &tt.res); got != tt.want {
			t.Errorf("%s: Decide() = %q, want %q", tt.name, got, tt.want)
		}
	}
}
