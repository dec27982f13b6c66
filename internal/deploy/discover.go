package deploy

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy/types"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awscfg"
)

// timeoutMargin is added to a group's wait times for the default timeout.
const timeoutMargin = 30 * time.Minute

// DefaultTimeout is how long to wait for a deployment to the group when the
// timeout input is not given: its ready and termination waits plus a margin
// for installing and shifting traffic.
func (g Group) DefaultTimeout() time.Duration {
	t := timeoutMargin + g.TerminationWait
	if g.ReadyAction == types.DeploymentReadyActionStopDeployment {
		t += g.ReadyWait
	}
	return t
}

// Discover reads a deployment group and refuses what the driver cannot
// deploy to yet: in-place groups other than Server groups without traffic
// control (single-host blue/green, InPlace). Every Lambda deployment is
// blue/green. As nothing has changed yet, it retries transient errors for
// up to awscfg.ReadRetryLimit; refusals fail at once.
func Discover(ctx context.Context, api API, application, group string) (Group, error) {
	out, err := api.GetDeploymentGroup(ctx, &codedeploy.GetDeploymentGroupInput{
		ApplicationName:     aws.String(application),
		DeploymentGroupName: aws.String(group),
	}, func(o *codedeploy.Options) { o.Retryer = awscfg.Patient(o.Retryer, awscfg.ReadRetryLimit) })
	if err != nil {
		return Group{}, fmt.Errorf("reading deployment group %q of application %q: %w", group, application, err)
	}
	info := out.DeploymentGroupInfo
	if info == nil {
		return Group{}, fmt.Errorf("reading deployment group %q of application %q: the answer has no deploymentGroupInfo", group, application)
	}
	g := Group{
		Application: application,
		Name:        group,
		Platform:    info.ComputePlatform,
		Config:      aws.ToString(info.DeploymentConfigName),
		ECSServices: info.EcsServices,
	}
	if last := info.LastSuccessfulDeployment; last != nil {
		g.LastSucceeded = aws.ToString(last.DeploymentId)
	}
	if g.Platform == "" {
		g.Platform = types.ComputePlatformServer
	}
	if g.Platform != types.ComputePlatformLambda && (info.DeploymentStyle == nil || info.DeploymentStyle.DeploymentType != types.DeploymentTypeBlueGreen) {
		if g.Platform != types.ComputePlatformServer || info.DeploymentStyle == nil ||
			info.DeploymentStyle.DeploymentOption != types.DeploymentOptionWithoutTrafficControl {
			return Group{}, fmt.Errorf("deployment group %q does in-place deployments with traffic control: only blue/green groups and EC2 in-place groups without traffic control (one instance) are %w", group, ErrUnsupported)
		}
		g.InPlace = true
	}
	if rb := info.AutoRollbackConfiguration; rb != nil {
		g.AutoRollback = rb.Enabled
	}
	if bg := info.BlueGreenDeploymentConfiguration; bg != nil {
		if r := bg.DeploymentReadyOption; r != nil {
			g.ReadyAction = r.ActionOnTimeout
			g.ReadyWait = time.Duration(r.WaitTimeInMinutes) * time.Minute
		}
		if p := bg.GreenFleetProvisioningOption; p != nil {
			g.GreenFleet = p.Action
		}
		if t := bg.TerminateBlueInstancesOnDeploymentSuccess; t != nil {
			g.TerminateBlue = t.Action == types.InstanceActionTerminate
			if g.TerminateBlue {
				g.TerminationWait = time.Duration(t.TerminationWaitTimeInMinutes) * time.Minute
			}
		}
	}
	if g.ReadyAction == "" {
		g.ReadyAction = types.DeploymentReadyActionContinueDeployment
	}
	return g, nil
}
