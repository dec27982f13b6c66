package deploy_test

import (
	"context"
	"sync"
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

// detection is how one watcher did: how long after the deployment's
// terminal state it returned, and its GetDeployment rate.
type detection struct {
	latency time.Duration
	perSec  float64
}

// BenchmarkDetection runs the driver's watcher (default polling) and the
// SDK's DeploymentSuccessfulWaiter side by side on the same Server
// blue/green deployment in the sandbox (60 simulated seconds per second:
// about 8 s of wall time), and reports how long after the sandbox's
// completeTime each one returned and how many GetDeployment calls a second
// each made:
//
//	go test -run '^$' -bench Detection -benchtime 3x ./internal/deploy/
func BenchmarkDetection(b *testing.B) {
	const scale = 60
	var ours, sdk []detection
	for b.Loop() {
		f := newFixture(b, scale)
		f.drv = &deploy.Driver{API: f.cd} // the real polling intervals
		id := f.create(b, "bg", deploy.ActiveFail)

		// measure runs watch and converts the sandbox's completeTime (in
		// simulated time) to how long before the return it was.
		measure := func(api *countingAPI, watch func() error) detection {
			start := time.Now()
			if err := watch(); err != nil {
				b.Error(err)
			}
			returned, simNow := time.Now(), f.sb.Clock.Now()
			out, err := f.cd.GetDeployment(context.Background(), &codedeploy.GetDeploymentInput{DeploymentId: aws.String(id)})
			if err != nil {
				b.Fatal(err)
			}
			late := time.Duration(float64(simNow.Sub(aws.ToTime(out.DeploymentInfo.CompleteTime))) / scale)
			return detection{latency: late, perSec: float64(api.gets.Load()) / returned.Sub(start).Seconds()}
		}
		var wg sync.WaitGroup
		var mine, theirs detection
		wg.Add(2)
		go func() {
			defer wg.Done()
			api := &countingAPI{Client: f.cd}
			drv := &deploy.Driver{API: api}
			mine = measure(api, func() error {
				_, err := drv.Watch(context.Background(), id, deploy.WatchOptions{Timeout: 5 * time.Minute})
				return err
			})
		}()
		go func() {
			defer wg.Done()
			api := &countingAPI{Client: f.cd}
			waiter := codedeploy.NewDeploymentSuccessfulWaiter(api)
			theirs = measure(api, func() error {
				return waiter.Wait(context.Background(), &codedeploy.GetDeploymentInput{DeploymentId: aws.String(id)}, 5*time.Minute)
			})
		}()
		wg.Wait()
		ours, sdk = append(ours, mine), append(sdk, theirs)
	}
	report := func(name string, ds []detection) {
		var worst time.Duration
		var sumLate time.Duration
		var sumRate float64
		for _, d := range ds {
			worst = max(worst, d.latency)
			sumLate += d.latency
			sumRate += d.perSec
		}
		n := float64(len(ds))
		b.ReportMetric(sumLate.Seconds()/n, name+"-detect-s")
		b.ReportMetric(worst.Seconds(), name+"-worst-detect-s")
		b.ReportMetric(sumRate/n, name+"-GetDeployment/s")
		b.Logf("%s: terminal state seen %.2f s after it (worst %.2f s), %.2f GetDeployment/s", name, sumLate.Seconds()/n, worst.Seconds(), sumRate/n)
	}
	report("driver", ours)
	report("sdkwaiter", sdk)
}
