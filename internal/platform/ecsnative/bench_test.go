package ecsnative_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/platform/ecsnative"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/report"
)

// counting counts the read calls on their way to the sandbox.
type counting struct {
	*ecs.Client
	calls atomic.Int64
}

func (c *counting) DescribeServiceDeployments(ctx context.Context, in *ecs.DescribeServiceDeploymentsInput, opts ...func(*ecs.Options)) (*ecs.DescribeServiceDeploymentsOutput, error) {
	c.calls.Add(1)
	return c.Client.DescribeServiceDeployments(ctx, in, opts...)
}

func (c *counting) DescribeServices(ctx context.Context, in *ecs.DescribeServicesInput, opts ...func(*ecs.Options)) (*ecs.DescribeServicesOutput, error) {
	c.calls.Add(1)
	return c.Client.DescribeServices(ctx, in, opts...)
}

// BenchmarkDetection follows the same ECS-native LINEAR deployment
// (api-linear of testdata/sandbox/ecs-native.yaml: 25 % every minute from
// 85 s, a 1-minute bake, CLEAN_UP 30 s; about 6.5 simulated minutes) two
// ways, each in its own sandbox, and reports per deployment the read calls
// and how long after ECS's finishedAt each watcher returned, in simulated
// seconds:
//
//	go test -run '^$' -bench Detection ./internal/platform/ecsnative/
//
// new is the driver (DescribeServiceDeployments on its schedule) on a
// stepped clock, exact. serviceswaiter is what the most used deploy action
// does: the SDK's ServicesStableWaiter (DescribeServices until one
// deployment runs its desired count; defaults 15 s min, 120 s max). It
// sleeps in wall time, so it runs against a sandbox at sdkScale simulated
// seconds per wall second with its delays divided by sdkScale; its figures
// carry the HTTP round trips times sdkScale.
func BenchmarkDetection(b *testing.B) {
	const sdkScale = 100
	var n, newCalls, newLate, sdkCalls, sdkLate float64
	for b.Loop() {
		n++
		f := newFixture(b)
		_, arn := f.start(b, "api-linear", false)
		api := &counting{Client: f.client}
		f.drv.API, f.drv.Observer = api, nil
		if out, err := f.drv.Watch(context.Background(), arn, ecsnative.WatchOptions{Timeout: time.Hour}); err != nil || out.DeploymentStatus() != report.StatusSucceeded {
			b.Fatalf("%v %+v", err, out)
		}
		newCalls += float64(api.calls.Load())
		newLate += f.sb.Clock.Now().Sub(aws.ToTime(f.describe(b, arn).FinishedAt)).Seconds()

		f = newFixture(b)
		_, arn = f.start(b, "api-linear", false)
		api = &counting{Client: f.client}
		f.sb.Clock.SetScale(sdkScale)
		waiter := ecs.NewServicesStableWaiter(api, func(o *ecs.ServicesStableWaiterOptions) {
			o.MinDelay, o.MaxDelay = 15*time.Second/sdkScale, 120*time.Second/sdkScale
		})
		if err := waiter.Wait(context.Background(), &ecs.DescribeServicesInput{Cluster: aws.String("prod"), Services: []string{"api-linear"}}, time.Hour/sdkScale); err != nil {
			b.Fatal(err)
		}
		simNow := f.sb.Clock.Now()
		sd := f.describe(b, arn)
		if sd.Status != "SUCCESSFUL" {
			b.Fatalf("the waiter returned while the deployment is %s", sd.Status)
		}
		sdkCalls += float64(api.calls.Load())
		sdkLate += simNow.Sub(aws.ToTime(sd.FinishedAt)).Seconds()
	}
	b.ReportMetric(newCalls/n, "new-calls/op")
	b.ReportMetric(newLate/n, "new-detect-s")
	b.ReportMetric(sdkCalls/n, "serviceswaiter-calls/op")
	b.ReportMetric(sdkLate/n, "serviceswaiter-detect-s")
}
