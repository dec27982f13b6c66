package deploy

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
)

// Driver creates and drives deployments through the CodeDeploy API.
type Driver struct {
	API      API
	Observer Observer // nil: nobody listens
	// PollMin and PollMax bound the adaptive GetDeployment interval
	// (0: 1 s and 4 s, so a terminal state is seen within 5 s).
	PollMin, PollMax time.Duration
	// StopTimeout bounds StopDeployment after cancellation (0: 5 s; the
	// runner kills the action about 7 s after its signal).
	StopTimeout time.Duration
	Clock       Clock // nil: the real time
}

// stop calls StopDeployment; a deployment that already ended is not an error.
func (d *Driver) stop(ctx context.Context, id string, rollback bool) error {
	_, err := d.API.StopDeployment(ctx, &codedeploy.StopDeploymentInput{
		DeploymentId:        aws.String(id),
		AutoRollbackEnabled: aws.Bool(rollback),
	})
	var done *types.DeploymentAlreadyCompletedException
	if err != nil && !errors.As(err, &done) {
		return fmt.Errorf("stopping deployment %s: %w", id, err)
	}
	return nil
}

func (d *Driver) observer() Observer {
	if d.Observer == nil {
		return nopObserver{}
	}
	return d.Observer
}

func (d *Driver) pollMin() time.Duration {
	if d.PollMin > 0 {
		return d.PollMin
	}
	return time.Second
}

func (d *Driver) pollMax() time.Duration {
	if d.PollMax > 0 {
		return d.PollMax
	}
	return 4 * time.Second
}

func (d *Driver) stopTimeout() time.Duration {
	if d.StopTimeout > 0 {
		return d.StopTimeout
	}
	return 5 * time.Second
}
