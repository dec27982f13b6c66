package deploy

import (
	"context"
	"errors"

	"github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
)

func isTerminal(st types.DeploymentStatus) bool {
	switch st {
	case types.DeploymentStatusSucceeded, types.DeploymentStatusFailed, types.DeploymentStatusStopped:
		return true
	}
	return false
}

func ctxErr(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}
