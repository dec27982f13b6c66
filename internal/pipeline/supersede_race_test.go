package pipeline

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy/types"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim/awssimtest"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/exitcode"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/report"
)

// TestSupersedeRace forces each interleaving of an older run (300) and a
// newer run (301) around CreateDeployment with the sandbox's latency
// faults, each run deploying its own image: the newer run's revision is
// live at the end and no deployment is left running.
func TestSupersedeRace(t *testing.T) {
	t.Parallel()
	const older, newer = 300, 301
	cases := []struct {
		name  string
		first int           // the run started first; the fault holds its CreateDeployment
		held  int           // how many CreateDeployment calls the fault holds
		hold  time.Duration // for how long, in real time
		// together starts both runs at once, instead of the second once
		// the first is about to call CreateDeployment.
		together bool
		// raced: the older run's deployment must be created after the
		// newer run's succeeded, then stopped (the race the second check
		// closes).
		raced bool
	}{
		{"the older run's create is held until the newer run finished", older, 1, 8 * time.Second, false, true},
		{"both create at once", older, 2, 2 * time.Second, true, false},
		{"the newer run's create is slower", newer, 1, 2 * time.Second, false, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			sb := deploySandbox(t, awssim.Scenario{Faults: []awssim.Fault{
				{Service: "codedeploy", Operation: "CreateDeployment", Latency: c.hold, Count: c.held},
			}})
			sb.PushImage(t, "web")
			type result struct {
				code int
				out  map[string]string
				log  string
			}
			results := map[int]*result{}
			var wg sync.WaitGroup
			start := func(run int) {
				image := sb.PushImageTag(t, "web", fmt.Sprint("run", run))
				r := &result{}
				results[run] = r
				wg.Add(1)
				go func() {
					defer wg.Done()
					r.code, r.out, r.log = runActionEnv(t, sb, deployInputs(image, "bg"), runEnv(run, 1))
				}()
			}
			second := older + newer - c.first
			start(c.first)
			if !c.together {
				waitForCall(t, sb, "ListDeployments") // the first run's supersede check: CreateDeployment is next
			}
			start(second)
			wg.Wait()

			for run, r := range results {
				if st := r.out["deployment-status"]; r.code != exitcode.OK || (st != "Succeeded" && st != report.StatusSuperseded) {
					t.Errorf("run %d: exit %d, deployment-status %q; want 0, Succeeded or Superseded\n%s", run, r.code, st, r.log)
				}
			}
			if st := results[newer].out["deployment-status"]; st != "Succeeded" {
				t.Fatalf("newer run: deployment-status %q, want Succeeded\n%s", st, results[newer].log)
			}
			old := results[older]
			if c.raced {
				id := old.out["deployment-id"]
				if id == "" || old.out["deployment-status"] != report.StatusSuperseded || !strings.Contains(old.log, "created meanwhile, was stopped with rollback") {
					t.Fatalf("older run: deployment-id %q, status %q; want its deployment created after the newer run's, then stopped as Superseded\n%s", id, old.out["deployment-status"], old.log)
				}
				info := deploymentInfo(t, sb, id).DeploymentInfo
				newerDone := deploymentInfo(t, sb, results[newer].out["deployment-id"]).DeploymentInfo.CompleteTime
				if created := aws.ToTime(info.CreateTime); !created.After(aws.ToTime(newerDone)) {
					t.Errorf("the older run's deployment was created at %s, not after the newer run's ended (%s): the race was not forced", created, aws.ToTime(newerDone))
				}
			}
			all := settledDeployments(t, sb, "web", "bg")
			if live, want := liveRevision(t, sb, "bg"), revisionOf(t, sb, results[newer].out["deployment-id"]); live != want {
				t.Errorf("live revision %s, want the newer run's %s\nolder run:\n%s", live, want, old.log)
			}
			if running := leftRunning(all); len(running) > 0 {
				t.Errorf("left running: %+v", running)
			}
			t.Logf("older run: %s (deployment %q); newer run: %s; %d deployments in the group",
				old.out["deployment-status"], old.out["deployment-id"], results[newer].out["deployment-status"], len(all))
		})
	}
}

// waitForCall waits until the sandbox has answered a CodeDeploy call of
// operation.
func waitForCall(t *testing.T, sb *awssimtest.Sandbox, operation string) {
	t.Helper()
	for deadline := time.Now().Add(time.Minute); countCalls(sb, "codedeploy", operation) == 0; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no %s call within a minute", operation)
		}
	}
}

// liveRevision is the revision of group's last successful deployment (a
// rollback's is the revision it restored).
func liveRevision(t *testing.T, sb *awssimtest.Sandbox, group string) string {
	t.Helper()
	g, err := codedeploy.NewFromConfig(sb.Config()).GetDeploymentGroup(context.Background(), &codedeploy.GetDeploymentGroupInput{
		ApplicationName: aws.String("web"), DeploymentGroupName: aws.String(group),
	})
	if err != nil || g.DeploymentGroupInfo.LastSuccessfulDeployment == nil {
		t.Fatalf("no last successful deployment in %s: %v", group, err)
	}
	return revisionOf(t, sb, aws.ToString(g.DeploymentGroupInfo.LastSuccessfulDeployment.DeploymentId))
}

// revisionOf names deployment id's S3 revision.
func revisionOf(t *testing.T, sb *awssimtest.Sandbox, id string) string {
	t.Helper()
	rev := deploymentInfo(t, sb, id).DeploymentInfo.Revision
	if rev == nil || rev.RevisionType != types.RevisionLocationTypeS3 || rev.S3Location == nil {
		t.Fatalf("deployment %s has no S3 revision: %+v", id, rev)
	}
	l := rev.S3Location
	return fmt.Sprintf("s3://%s/%s (etag %s)", aws.ToString(l.Bucket), aws.ToString(l.Key), aws.ToString(l.ETag))
}
