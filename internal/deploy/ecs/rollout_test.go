package ecs_test

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/deploy"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/deploy/ecs"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/rollout"
)

// TestRolloutEstimate compares the plan's estimate for the group "linear"
// (CodeDeployDefault.ECSLinear10PercentEvery1Minutes, 5-minute termination
// wait) with how long the sandbox's deployment to it takes on its clock.
func TestRolloutEstimate(t *testing.T) {
	t.Parallel()
	f := newECSFixture(t)
	ctx := context.Background()
	g, err := deploy.Discover(ctx, f.cd, "api", "linear")
	if err != nil {
		t.Fatal(err)
	}
	s, err := deploy.SurveyGroup(ctx, f.cd, g, "", deploy.Run{})
	if err != nil {
		t.Fatal(err)
	}
	est := s.Rollout(g, false)
	if est.Total() != 15*time.Minute {
		t.Errorf("estimate %v in all, want 15m (1m setup + 9m of linear steps + 5m termination wait)", est.Total())
	}
	_, out, err := f.deploy(t, "linear", ecs.Input{ImageURI: apiImage}, deploy.WatchOptions{})
	if err != nil {
		t.Fatal(err)
	}
	d, err := f.cd.GetDeployment(ctx, &codedeploy.GetDeploymentInput{DeploymentId: aws.String(out.ID)})
	if err != nil {
		t.Fatal(err)
	}
	took := d.DeploymentInfo.CompleteTime.Sub(*d.DeploymentInfo.CreateTime)
	if diff := (took - est.Total()).Abs(); diff > time.Minute {
		t.Errorf("the sandbox's deployment took %v, the estimate says %s (%v): off by %v, more than a minute", took, rollout.Approx(est.Total()), est.Total(), diff)
	}
	t.Logf("estimate %v (%s); the sandbox's deployment took %v", est.Total(), rollout.Approx(est.Total()), took.Round(time.Second))
}
