package deploy_test

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	awsecs "github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim/awssimtest"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/deploy"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/deploy/ecs"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/deploy/server"
)

const apiImage = "123456789012.dkr.ecr.us-east-1.amazonaws.com/api@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

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

// newDeployment starts a sandbox at scale (0: stopped) seeded with the
// platform's scenario (Server: testdata/sandbox/server.yaml, application
// web; ECS: ecs.yaml, application api), with group's termination wait set
// to waitMinutes (0: as seeded), and creates a deployment of a new image in
// group.
func newDeployment(t testing.TB, scale float64, platform, group string, waitMinutes int) (*awssimtest.Sandbox, *codedeploy.Client, string) {
	t.Helper()
	file, app := "../../testdata/sandbox/server.yaml", "web"
	if platform == "ECS" {
		file, app = "../../testdata/sandbox/ecs.yaml", "api"
	}
	sc, err := awssim.LoadScenario(file)
	if err != nil {
		t.Fatal(err)
	}
	if waitMinutes > 0 {
		setTerminationWait(t, sc, group, waitMinutes)
	}
	sb := awssimtest.Start(t, awssim.Options{})
	sb.Clock.SetScale(scale)
	if err := sb.Apply(sc); err != nil {
		t.Fatal(err)
	}
	cfg := sb.Config()
	cd := codedeploy.NewFromConfig(cfg)
	ctx := context.Background()
	g, err := deploy.Discover(ctx, cd, app, group)
	if err != nil {
		t.Fatal(err)
	}
	var rev deploy.Revision
	if platform == "ECS" {
		rev, err = ecs.Revision(ctx, awsecs.NewFromConfig(cfg), ecs.Input{Group: g, ImageURI: apiImage})
	} else {
		rev, err = server.Revision(ctx, s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true }), server.Input{
			Bucket: "web-bundles", Prefix: "web", Region: "us-east-1", ImageURI: imageURI, ContainerPort: 8080,
		})
	}
	if err != nil {
		t.Fatal(err)
	}
	drv := &deploy.Driver{API: cd, Clock: sb.Clock}
	id, err := drv.Create(ctx, deploy.Spec{Application: app, Group: group, Revision: rev, Description: "test"})
	if err != nil {
		t.Fatal(err)
	}
	return sb, cd, id
}

// setTerminationWait changes the seeded CreateDeploymentGroup of group.
func setTerminationWait(t testing.TB, sc awssim.Scenario, group string, minutes int) {
	t.Helper()
	for _, call := range sc.Seed {
		if call.Operation != "CreateDeploymentGroup" || call.Input["deploymentGroupName"] != group {
			continue
		}
		bg, _ := call.Input["blueGreenDeploymentConfiguration"].(map[string]any)
		term, _ := bg["terminateBlueInstancesOnDeploymentSuccess"].(map[string]any)
		if term == nil {
			t.Fatalf("group %s has no terminateBlueInstancesOnDeploymentSuccess", group)
		}
		term["terminationWaitTimeInMinutes"] = minutes
		return
	}
	t.Fatalf("no group %s in the scenario", group)
}

// deployment reads a deployment from the sandbox.
func deployment(t testing.TB, cd *codedeploy.Client, id string) *codedeploy.GetDeploymentOutput {
	t.Helper()
	out, err := cd.GetDeployment(context.Background(), &codedeploy.GetDeploymentInput{DeploymentId: aws.String(id)})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
