// Package deploy drives AWS CodeDeploy blue/green deployments: it discovers
// the deployment group, creates the deployment from a revision a platform
// contributes (Server: an S3 bundle; ECS: an AppSpec), watches it to its end
// (continuing at Ready, stopping on cancel or timeout, following the
// rollback), and continues, stops or reports on an existing deployment.
// It reports progress through an Observer and prints nothing.
package deploy

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
)

// API is the CodeDeploy calls the driver makes; *codedeploy.Client has them.
type API interface {
	GetDeploymentGroup(context.Context, *codedeploy.GetDeploymentGroupInput, ...func(*codedeploy.Options)) (*codedeploy.GetDeploymentGroupOutput, error)
	CreateDeployment(context.Context, *codedeploy.CreateDeploymentInput, ...func(*codedeploy.Options)) (*codedeploy.CreateDeploymentOutput, error)
	GetDeployment(context.Context, *codedeploy.GetDeploymentInput, ...func(*codedeploy.Options)) (*codedeploy.GetDeploymentOutput, error)
	ContinueDeployment(context.Context, *codedeploy.ContinueDeploymentInput, ...func(*codedeploy.Options)) (*codedeploy.ContinueDeploymentOutput, error)
	StopDeployment(context.Context, *codedeploy.StopDeploymentInput, ...func(*codedeploy.Options)) (*codedeploy.StopDeploymentOutput, error)
	ListDeployments(context.Context, *codedeploy.ListDeploymentsInput, ...func(*codedeploy.Options)) (*codedeploy.ListDeploymentsOutput, error)
	ListDeploymentTargets(context.Context, *codedeploy.ListDeploymentTargetsInput, ...func(*codedeploy.Options)) (*codedeploy.ListDeploymentTargetsOutput, error)
	BatchGetDeploymentTargets(context.Context, *codedeploy.BatchGetDeploymentTargetsInput, ...func(*codedeploy.Options)) (*codedeploy.BatchGetDeploymentTargetsOutput, error)
}

// Errors a caller branches on.
var (
	ErrUnsupported = errors.New("not supported")                             // in-place groups, Lambda
	ErrFailed      = errors.New("deployment failed")                         // the deployment ended Failed
	ErrStopped     = errors.New("deployment stopped")                        // the deployment ended Stopped
	ErrRolledBack  = errors.New("deployment rolled back")                    // a rollback deployment was created
	ErrTimedOut    = errors.New("deployment timed out")                      // the timeout passed; the deployment was stopped
	ErrCancelled   = errors.New("deployment cancelled")                      // the run was cancelled; the deployment was stopped
	ErrNotWaiting  = errors.New("deployment is not waiting")                 // continue on a deployment not at Ready or in its termination wait
	ErrActive      = errors.New("deployment group has an active deployment") // on-active-deployment: fail
)

// SecretRef is a secret the deployment refers to: the env name the
// application reads and the Secrets Manager ARN (with an optional
// ":json-key::" suffix, as ECS writes it) its value comes from.
type SecretRef struct {
	Name      string
	ValueFrom string
}

// secretNamePattern is a secret's env name as deploy.env and ECS take it.
var secretNamePattern = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// check refuses a reference whose name is not an env name or whose
// ValueFrom is not an ARN.
func (s SecretRef) check() error {
	switch {
	case !secretNamePattern.MatchString(s.Name):
		return fmt.Errorf("secret reference %q: the name is not an env variable name", s.Name)
	case !strings.HasPrefix(s.ValueFrom, "arn:"):
		return fmt.Errorf("secret reference %s: %q is not an ARN", s.Name, s.ValueFrom)
	}
	return nil
}

// Revision is what a platform contributes to a deployment.
type Revision struct {
	Location          types.RevisionLocation
	Where             string // human-readable: s3://bucket/key, or the AppSpec's sha256
	TaskDefinitionARN string // ECS: the task definition the AppSpec names
}

// Group is what discovery found out about a deployment group.
type Group struct {
	Application     string
	Name            string
	Platform        types.ComputePlatform
	Config          string // the group's deployment configuration
	ReadyAction     types.DeploymentReadyAction
	ReadyWait       time.Duration // STOP_DEPLOYMENT: how long CodeDeploy waits at Ready
	GreenFleet      types.GreenFleetProvisioningAction
	TerminateBlue   bool
	TerminationWait time.Duration
	AutoRollback    bool
	ECSServices     []types.ECSService
}

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
// deploy to yet: in-place groups and Lambda.
func Discover(ctx context.Context, api API, application, group string) (Group, error) {
	out, err := api.GetDeploymentGroup(ctx, &codedeploy.GetDeploymentGroupInput{
		ApplicationName:     aws.String(application),
		DeploymentGroupName: aws.String(group),
	})
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
	if g.Platform == "" {
		g.Platform = types.ComputePlatformServer
	}
	if g.Platform == types.ComputePlatformLambda {
		return Group{}, fmt.Errorf("deployment group %q is for AWS Lambda: Lambda deployments are %w yet", group, ErrUnsupported)
	}
	if info.DeploymentStyle == nil || info.DeploymentStyle.DeploymentType != types.DeploymentTypeBlueGreen {
		return Group{}, fmt.Errorf("deployment group %q does in-place deployments: only blue/green groups are %w (set its deployment type to BLUE_GREEN)", group, ErrUnsupported)
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

// DescriptionLimit is the longest description CodeDeploy accepts, in
// characters (runes), as its quotas page counts them.
const DescriptionLimit = 100

// Description is the deployment's description: the user's text (or a
// default) trimmed so that the commit still fits in DescriptionLimit
// characters. The run link is left to the GitHub deployment and the summary.
func Description(text, commit string) string {
	if text == "" {
		text = "bluegreen-deploy"
	}
	if commit == "" {
		return trimRunes(text, DescriptionLimit)
	}
	if len(commit) > 12 {
		commit = commit[:12]
	}
	suffix := " (commit " + commit + ")"
	return trimRunes(text, DescriptionLimit-len(suffix)) + suffix
}

// trimRunes shortens s to at most n runes, ending with "…" when cut.
func trimRunes(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
