package deploy_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/deploy"
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
			sb, cd, id := newDeployment(b, 0, "ECS", "linear", 0)
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

		sb, cd, id := newDeployment(b, sdkScale, "ECS", "linear", 0)
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

// lateness is how long before simNow the deployment completed.
func lateness(t testing.TB, cd *codedeploy.Client, id string, simNow time.Time) time.Duration {
	t.Helper()
	info := deployment(t, cd, id).DeploymentInfo
	if info.Status != "Succeeded" {
		t.Fatalf("deployment %s is %s, want Succeeded", id, info.Status)
	}
	return simNow.Sub(aws.ToTime(info.CompleteTime))
}
