package deploy_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy/types"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/deploy"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/deploy/server"
)

func TestWatchSucceeds(t *testing.T) {
	t.Parallel()
	// At 120 simulated seconds a second the 5-minute termination wait lasts
	// 2.5 s, so a loaded machine's polls still see it.
	f := newFixture(t, 120)
	id := f.create(t, "bg", deploy.ActiveFail)
	out, err := f.drv.Watch(context.Background(), id, deploy.WatchOptions{Timeout: watchLimit})
	if err != nil {
		t.Fatalf("Watch: %v\n%s", err, f.obs)
	}
	if out.Status != types.DeploymentStatusSucceeded || out.RollbackID != "" {
		t.Errorf("got %s, rollback %q; want Succeeded, none", out.Status, out.RollbackID)
	}
	for _, want := range []string{
		"created " + id,
		"phase " + id + " InProgress",
		"phase " + id + " TerminationWait",
		"phase " + id + " Succeeded",
		"event Green i-",
		"event Blue i-",
	} {
		if !f.obs.Has(want) {
			t.Errorf("the observer did not hear %q:\n%s", want, f.obs)
		}
	}
	// Each event is reported once per status.
	seen := map[string]bool{}
	for _, l := range strings.Split(f.obs.String(), "\n") {
		if strings.HasPrefix(l, "event ") {
			if seen[l] {
				t.Errorf("reported twice: %s", l)
			}
			seen[l] = true
		}
	}
	if len(out.Targets) != 4 {
		t.Errorf("got %d targets, want 2 blue and 2 green", len(out.Targets))
	}
}

func TestWatchPauseAtReadyThenContinue(t *testing.T) {
	t.Parallel()
	f := newFixture(t, 600)
	ctx := context.Background()
	id := f.create(t, "ready", deploy.ActiveFail)
	out, err := f.drv.Watch(ctx, id, deploy.WatchOptions{PauseAtReady: true, Timeout: watchLimit})
	if err != nil || out.Status != types.DeploymentStatusReady || !out.Paused {
		t.Fatalf("got %s paused=%v, %v; want Ready paused, no error", out.Status, out.Paused, err)
	}
	if n := f.calls("ContinueDeployment"); n != 0 {
		t.Errorf("pause called ContinueDeployment %d times", n)
	}
	if err := f.drv.Continue(ctx, id); err != nil {
		t.Fatal(err)
	}
	out, err = f.drv.Watch(ctx, id, deploy.WatchOptions{Timeout: watchLimit})
	if err != nil || out.Status != types.DeploymentStatusSucceeded {
		t.Fatalf("after continue: got %s, %v; want Succeeded", out.Status, err)
	}
	if err := f.drv.Continue(ctx, id); !errors.Is(err, deploy.ErrNotWaiting) {
		t.Errorf("continue on a finished deployment: got %v, want ErrNotWaiting", err)
	}
}

func TestWatchContinuesAtReady(t *testing.T) {
	t.Parallel()
	f := newFixture(t, 600)
	id := f.create(t, "ready", deploy.ActiveFail)
	out, err := f.drv.Watch(context.Background(), id, deploy.WatchOptions{Timeout: watchLimit})
	if err != nil || out.Status != types.DeploymentStatusSucceeded {
		t.Fatalf("got %s, %v; want Succeeded\n%s", out.Status, err, f.obs)
	}
	if n := f.calls("ContinueDeployment"); n != 1 {
		t.Errorf("got %d ContinueDeployment calls, want 1", n)
	}
}

func TestWatchHookFailureRollsBack(t *testing.T) {
	t.Parallel()
	f := newFixture(t, 600, awssim.Scenario{Lifecycle: []awssim.LifecycleFault{{
		DeploymentGroup: "bg", Event: "ValidateService", ErrorCode: "ScriptFailed",
		Script: "scripts/validate.sh", Message: "Script at specified location: scripts/validate.sh run as user root failed with exit code 1",
		LogTail: "[stdout][bluegreen-deploy] ValidateService: ERROR: http://127.0.0.1:8080/ did not answer within 300 s",
	}}})
	id := f.create(t, "bg", deploy.ActiveFail)
	out, err := f.drv.Watch(context.Background(), id, deploy.WatchOptions{Timeout: watchLimit})
	if !errors.Is(err, deploy.ErrFailed) || !errors.Is(err, deploy.ErrRolledBack) {
		t.Fatalf("got %v, want ErrFailed and ErrRolledBack", err)
	}
	if out.Status != types.DeploymentStatusFailed || out.RollbackID == "" || out.RollbackStatus != types.DeploymentStatusSucceeded {
		t.Errorf("got %s rollback %q (%s); want Failed, rolled back to Succeeded", out.Status, out.RollbackID, out.RollbackStatus)
	}
	fl := out.Failure
	if fl == nil || fl.Event != "ValidateService" || fl.Script != "scripts/validate.sh" || fl.ErrorCode != "ScriptFailed" || !strings.Contains(fl.LogTail, "did not answer") {
		t.Errorf("got diagnostics %+v, want ValidateService's script, code and log tail", fl)
	}
	if out.ErrorCode == "" {
		t.Error("got no error code")
	}
	if !strings.Contains(err.Error(), "scripts/validate.sh") || !strings.Contains(err.Error(), out.RollbackID) {
		t.Errorf("error %q names neither the script nor the rollback", err)
	}
	if !f.obs.Has("rollback " + id + " " + out.RollbackID) {
		t.Errorf("the observer did not hear of the rollback:\n%s", f.obs)
	}
}

func TestWatchTimeoutStopsHungDeployment(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name         string
		rollback     bool
		wantRollback bool
	}{
		{"with rollback", true, true},
		{"without rollback", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, 600, awssim.Scenario{Hangs: []awssim.Hang{{DeploymentGroup: "bg", Event: "AfterInstall"}}})
			id := f.create(t, "bg", deploy.ActiveFail)
			start := f.sb.Clock.Now() // the driver runs on the sandbox's clock
			out, err := f.drv.Watch(context.Background(), id, deploy.WatchOptions{Timeout: 10 * time.Minute, RollbackOnTimeout: tt.rollback})
			if !errors.Is(err, deploy.ErrTimedOut) || !out.TimedOut {
				t.Fatalf("got %v, want ErrTimedOut", err)
			}
			if took := f.sb.Clock.Now().Sub(start); took < 10*time.Minute || took > 100*time.Minute {
				t.Errorf("took %s of simulated time, want the timeout plus the stop", took)
			}
			if out.Status != types.DeploymentStatusStopped {
				t.Errorf("got %s, want Stopped", out.Status)
			}
			if got := out.RollbackID != ""; got != tt.wantRollback {
				t.Errorf("got rollback %q, want one: %v", out.RollbackID, tt.wantRollback)
			}
			if tt.wantRollback && out.RollbackStatus != types.DeploymentStatusSucceeded {
				t.Errorf("got rollback status %s, want it followed to Succeeded", out.RollbackStatus)
			}
			if tt.wantRollback != errors.Is(err, deploy.ErrRolledBack) {
				t.Errorf("got %v; ErrRolledBack wanted: %v", err, tt.wantRollback)
			}
		})
	}
}

func TestWatchCancelStops(t *testing.T) {
	t.Parallel()
	f := newFixture(t, 600, awssim.Scenario{Hangs: []awssim.Hang{{DeploymentGroup: "bg", Event: "BeforeInstall"}}})
	// The sandbox stops a deployment 5 simulated seconds after StopDeployment
	// answers Pending: give the stop a minute of the sandbox's clock to land.
	f.drv.StopTimeout = time.Minute
	id := f.create(t, "bg", deploy.ActiveFail)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(500*time.Millisecond, cancel)
	out, err := f.drv.Watch(ctx, id, deploy.WatchOptions{RollbackOnCancel: true})
	if !errors.Is(err, deploy.ErrCancelled) || !out.Cancelled {
		t.Fatalf("got %v, want ErrCancelled", err)
	}
	if n := f.calls("StopDeployment"); n != 1 {
		t.Errorf("got %d StopDeployment calls, want 1", n)
	}
	if out.Status != types.DeploymentStatusStopped || out.RollbackID == "" {
		t.Errorf("got %s, rollback %q; want Stopped with a rollback", out.Status, out.RollbackID)
	}
}

func TestWatchThrottlingBurst(t *testing.T) {
	t.Parallel()
	f := newFixture(t, 300, awssim.Scenario{Faults: []awssim.Fault{{
		Service: "codedeploy", Operation: "GetDeployment", Error: "ThrottlingException", After: 3, Count: 6,
	}}})
	id := f.create(t, "bg", deploy.ActiveFail)
	out, err := f.drv.Watch(context.Background(), id, deploy.WatchOptions{Timeout: watchLimit})
	if err != nil || out.Status != types.DeploymentStatusSucceeded {
		t.Fatalf("got %s, %v; want Succeeded through the throttling\n%s", out.Status, err, f.obs)
	}
	if !f.obs.Has("note " + id + " CodeDeploy is throttling") {
		t.Errorf("the observer did not hear of the throttling:\n%s", f.obs)
	}
}

func TestCreateWithActiveDeployment(t *testing.T) {
	t.Parallel()
	tests := []struct {
		policy      deploy.OnActive
		wantErr     error
		wantStopped bool
		scale       float64 // the active deployment's ready wait ends sooner at a larger scale
	}{
		{policy: deploy.ActiveWait, scale: 2400},
		{policy: deploy.ActiveStop, wantStopped: true},
		{policy: deploy.ActiveFail, wantErr: deploy.ErrActive},
	}
	for _, tt := range tests {
		t.Run(string(tt.policy), func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, max(tt.scale, 600))
			ctx := context.Background()
			active := f.create(t, "ready", deploy.ActiveFail) // waits at Ready for 120 simulated minutes
			rev, err := server.Revision(ctx, f.s3, server.Input{Bucket: "web-bundles", Region: "us-east-1", ImageURI: imageURI, ContainerPort: 80})
			if err != nil {
				t.Fatal(err)
			}
			id, err := f.drv.Create(ctx, deploy.Spec{Application: "web", Group: "ready", Revision: rev, OnActive: tt.policy, ActiveLimit: watchLimit})
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) || !strings.Contains(err.Error(), active) {
					t.Fatalf("got %v, want %v naming %s", err, tt.wantErr, active)
				}
				return
			}
			if err != nil {
				t.Fatalf("Create: %v\n%s", err, f.obs)
			}
			if id == active {
				t.Fatal("got the active deployment's id")
			}
			got, err := f.cd.GetDeployment(ctx, &codedeploy.GetDeploymentInput{DeploymentId: aws.String(active)})
			if err != nil {
				t.Fatal(err)
			}
			st := got.DeploymentInfo.Status
			if tt.wantStopped && (st != types.DeploymentStatusStopped || got.DeploymentInfo.ErrorInformation.Code != types.ErrorCodeManualStop) {
				t.Errorf("active deployment: got %s, want stopped by the action", st)
			}
			if !tt.wantStopped && st != types.DeploymentStatusStopped {
				t.Errorf("active deployment: got %s, want it left to end by itself (its ready wait expires: Stopped)", st)
			}
		})
	}
}

func TestStopAndStatus(t *testing.T) {
	t.Parallel()
	f := newFixture(t, 600)
	ctx := context.Background()
	id := f.create(t, "ready", deploy.ActiveFail)
	if _, err := f.drv.Watch(ctx, id, deploy.WatchOptions{PauseAtReady: true, Timeout: watchLimit}); err != nil {
		t.Fatal(err)
	}
	st, err := f.drv.Status(ctx, id)
	if err != nil || st.Status != types.DeploymentStatusReady || len(st.Targets) == 0 {
		t.Fatalf("status: got %+v, %v; want Ready with targets", st, err)
	}
	if err := f.drv.Stop(ctx, id, true); err != nil {
		t.Fatal(err)
	}
	out, err := f.drv.Watch(ctx, id, deploy.WatchOptions{Timeout: watchLimit})
	if !errors.Is(err, deploy.ErrStopped) || !errors.Is(err, deploy.ErrRolledBack) || out.RollbackStatus != types.DeploymentStatusSucceeded {
		t.Fatalf("got %v, rollback %s; want stopped and rolled back", err, out.RollbackStatus)
	}
	if err := f.drv.Stop(ctx, id, true); err != nil {
		t.Errorf("stopping a stopped deployment: %v, want no error", err)
	}
}

// TestWatchCancelStopPending cancels a run whose stop takes longer than the
// grace period (the sandbox stops 5 simulated seconds after answering
// Pending, on a clock at real speed): the run says the stop was requested
// and not finished, and the deployment ends Stopped afterwards.
func TestWatchCancelStopPending(t *testing.T) {
	t.Parallel()
	f := newFixture(t, 1, awssim.Scenario{Hangs: []awssim.Hang{{DeploymentGroup: "bg", Event: "BeforeInstall"}}})
	f.drv.StopTimeout = time.Second
	id := f.create(t, "bg", deploy.ActiveFail)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(200*time.Millisecond, cancel)
	out, err := f.drv.Watch(ctx, id, deploy.WatchOptions{RollbackOnCancel: true})
	if !errors.Is(err, deploy.ErrCancelled) || !out.Cancelled {
		t.Fatalf("got %v, want ErrCancelled", err)
	}
	const want = "stop requested; CodeDeploy had not finished stopping it when the run ended"
	if !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "was stopped") {
		t.Errorf("got %q, want it to say %q and not that it was stopped", err, want)
	}
	if out.Status == types.DeploymentStatusStopped {
		t.Fatalf("the deployment was Stopped within the grace period; the test needs a slower stop")
	}
	f.sb.Clock.SetScale(600)
	for i := 0; ; i++ {
		got, err := f.cd.GetDeployment(context.Background(), &codedeploy.GetDeploymentInput{DeploymentId: aws.String(id)})
		if err != nil {
			t.Fatal(err)
		}
		if st := got.DeploymentInfo.Status; st == types.DeploymentStatusStopped {
			break
		} else if i == 100 {
			t.Fatalf("deployment %s is %s after the run, want Stopped", id, st)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
