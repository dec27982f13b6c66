package deploy_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy/types"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/deploy"
)

// step is what scriptedAPI answers for a while: the deployment's status and
// the status of its one target's one lifecycle event.
type step struct {
	status types.DeploymentStatus
	event  types.LifecycleEventStatus
}

// scriptedAPI is a CodeDeploy with one deployment of one Green instance
// that moves one step per GetDeployment (the last step stays), for tests
// that need an exact order of answers the sandbox's clock cannot promise.
type scriptedAPI struct {
	deploy.API // nil: a call the test does not expect panics
	eventName  string
	steps      []step
	stop       func(ctx context.Context, call int) error // nil: StopDeployment succeeds

	mu    sync.Mutex
	gets  int
	stops int
}

func (a *scriptedAPI) now() step {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.steps[min(a.gets, len(a.steps))-1]
}

func (a *scriptedAPI) GetDeployment(_ context.Context, in *codedeploy.GetDeploymentInput, _ ...func(*codedeploy.Options)) (*codedeploy.GetDeploymentOutput, error) {
	a.mu.Lock()
	a.gets++
	a.mu.Unlock()
	return &codedeploy.GetDeploymentOutput{DeploymentInfo: &types.DeploymentInfo{DeploymentId: in.DeploymentId, Status: a.now().status}}, nil
}

func (a *scriptedAPI) ListDeploymentTargets(context.Context, *codedeploy.ListDeploymentTargetsInput, ...func(*codedeploy.Options)) (*codedeploy.ListDeploymentTargetsOutput, error) {
	return &codedeploy.ListDeploymentTargetsOutput{TargetIds: []string{"i-1"}}, nil
}

func (a *scriptedAPI) BatchGetDeploymentTargets(context.Context, *codedeploy.BatchGetDeploymentTargetsInput, ...func(*codedeploy.Options)) (*codedeploy.BatchGetDeploymentTargetsOutput, error) {
	return &codedeploy.BatchGetDeploymentTargetsOutput{DeploymentTargets: []types.DeploymentTarget{{
		InstanceTarget: &types.InstanceTarget{
			TargetId: aws.String("i-1"), InstanceLabel: types.TargetLabelGreen,
			LifecycleEvents: []types.LifecycleEvent{{LifecycleEventName: aws.String(a.eventName), Status: a.now().event}},
		},
	}}}, nil
}

func (a *scriptedAPI) StopDeployment(ctx context.Context, _ *codedeploy.StopDeploymentInput, _ ...func(*codedeploy.Options)) (*codedeploy.StopDeploymentOutput, error) {
	a.mu.Lock()
	a.stops++
	call := a.stops
	a.mu.Unlock()
	if a.stop != nil {
		if err := a.stop(ctx, call); err != nil {
			return nil, err
		}
	}
	return &codedeploy.StopDeploymentOutput{Status: types.StopStatusPending}, nil
}

// TestWatchEventsBeforeSettledPhase checks that the events that led to
// Ready or to the end are heard before the phase is, as a log reads them.
func TestWatchEventsBeforeSettledPhase(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		event string
		last  types.DeploymentStatus
		opts  deploy.WatchOptions
	}{
		{"succeeded", "AllowTraffic", types.DeploymentStatusSucceeded, deploy.WatchOptions{}},
		{"paused at Ready", "AfterInstall", types.DeploymentStatusReady, deploy.WatchOptions{PauseAtReady: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			api := &scriptedAPI{eventName: tt.event, steps: []step{
				{types.DeploymentStatusInProgress, types.LifecycleEventStatusInProgress},
				{tt.last, types.LifecycleEventStatusSucceeded},
			}}
			obs := &recorder{}
			drv := &deploy.Driver{API: api, Observer: obs, Clock: awssim.NewClock(1000)}
			if _, err := drv.Watch(context.Background(), "d-A1B2C3D4E", tt.opts); err != nil {
				t.Fatal(err)
			}
			got := obs.String()
			want := strings.Join([]string{
				"phase d-A1B2C3D4E InProgress",
				"event Green i-1 " + tt.event + " InProgress",
				"event Green i-1 " + tt.event + " Succeeded",
				"phase d-A1B2C3D4E " + string(tt.last),
			}, "\n")
			if got != want {
				t.Errorf("got\n%s\nwant\n%s", got, want)
			}
		})
	}
}

// TestWatchCancelledWhileStoppingOnTimeout checks that a cancel that
// comes while the StopDeployment of a timeout is on the wire does not cut
// it short: the call runs on a context that survives the cancel.
func TestWatchCancelledWhileStoppingOnTimeout(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stopCtxErr error
	api := &scriptedAPI{eventName: "AfterInstall", steps: []step{{types.DeploymentStatusInProgress, types.LifecycleEventStatusInProgress}}}
	api.stop = func(sctx context.Context, call int) error {
		cancel() // the runner's signal arrives while the call is on the wire
		stopCtxErr = sctx.Err()
		return stopCtxErr
	}
	drv := &deploy.Driver{API: api, Clock: awssim.NewClock(1000)}
	out, err := drv.Watch(ctx, "d-A1B2C3D4E", deploy.WatchOptions{Timeout: 20 * time.Second, RollbackOnTimeout: true, RollbackOnCancel: true})
	if !errors.Is(err, deploy.ErrCancelled) || !out.Cancelled {
		t.Errorf("got %v, want ErrCancelled", err)
	}
	if api.stops != 1 || stopCtxErr != nil || !out.StopRequested {
		t.Errorf("got %d StopDeployment calls with context error %v (stop requested: %v); want 1 on a live context", api.stops, stopCtxErr, out.StopRequested)
	}
}
