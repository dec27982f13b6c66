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
			results := map[int]*runResult{}
			var wg sync.WaitGroup
			start := func(run int) {
				results[run] = startRun(t, sb, &wg, run, func(image string) map[string]string { return deployInputs(image, "bg") })
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

// runResult is how one of several runs at once ended.
type runResult struct {
	code int
	out  map[string]string
	log  string
}

// startRun starts workflow run run in the background, deploying its own
// image (tag run<run>) with the inputs for it; wg waits for it.
func startRun(t *testing.T, sb *awssimtest.Sandbox, wg *sync.WaitGroup, run int, inputs func(image string) map[string]string) *runResult {
	r, image := &runResult{}, sb.PushImageTag(t, "web", fmt.Sprint("run", run))
	wg.Go(func() { r.code, r.out, r.log = runActionEnv(t, sb, inputs(image), runEnv(run, 1)) })
	return r
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

// TestFleetConcurrentRuns runs the same two-wave targets twice at once, an
// older and a newer workflow run, each with its own image, the second
// starting as the first checks for newer runs: the newer run's image ends up
// live in both groups, every target of the newer run succeeds (the older run
// stops none of its deployments), each of the older run's targets succeeds
// or is superseded, and nothing is left running. With the newer run first,
// the older run is superseded in wave 1 and so starts no wave 2: its
// target there is superseded too, and it creates no deployment in bg2.
func TestFleetConcurrentRuns(t *testing.T) {
	t.Parallel()
	const older, newer = 400, 401
	for _, first := range []int{older, newer} {
		t.Run(map[int]string{older: "older first", newer: "newer first"}[first], func(t *testing.T) {
			t.Parallel()
			concurrentRuns(t, older, newer, first)
		})
	}
}

func concurrentRuns(t *testing.T, older, newer, first int) {
	sb := deploySandbox(t, moreGroups("bg2"))
	sb.PushImage(t, "web")
	targets := `
- {wave: 1, codedeploy-application: web, codedeploy-deployment-group: bg}
- {wave: 2, codedeploy-application: web, codedeploy-deployment-group: bg2}
`
	results := map[int]*runResult{}
	var wg sync.WaitGroup
	for i, run := range []int{first, older + newer - first} {
		if i == 1 {
			waitForCall(t, sb, "ListDeployments") // the first run's supersede check
		}
		results[run] = startRun(t, sb, &wg, run, func(image string) map[string]string { return fleetInputs(image, targets) })
	}
	wg.Wait()

	n := results[newer]
	if n.code != exitcode.OK || n.out["deployment-status"] != "Succeeded" {
		t.Fatalf("newer run: exit %d, deployment-status %q; want 0, Succeeded\n%s", n.code, n.out["deployment-status"], n.log)
	}
	newIDs := deploymentIDs(t, n.out)
	for name, r := range targetsOutput(t, n.out) {
		if r.Status != "Succeeded" {
			t.Errorf("newer run: target %s is %s, want Succeeded\n%s", name, r.Status, n.log)
		}
	}
	o := results[older]
	if o.code != exitcode.OK {
		t.Errorf("older run: exit %d, want 0\n%s", o.code, o.log)
	}
	for name, r := range targetsOutput(t, o.out) {
		if r.Status != "Succeeded" && r.Status != report.StatusSuperseded {
			t.Errorf("older run: target %s is %s, want Succeeded or Superseded\n%s", name, r.Status, o.log)
		}
	}
	if first == newer {
		bg2 := targetsOutput(t, o.out)["us-east-1/bg2"]
		if o.out["deployment-status"] != report.StatusSuperseded || bg2.Status != report.StatusSuperseded || bg2.DeploymentID != "" ||
			bg2.Note != "not started: a newer run superseded us-east-1/bg in wave 1" {
			t.Errorf("older run: deployment-status %q, bg2 %+v; want Superseded, bg2 superseded and not started\n%s", o.out["deployment-status"], bg2, o.log)
		}
		if all := settledDeployments(t, sb, "web", "bg2"); len(all) != 1 {
			t.Errorf("%d deployments in bg2, want the newer run's only: %+v", len(all), all)
		}
	}
	for _, group := range []string{"bg", "bg2"} {
		if live, want := liveRevision(t, sb, group), revisionOf(t, sb, newIDs["us-east-1/"+group]); live != want {
			t.Errorf("%s: live revision %s, want the newer run's %s\nolder run:\n%s", group, live, want, o.log)
		}
	}
	if running := leftRunning(settledDeployments(t, sb, "web", "bg", "bg2")); len(running) > 0 {
		t.Errorf("left running: %+v", running)
	}
	var statuses []string
	for _, run := range []int{older, newer} {
		for _, name := range []string{"us-east-1/bg", "us-east-1/bg2"} {
			statuses = append(statuses, fmt.Sprintf("run %d %s: %s", run, name, targetsOutput(t, results[run].out)[name].Status))
		}
	}
	t.Log(strings.Join(statuses, "; "))
}
