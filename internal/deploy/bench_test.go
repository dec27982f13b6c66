package deploy_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	awsecs "github.com/aws/aws-sdk-go-v2/service/ecs"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim/awssimtest"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/deploy"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/deploy/ecs"
)

const (
	ecsScenarioFile = "../../testdata/sandbox/ecs.yaml"
	apiImage        = "123456789012.dkr.ecr.us-east-1.amazonaws.com/api@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
)

// countingAPI counts GetDeployment calls on its way to the sandbox.
type countingAPI struct {
	*codedeploy.Client
	gets atomic.Int64
}

func (c *countingAPI) GetDeployment(ctx context.Context, in *codedeploy.GetDeploymentInput, opts ...func(*codedeploy.Options)) (*codedeploy.GetDeploymentOutput, error) {
	c.gets.Add(1)
	return c.Client.GetDeployment(ctx, in, opts...)
}

// steppedClock is the sandbox's clock stopped, moved only by the driver's
// sleeps: the driver is alone on the timeline, so each poll lands at an
// exact simulated time and a 15-minute deployment runs in milliseconds.
type steppedClock struct{ *awssim.Clock }

func (c steppedClock) Sleep(ctx context.Context, d time.Duration) bool {
	if ctx.Err() != nil {
		return false
	}
	c.Advance(d)
	return true
}

// ecsSandbox starts a sandbox seeded with testdata/sandbox/ecs.yaml at
// scale (0: stopped) and creates a deployment of a new image in group
// (application api); drv makes the revision and creates it.
func ecsSandbox(t testing.TB, scale float64, group string) (*awssimtest.Sandbox, *codedeploy.Client, string) {
	t.Helper()
	sb := awssimtest.Start(t, awssim.Options{})
	sb.Clock.SetScale(scale)
	sc, err := awssim.LoadScenario(ecsScenarioFile)
	if err != nil {
		t.Fatal(err)
	}
	if err := sb.Apply(sc); err != nil {
		t.Fatal(err)
	}
	cd := codedeploy.NewFromConfig(sb.Config())
	ctx := context.Background()
	g, err := deploy.Discover(ctx, cd, "api", group)
	if err != nil {
		t.Fatal(err)
	}
	rev, err := ecs.Revision(ctx, awsecs.NewFromConfig(sb.Config()), ecs.Input{Group: g, ImageURI: apiImage})
	if err != nil {
		t.Fatal(err)
	}
	drv := &deploy.Driver{API: cd, Clock: sb.Clock}
	id, err := drv.Create(ctx, deploy.Spec{Application: "api", Group: group, Revision: rev, Description: "bench"})
	if err != nil {
		t.Fatal(err)
	}
	return sb, cd, id
}

// lateness is how long before simNow the deployment completed.
func lateness(t testing.TB, cd *codedeploy.Client, id string, simNow time.Time) time.Duration {
	t.Helper()
	out, err := cd.GetDeployment(context.Background(), &codedeploy.GetDeploymentInput{DeploymentId: aws.String(id)})
	if err != nil {
		t.Fatal(err)
	}
	if st := out.DeploymentInfo.Status; st != "Succeeded" {
		t.Fatalf("deployment %s is %s, want Succeeded", id, st)
	}
	return simNow.Sub(aws.ToTime(out.DeploymentInfo.CompleteTime))
}

// BenchmarkDetection watches the same ECS blue/green deployment (group
// linear: CodeDeployDefault.ECSLinear10PercentEvery1Minutes, a 5-minute
// termination wait, about 15 simulated minutes) three ways, each in its own
// sandbox, and reports per deployment the GetDeployment calls and how long
// after the sandbox's completeTime each watcher returned, in simulated
// seconds:
//
//	go test -run '^$' -bench Detection ./internal/deploy/
//
// today is the first poller (PollMin after a change, backing off to
// PollMax), new the predicted schedule; both run on a stepped clock, exact.
// The SDK's DeploymentSuccessfulWaiter sleeps in wall time and takes no
// clock, so it runs against a sandbox at sdkScale simulated seconds per
// wall second with its delays divided by sdkScale: its defaults (15 s min,
// 120 s max) in simulated time. Its figures carry the HTTP round trips
// times sdkScale (a few tenths of a simulated second).
func BenchmarkDetection(b *testing.B) {
	const sdkScale = 100
	var n float64
	var gets, late [3]float64 // today, new, sdkwaiter
	for b.Loop() {
		n++
		for i, adaptive := range []bool{true, false} {
			sb, cd, id := ecsSandbox(b, 0, "linear")
			api := &countingAPI{Client: cd}
			drv := &deploy.Driver{API: api, Clock: steppedClock{sb.Clock}}
			if adaptive {
				deploy.AdaptiveOnly(drv)
			}
			if _, err := drv.Watch(context.Background(), id, deploy.WatchOptions{Timeout: time.Hour}); err != nil {
				b.Fatal(err)
			}
			gets[i] += float64(api.gets.Load())
			late[i] += lateness(b, cd, id, sb.Clock.Now()).Seconds()
		}

		sb, cd, id := ecsSandbox(b, sdkScale, "linear")
		api := &countingAPI{Client: cd}
		waiter := codedeploy.NewDeploymentSuccessfulWaiter(api, func(o *codedeploy.DeploymentSuccessfulWaiterOptions) {
			o.MinDelay, o.MaxDelay = 15*time.Second/sdkScale, 120*time.Second/sdkScale
		})
		if err := waiter.Wait(context.Background(), &codedeploy.GetDeploymentInput{DeploymentId: aws.String(id)}, time.Hour/sdkScale); err != nil {
			b.Fatal(err)
		}
		simNow := sb.Clock.Now()
		gets[2] += float64(api.gets.Load())
		late[2] += lateness(b, cd, id, simNow).Seconds()
	}
	for i, name := range []string{"today", "new", "sdkwaiter"} {
		b.ReportMetric(gets[i]/n, name+"-GetDeployment/op")
		b.ReportMetric(late[i]/n, name+"-detect-s")
	}
}
