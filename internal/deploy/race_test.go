package deploy_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy/types"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/deploy"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/deploy/server"
)

// racing is the sandbox's CodeDeploy where, just before the first
// CreateDeployment goes through, another run's deployment is created and
// succeeds (the race between the supersede check and the create), and just
// after it, the sandbox's time moves the new deployment on to where the
// test wants it before the driver looks again.
type racing struct {
	*codedeploy.Client
	before func()
	after  func(id string)
}

func (r *racing) CreateDeployment(ctx context.Context, in *codedeploy.CreateDeploymentInput, opts ...func(*codedeploy.Options)) (*codedeploy.CreateDeploymentOutput, error) {
	if before := r.before; before != nil {
		r.before = nil
		before()
	}
	out, err := r.Client.CreateDeployment(ctx, in, opts...)
	if err == nil && r.after != nil {
		r.after(aws.ToString(out.DeploymentId))
	}
	return out, err
}

// TestCreateChecksAgain: a newer run's deployment that succeeded between
// the supersede check and CreateDeployment is found once this run's
// deployment exists. Before traffic moves, and after it moved (in the
// termination wait), this run's deployment is stopped with rollback and
// the newer revision is live again; once this run's deployment has
// succeeded, it is left alone, and the error says the older revision is
// live and nothing older is redeployed.
func TestCreateChecksAgain(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		// until moves the older deployment on (the sandbox's time) until
		// it holds; nil: the check comes at once.
		until        func(*types.DeploymentInfo) bool
		wantStatus   types.DeploymentStatus
		wantMoved    bool
		wantRollback bool
		wantLive     string // whose revision is live at the end
	}{
		{"before traffic moves", nil, types.DeploymentStatusStopped, false, true, "newer"},
		{"after traffic moved", func(d *types.DeploymentInfo) bool { return d.InstanceTerminationWaitTimeStarted },
			types.DeploymentStatusStopped, true, true, "newer"},
		{"after it succeeded", func(d *types.DeploymentInfo) bool { return d.Status == types.DeploymentStatusSucceeded },
			types.DeploymentStatusSucceeded, true, false, "older"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, 600)
			ctx := context.Background()
			revision := func(image string) deploy.Revision {
				rev, err := server.Revision(ctx, f.s3, server.Input{Bucket: "web-bundles", Prefix: "web", Region: "us-east-1", ImageURI: image, ContainerPort: 8080})
				if err != nil {
					t.Fatal(err)
				}
				return rev
			}
			spec := func(run int64, rev deploy.Revision) deploy.Spec {
				r := deploy.Run{ID: run, Attempt: 1}
				return deploy.Spec{Application: "web", Group: "bg", Revision: rev, OnActive: deploy.ActiveWait, Run: r,
					Description: deploy.RunDescription("test", "0123456789abcdef", r), SupersedeCheck: true}
			}
			newerRev, olderRev := revision(imageURI), revision(strings.Replace(imageURI, "0123", "4567", 1))
			api := &racing{Client: f.cd}
			var newer string
			api.before = func() {
				id, err := f.drv.Create(ctx, spec(11, newerRev))
				if err == nil {
					_, err = f.drv.Watch(ctx, id, deploy.WatchOptions{Timeout: watchLimit})
				}
				if err != nil {
					t.Errorf("the newer run's deployment: %v", err)
				}
				newer = id
			}
			if c.until != nil {
				api.after = func(id string) {
					f.sb.Clock.SetScale(0)
					defer f.sb.Clock.SetScale(60)
					for range 360 {
						d, err := f.cd.GetDeployment(ctx, &codedeploy.GetDeploymentInput{DeploymentId: aws.String(id)})
						if err != nil || c.until(d.DeploymentInfo) {
							return
						}
						f.sb.Clock.Advance(10 * time.Second)
					}
					t.Errorf("deployment %s never got there", id)
				}
			}
			drv := &deploy.Driver{API: api, Observer: f.obs, Clock: f.sb.Clock}
			id, err := drv.Create(ctx, spec(10, olderRev))
			var sup *deploy.SupersededError
			if !errors.As(err, &sup) || sup.ID != newer || sup.Stopped == nil || sup.Stopped.ID != id {
				t.Fatalf("Create = %q, %v; want a SupersededError naming %s and this run's deployment", id, err, newer)
			}
			if o := sup.Stopped; o.Status != c.wantStatus || sup.TrafficMoved != c.wantMoved || (o.RollbackID != "") != c.wantRollback {
				t.Errorf("%s is %s, traffic moved %v, rollback %q; want %s, %v, rollback %v", id, o.Status, sup.TrafficMoved, o.RollbackID, c.wantStatus, c.wantMoved, c.wantRollback)
			}
			if c.wantRollback && sup.Stopped.RollbackStatus != types.DeploymentStatusSucceeded {
				t.Errorf("rollback %s is %s, want Succeeded (followed to its end)", sup.Stopped.RollbackID, sup.Stopped.RollbackStatus)
			}
			if stops := f.calls("StopDeployment"); (stops > 0) != c.wantRollback {
				t.Errorf("%d StopDeployment calls; want some: %v", stops, c.wantRollback)
			}
			g, err := f.cd.GetDeploymentGroup(ctx, &codedeploy.GetDeploymentGroupInput{ApplicationName: aws.String("web"), DeploymentGroupName: aws.String("bg")})
			if err != nil {
				t.Fatal(err)
			}
			live, _ := f.cd.GetDeployment(ctx, &codedeploy.GetDeploymentInput{DeploymentId: g.DeploymentGroupInfo.LastSuccessfulDeployment.DeploymentId})
			want := map[string]deploy.Revision{"newer": newerRev, "older": olderRev}[c.wantLive]
			if got := aws.ToString(live.DeploymentInfo.Revision.S3Location.Key); got != aws.ToString(want.Location.S3Location.Key) {
				t.Errorf("live revision %s, want the %s run's %s", got, c.wantLive, aws.ToString(want.Location.S3Location.Key))
			}
			t.Logf("%v", sup)
		})
	}
}
