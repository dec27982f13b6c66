package deploy_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/deploy"
)

// TestWatchUntilTrafficShifted: on a group with a 60-minute termination
// wait, the watch returns within 2 s (simulated) of the last AllowTraffic
// end, the deployment still InProgress; it then reaches its termination
// wait, Status reports the wait's end, and Stop rolls it back. The driver
// runs on the sandbox's stepped clock, so the 2 s is the schedule's own
// latency, free of the machine's load.
func TestWatchUntilTrafficShifted(t *testing.T) {
	t.Parallel()
	tests := []struct{ platform, group string }{
		{"Server", "bg"},  // AllAtOnce: AllowTraffic on the green instances
		{"ECS", "linear"}, // ECSLinear10PercentEvery1Minutes
		{"ECS", "canary"}, // ECSCanary10Percent5Minutes
	}
	for _, tt := range tests {
		t.Run(tt.platform+"/"+tt.group, func(t *testing.T) {
			t.Parallel()
			sb, cd, id := newDeployment(t, 0, tt.platform, tt.group, 60)
			ctx := context.Background()
			drv := &deploy.Driver{API: cd, Clock: steppedClock{sb.Clock}}
			out, err := drv.Watch(ctx, id, deploy.WatchOptions{UntilTrafficShifted: true, Timeout: 2 * time.Hour})
			if err != nil || !out.TrafficShifted || out.Status != "InProgress" {
				t.Fatalf("Watch = %+v, %v; want TrafficShifted while InProgress, no error", out, err)
			}
			var shifted time.Time
			for _, tg := range out.Targets {
				for _, e := range tg.Events {
					if e.Name == "AllowTraffic" && e.End.After(shifted) {
						shifted = e.End
					}
				}
			}
			if late := sb.Clock.Now().Sub(shifted); shifted.IsZero() || late < 0 || late > 2*time.Second {
				t.Errorf("Watch returned %s after the last AllowTraffic ended (%s), want within 2s", late, shifted)
			}

			// The deployment goes on into its termination wait.
			var info = deployment(t, cd, id).DeploymentInfo
			for i := 0; i < 120 && !info.InstanceTerminationWaitTimeStarted; i++ {
				sb.Clock.Advance(time.Second)
				info = deployment(t, cd, id).DeploymentInfo
			}
			if info.Status != "InProgress" || !info.InstanceTerminationWaitTimeStarted {
				t.Fatalf("deployment %s is %s, termination wait started %v; want InProgress in its termination wait", id, info.Status, info.InstanceTerminationWaitTimeStarted)
			}
			st, err := drv.Status(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if wait := st.TerminationWaitEnds.Sub(sb.Clock.Now()); wait < 58*time.Minute || wait > 60*time.Minute {
				t.Errorf("Status: the termination wait ends in %s (at %s), want about 60m", wait, st.TerminationWaitEnds)
			}

			if err := drv.Stop(ctx, id, true); err != nil {
				t.Fatal(err)
			}
			out, err = drv.Watch(ctx, id, deploy.WatchOptions{Timeout: time.Hour})
			if !errors.Is(err, deploy.ErrRolledBack) || out.Status != "Stopped" || out.RollbackStatus != "Succeeded" {
				t.Errorf("after Stop: Watch = %s, rollback %s (%s), %v; want Stopped, rolled back", out.Status, out.RollbackID, out.RollbackStatus, err)
			}
		})
	}
}
