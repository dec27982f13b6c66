// Package deploy drives AWS CodeDeploy blue/green deployments: it discovers
// the deployment group, creates the deployment from a revision a platform
// contributes (Server: an S3 bundle; ECS and Lambda: an AppSpec), watches it to its end
// (continuing at Ready, stopping on cancel or timeout, following the
// rollback), and continues, stops or reports on an existing deployment.
// The revision sources live in packages of their own under it (server, ecs,
// lambda, inplace), each making the driver's Revision; deploy imports none
// of them. internal/platform/codedeploy wires them to the pipeline.
// It reports progress through an Observer and prints nothing.
package deploy

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

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
	ErrUnsupported = errors.New("not supported")                             // in-place groups with traffic control
	ErrFailed      = errors.New("deployment failed")                         // the deployment ended Failed
	ErrStopped     = errors.New("deployment stopped")                        // the deployment ended Stopped
	ErrRolledBack  = errors.New("deployment rolled back")                    // a rollback deployment was created
	ErrTimedOut    = errors.New("deployment timed out")                      // the timeout passed; Outcome says what became of the stop
	ErrCancelled   = errors.New("deployment cancelled")                      // the run was cancelled; Outcome says what became of the stop
	ErrAbandoned   = errors.New("deployment abandoned")                      // a non-transient API error ended the watch; Outcome says what became of the stop
	ErrSuperseded  = errors.New("deployment superseded")                     // a newer run's deployment is active or last succeeded in the group
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

// Check refuses a reference whose name is not an env name or whose
// ValueFrom is not an ARN.
func (s SecretRef) Check() error {
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
	Version           string // Lambda: the function version the alias moves to
}

// Group is what discovery found out about a deployment group.
type Group struct {
	Application     string
	Name            string
	Platform        types.ComputePlatform
	InPlace         bool   // Server, IN_PLACE without traffic control: blue/green on its one instance
	Config          string // the group's deployment configuration
	ReadyAction     types.DeploymentReadyAction
	ReadyWait       time.Duration // STOP_DEPLOYMENT: how long CodeDeploy waits at Ready
	GreenFleet      types.GreenFleetProvisioningAction
	TerminateBlue   bool
	TerminationWait time.Duration
	AutoRollback    bool
	ECSServices     []types.ECSService
	LastSucceeded   string // the group's last successful deployment, "" if none
}
