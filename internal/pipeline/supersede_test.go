package pipeline

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy/types"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim/awssimtest"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/exitcode"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/report"
)

// runEnv is the environment of workflow run id, attempt, at commit sha.
func runEnv(id, attempt int) map[string]string {
	return map[string]string{
		"GITHUB_RUN_ID":      fmt.Sprint(id),
		"GITHUB_RUN_ATTEMPT": fmt.Sprint(attempt),
		"GITHUB_SHA":         fmt.Sprintf("%012d%028d", id, attempt),
	}
}

// liveDescription is the description of the group's last successful
// deployment.
func liveDescription(t *testing.T, sb *awssimtest.Sandbox, group string) string {
	t.Helper()
	ctx := context.Background()
	api := codedeploy.NewFromConfig(sb.Config())
	g, err := api.GetDeploymentGroup(ctx, &codedeploy.GetDeploymentGroupInput{ApplicationName: aws.String("web"), DeploymentGroupName: aws.String(group)})
	if err != nil || g.DeploymentGroupInfo.LastSuccessfulDeployment == nil {
		t.Fatalf("no last successful deployment in %s: %v", group, err)
	}
	return aws.ToString(deploymentInfo(t, sb, aws.ToString(g.DeploymentGroupInfo.LastSuccessfulDeployment.DeploymentId)).DeploymentInfo.Description)
}

// TestSevenConcurrentRuns starts seven runs deploying to one group at once
// (on-active-deployment: wait), in a shuffled order: all exit 0, the newest
// run's commit is live at the end, and the others were either Superseded
// or deployed in the order of their runs.
func TestSevenConcurrentRuns(t *testing.T) {
	t.Parallel()
	sb := deploySandbox(t)
	image := sb.PushImage(t, "web")
	type result struct {
		code int
		out  map[string]string
		log  string
	}
	results := make([]result, 8)
	var wg sync.WaitGroup
	for _, run := range rand.Perm(7) {
		run++
		wg.Add(1)
		go func() {
			defer wg.Done()
			inputs := deployInputs(image, "bg")
			inputs["timeout"] = "24h"
			code, out, log := runActionEnv(t, sb, inputs, runEnv(100+run, 1))
			results[run] = result{code, out, log}
		}()
		time.Sleep(time.Duration(rand.IntN(20)) * time.Millisecond)
	}
	wg.Wait()
	superseded := 0
	for run := 1; run <= 7; run++ {
		r := results[run]
		st := r.out["deployment-status"]
		if r.code != exitcode.OK || (st != "Succeeded" && st != report.StatusSuperseded) {
			t.Errorf("run %d: exit %d, deployment-status %q; want 0, Succeeded or Superseded\n%s", 100+run, r.code, st, r.log)
		}
		if st == report.StatusSuperseded {
			superseded++
			stopped := strings.Contains(r.log, "created meanwhile, was stopped with rollback") // found by the second check
			if (r.out["deployment-id"] != "") != stopped || !strings.Contains(r.log, "Superseded: deployment d-") {
				t.Errorf("run %d: superseded with deployment-id %q (stopped: %v) and no notice naming the newer deployment\n%s", 100+run, r.out["deployment-id"], stopped, r.log)
			}
		}
	}
	if got, want := liveDescription(t, sb, "bg"), runEnv(107, 1)["GITHUB_SHA"][:12]; !strings.Contains(got, want) {
		t.Errorf("live deployment %q, want run 107's commit %s", got, want)
	}
	all := settledDeployments(t, sb, "web", "bg")
	var succeeded []sandboxDeployment
	for _, d := range all {
		if d.Status == types.DeploymentStatusSucceeded && d.Creator != types.DeploymentCreatorCodeDeployRollback {
			succeeded = append(succeeded, d)
		}
	}
	sort.Slice(succeeded, func(i, j int) bool { return succeeded[i].Complete.Before(succeeded[j].Complete) })
	for i := 1; i < len(succeeded); i++ {
		if succeeded[i].Description < succeeded[i-1].Description {
			t.Errorf("deployed out of order: %q after %q", succeeded[i].Description, succeeded[i-1].Description)
		}
	}
	if running := leftRunning(all); len(running) > 0 {
		t.Errorf("left running: %+v", running)
	}
	t.Logf("seven concurrent runs: %d deployed in order, %d superseded, %d deployments in the group", len(succeeded), superseded, len(all))
}

// TestSupersede checks the supersede check one run at a time: an older
// run deploys nothing once a newer run's deployment succeeded, unless it
// is a re-run or the check is off.
func TestSupersede(t *testing.T) {
	t.Parallel()
	sb := deploySandbox(t)
	image := sb.PushImage(t, "web")
	steps := []struct {
		name       string
		run, try   int
		check      string
		wantStatus string
		wantLive   int // the run whose commit is live afterwards
		wantNotice bool
	}{
		{"the newest run deploys", 200, 1, "", "Succeeded", 200, false},
		{"an older run is superseded", 199, 1, "", report.StatusSuperseded, 200, true},
		{"a re-run of an older run deploys", 198, 2, "", "Succeeded", 198, false},
		{"with the check off an older run deploys", 197, 1, "false", "Succeeded", 197, false},
	}
	for _, s := range steps {
		inputs := deployInputs(image, "bg")
		if s.check != "" {
			inputs["supersede-check"] = s.check
		}
		code, out, log := runActionEnv(t, sb, inputs, runEnv(s.run, s.try))
		if code != exitcode.OK || out["deployment-status"] != s.wantStatus || out["error-code"] != "" {
			t.Fatalf("%s: exit %d, deployment-status %q, error-code %q; want 0, %s\n%s", s.name, code, out["deployment-status"], out["error-code"], s.wantStatus, log)
		}
		if got := strings.Contains(log, "Superseded: deployment d-"); got != s.wantNotice {
			t.Errorf("%s: notice naming the newer deployment: %v, want %v\n%s", s.name, got, s.wantNotice, log)
		}
		want := fmt.Sprintf("run %d/%d)", s.wantLive, map[bool]int{true: s.try, false: 1}[s.wantLive == s.run])
		if got := liveDescription(t, sb, "bg"); !strings.HasSuffix(got, want) {
			t.Errorf("%s: live deployment %q, want run marker %q", s.name, got, want)
		}
	}
}
