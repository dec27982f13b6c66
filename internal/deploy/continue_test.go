package deploy_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy/types"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/deploy"
)

// ContinueDeployment answers as CodeDeploy does once an asynchronous stop
// has landed between the poll that saw Ready and the continue.
func (a *scriptedAPI) ContinueDeployment(context.Context, *codedeploy.ContinueDeploymentInput, ...func(*codedeploy.Options)) (*codedeploy.ContinueDeploymentOutput, error) {
	return nil, &types.DeploymentAlreadyCompletedException{Message: aws.String("The deployment has already completed.")}
}

// TestWatchContinueAfterStop: a deployment stopped while the watch continues
// it at Ready ends Stopped, not with an error about continuing it.
func TestWatchContinueAfterStop(t *testing.T) {
	t.Parallel()
	api := &scriptedAPI{eventName: "AfterInstall", steps: []step{
		{types.DeploymentStatusReady, types.LifecycleEventStatusSucceeded},
		{types.DeploymentStatusStopped, types.LifecycleEventStatusSucceeded},
	}}
	drv := &deploy.Driver{API: api, PollMin: time.Millisecond, PollMax: time.Millisecond}
	out, err := drv.Watch(context.Background(), "d-A1B2C3D4E", deploy.WatchOptions{})
	if !errors.Is(err, deploy.ErrStopped) || out.Status != types.DeploymentStatusStopped {
		t.Errorf("got %v, status %s; want ErrStopped and Stopped", err, out.Status)
	}
}
