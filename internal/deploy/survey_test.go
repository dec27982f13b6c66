package deploy_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy/types"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/deploy"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/deploy/server"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/plan"
)

// TestSurveyGroup reads a group before any deployment, with one live and
// with one in progress, and checks from the sandbox's call log that the
// survey changed nothing.
func TestSurveyGroup(t *testing.T) {
	t.Parallel()
	f := newFixture(t, 0)
	ctx := context.Background()
	g, err := deploy.Discover(ctx, f.cd, "web", "bg")
	if err != nil {
		t.Fatal(err)
	}
	survey := func(run deploy.Run) deploy.Survey {
		t.Helper()
		before := len(f.sb.Calls())
		s, err := deploy.SurveyGroup(ctx, f.cd, g, "", run)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range f.sb.Calls()[before:] {
			switch c.Operation {
			case "GetDeploymentGroup", "GetDeploymentConfig", "ListDeployments", "GetDeployment":
			default:
				t.Errorf("SurveyGroup called %s %s, which is not a read", c.Service, c.Operation)
			}
		}
		return s
	}

	s := survey(deploy.Run{ID: 10, Attempt: 1})
	if name := aws.ToString(s.Config.DeploymentConfigName); name != "CodeDeployDefault.AllAtOnce" || s.Live != "" || s.Active != "" || s.Newer != "" || s.Alarms != 0 {
		t.Errorf("before any deployment: config %q, live %q, active %q, newer %q, %d alarms; want AllAtOnce and nothing else", name, s.Live, s.Active, s.Newer, s.Alarms)
	}

	rev, err := server.Revision(ctx, f.s3, server.Input{Bucket: "web-bundles", Prefix: "web", Region: "us-east-1", ImageURI: imageURI, ContainerPort: 8080})
	if err != nil {
		t.Fatal(err)
	}
	live, err := f.drv.Create(ctx, deploy.Spec{Application: "web", Group: "bg", Revision: rev, Description: deploy.RunDescription("deploy", "9f3c2ab", deploy.Run{ID: 50, Attempt: 1}), Run: deploy.Run{ID: 50, Attempt: 1}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.drv.Watch(ctx, live, deploy.WatchOptions{Timeout: watchLimit}); err != nil {
		t.Fatal(err)
	}
	s = survey(deploy.Run{ID: 10, Attempt: 1})
	if s.Live != live || s.LiveRevision == nil || s.LiveRevision.RevisionType != types.RevisionLocationTypeS3 || s.Newer != live || s.Active != "" {
		t.Errorf("after deployment %s of run 50: live %q (revision %+v), newer %q, active %q; want it live and newer than run 10, nothing active",
			live, s.Live, s.LiveRevision, s.Newer, s.Active)
	}
	if s := survey(deploy.Run{ID: 60, Attempt: 1}); s.Newer != "" {
		t.Errorf("run 60: newer %q, want none", s.Newer)
	}

	active, err := f.drv.Create(ctx, deploy.Spec{Application: "web", Group: "bg", Revision: rev, Description: "deploy"})
	if err != nil {
		t.Fatal(err)
	}
	if s := survey(deploy.Run{}); s.Active != active || s.Live != live || s.Newer != "" {
		t.Errorf("with deployment %s in progress: active %q, live %q, newer %q; want it active, %s live, no supersede check", active, s.Active, s.Live, s.Newer, live)
	}
}

func TestSurveyRolloutAndSituation(t *testing.T) {
	t.Parallel()
	s := deploy.Survey{
		Config: types.DeploymentConfigInfo{
			DeploymentConfigName: aws.String("CodeDeployDefault.ECSLinear10PercentEvery1Minutes"),
			TrafficRoutingConfig: &types.TrafficRoutingConfig{TimeBasedLinear: &types.TimeBasedLinear{LinearPercentage: 10, LinearInterval: 1}},
		},
		Active: "d-ACTIVE", Newer: "d-NEWER",
	}
	g := deploy.Group{Platform: types.ComputePlatformEcs, ReadyAction: types.DeploymentReadyActionContinueDeployment, TerminateBlue: true, TerminationWait: 5 * time.Minute}
	r := s.Rollout(g, true)
	if r.Config != "CodeDeployDefault.ECSLinear10PercentEvery1Minutes" || r.Strategy != "linear: 10% every 1m" || r.Total() != 15*time.Minute || r.Pause {
		t.Errorf("Rollout = %q %q, %v in all, pause %v; want the linear configuration, 15m, no pause (the group does not wait at Ready)", r.Config, r.Strategy, r.Total(), r.Pause)
	}
	sit := s.Situation(g, "stop", true)
	want := plan.Situation{Active: "d-ACTIVE", OnActive: "stop", Newer: "d-NEWER", Pause: true}
	if sit != want {
		t.Errorf("Situation = %+v, want %+v", sit, want)
	}
	inPlace := s.Rollout(deploy.Group{Platform: types.ComputePlatformServer, InPlace: true}, false)
	if !strings.HasPrefix(inPlace.Strategy, "one instance") {
		t.Errorf("an in-place group's rollout: %q", inPlace.Strategy)
	}
}
