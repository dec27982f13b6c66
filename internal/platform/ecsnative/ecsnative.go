// Package ecsnative drives ECS-native service deployments: a service whose
// deployment controller is ECS shifts traffic itself (BLUE_GREEN, LINEAR,
// CANARY or ROLLING, as its deploymentConfiguration says). The driver reads
// the service, registers the new task definition revision as the CodeDeploy
// ECS platform does (internal/deploy/ecs), starts the service deployment
// with UpdateService and follows it with DescribeServiceDeployments to its
// end, acting on PAUSE lifecycle hooks, stopping it on cancel or timeout.
// It reports progress through an Observer and prints nothing.
//
// AWS's documents: Amazon ECS Developer Guide, "Amazon ECS blue/green
// deployments", "Lifecycle hooks for Amazon ECS service deployments"; the
// API reference of DescribeServiceDeployments, StopServiceDeployment and
// ContinueServiceDeployment; botocore's ecs model (service-2.json).
package ecsnative

import (
	"context"
	"errors"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/ecs"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/deploy"
)

// API is the ECS calls the driver makes; *ecs.Client has them.
type API interface {
	DescribeServices(context.Context, *ecs.DescribeServicesInput, ...func(*ecs.Options)) (*ecs.DescribeServicesOutput, error)
	DescribeTaskDefinition(context.Context, *ecs.DescribeTaskDefinitionInput, ...func(*ecs.Options)) (*ecs.DescribeTaskDefinitionOutput, error)
	RegisterTaskDefinition(context.Context, *ecs.RegisterTaskDefinitionInput, ...func(*ecs.Options)) (*ecs.RegisterTaskDefinitionOutput, error)
	UpdateService(context.Context, *ecs.UpdateServiceInput, ...func(*ecs.Options)) (*ecs.UpdateServiceOutput, error)
	ListServiceDeployments(context.Context, *ecs.ListServiceDeploymentsInput, ...func(*ecs.Options)) (*ecs.ListServiceDeploymentsOutput, error)
	DescribeServiceDeployments(context.Context, *ecs.DescribeServiceDeploymentsInput, ...func(*ecs.Options)) (*ecs.DescribeServiceDeploymentsOutput, error)
	StopServiceDeployment(context.Context, *ecs.StopServiceDeploymentInput, ...func(*ecs.Options)) (*ecs.StopServiceDeploymentOutput, error)
	ContinueServiceDeployment(context.Context, *ecs.ContinueServiceDeploymentInput, ...func(*ecs.Options)) (*ecs.ContinueServiceDeploymentOutput, error)
}

// Errors a caller branches on.
var (
	ErrFailed     = errors.New("service deployment failed")           // ECS rolled it back, or its rollback failed
	ErrStopped    = errors.New("service deployment stopped")          // stopped on request
	ErrTimedOut   = errors.New("service deployment timed out")        // the timeout passed; Outcome says what became of the stop
	ErrCancelled  = errors.New("service deployment cancelled")        // the run was cancelled; Outcome says what became of the stop
	ErrAbandoned  = errors.New("service deployment abandoned")        // a non-transient API error ended the watch
	ErrNotWaiting = errors.New("service deployment is not waiting")   // continue with no PAUSE hook awaiting action
	ErrNoPause    = errors.New("service has no PAUSE lifecycle hook") // on-ready: pause on a service without one
)

// Driver starts and follows ECS service deployments.
type Driver struct {
	API      API
	Observer Observer // nil: nobody listens
	// PollMin and PollMax bound the adaptive DescribeServiceDeployments
	// interval (0: 1 s and 4 s).
	PollMin, PollMax time.Duration
	// StopTimeout bounds StopServiceDeployment after cancellation (0: 5 s;
	// the runner kills the action about 7 s after its signal).
	StopTimeout time.Duration
	Clock       deploy.Clock // nil: the real time
}

func (d *Driver) observer() Observer {
	if d.Observer == nil {
		return nopObserver{}
	}
	return d.Observer
}

func (d *Driver) pollMin() time.Duration { return orDefault(d.PollMin, time.Second) }
func (d *Driver) pollMax() time.Duration { return orDefault(d.PollMax, 4*time.Second) }
func (d *Driver) stopTimeout() time.Duration {
	return orDefault(d.StopTimeout, 5*time.Second)
}

func orDefault(v, def time.Duration) time.Duration {
	if v > 0 {
		return v
	}
	return def
}

// Now is the time on the driver's clock.
func (d *Driver) Now() time.Time { return d.clock().Now() }

func (d *Driver) clock() deploy.Clock {
	if d.Clock == nil {
		return wallClock{}
	}
	return d.Clock
}

// wallClock is the real time.
type wallClock struct{}

func (wallClock) Now() time.Time { return time.Now() }

func (wallClock) Sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// survivor is a context that outlives ctx's cancel by StopTimeout of wall
// time (the runner's grace), for stopping the deployment after a cancel.
func (d *Driver) survivor(ctx context.Context) (context.Context, context.CancelFunc) {
	c, cancel := context.WithCancel(context.WithoutCancel(ctx))
	unhook := context.AfterFunc(ctx, func() { time.AfterFunc(d.stopTimeout(), cancel) })
	return c, func() { unhook(); cancel() }
}
