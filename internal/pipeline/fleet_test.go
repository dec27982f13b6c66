package pipeline

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/exitcode"
)

// moreGroups adds Server blue/green groups like bg to application web:
// those named ready* wait at Ready, those named fast* terminate the blue
// instances at once.
func moreGroups(names ...string) awssim.Scenario {
	var sc awssim.Scenario
	for _, name := range names {
		in := map[string]any{
			"applicationName": "web", "deploymentGroupName": name,
			"serviceRoleArn":            "arn:aws:iam::123456789012:role/codedeploy",
			"deploymentConfigName":      "CodeDeployDefault.AllAtOnce",
			"autoScalingGroups":         []any{name + "-asg"},
			"deploymentStyle":           map[string]any{"deploymentType": "BLUE_GREEN", "deploymentOption": "WITH_TRAFFIC_CONTROL"},
			"loadBalancerInfo":          map[string]any{"targetGroupInfoList": []any{map[string]any{"name": name + "-tg"}}},
			"autoRollbackConfiguration": map[string]any{"enabled": true, "events": []any{"DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_REQUEST"}},
		}
		ready := map[string]any{"actionOnTimeout": "CONTINUE_DEPLOYMENT"}
		if strings.HasPrefix(name, "ready") {
			ready = map[string]any{"actionOnTimeout": "STOP_DEPLOYMENT", "waitTimeInMinutes": 120}
		}
		wait := 5
		if strings.HasPrefix(name, "fast") {
			wait = 0
		}
		in["blueGreenDeploymentConfiguration"] = map[string]any{
			"deploymentReadyOption":                     ready,
			"greenFleetProvisioningOption":              map[string]any{"action": "COPY_AUTO_SCALING_GROUP"},
			"terminateBlueInstancesOnDeploymentSuccess": map[string]any{"action": "TERMINATE", "terminationWaitTimeInMinutes": wait},
		}
		sc.Seed = append(sc.Seed, awssim.SeedCall{Service: "codedeploy", Operation: "CreateDeploymentGroup", Input: in})
	}
	return sc
}

// fleetInputs are the inputs of a deployment of image to targets (a YAML
// list) of application web.
func fleetInputs(image, targets string) map[string]string {
	in := deployInputs(image, "")
	delete(in, "codedeploy-application")
	delete(in, "codedeploy-deployment-group")
	in["targets"] = targets
	return in
}

// targetResult is one entry of the targets output.
type targetResult struct {
	Name         string `json:"name"`
	Wave         int    `json:"wave"`
	DeploymentID string `json:"deployment-id"`
	Status       string `json:"status"`
	Outcome      string `json:"outcome"`
	Note         string `json:"note"`
}

// targetsOutput decodes the targets output, by name.
func targetsOutput(t *testing.T, out map[string]string) map[string]targetResult {
	t.Helper()
	var list []targetResult
	if err := json.Unmarshal([]byte(out["targets"]), &list); err != nil {
		t.Fatalf("output targets %q: %v", out["targets"], err)
	}
	byName := map[string]targetResult{}
	for _, r := range list {
		byName[r.Name] = r
	}
	return byName
}

// deploymentIDs decodes the deployment-id output of a run with several targets.
func deploymentIDs(t *testing.T, out map[string]string) map[string]string {
	t.Helper()
	ids := map[string]string{}
	if err := json.Unmarshal([]byte(out["deployment-id"]), &ids); err != nil {
		t.Fatalf("output deployment-id %q: %v", out["deployment-id"], err)
	}
	return ids
}

func TestFleetWavesInOrder(t *testing.T) {
	t.Parallel()
	sb := deploySandbox(t, moreGroups("bg2", "bg3"))
	code, out, log := runAction(t, sb, fleetInputs(sb.PushImage(t, "web"), `
- wave: 1
  name: canary
  codedeploy-application: web
  codedeploy-deployment-group: bg
- wave: 2
  codedeploy-application: web
  codedeploy-deployment-group: bg2
- wave: 2
  codedeploy-application: web
  codedeploy-deployment-group: bg3
`))
	if code != exitcode.OK || out["deployment-status"] != "Succeeded" {
		t.Fatalf("exit %d, status %q; want 0, Succeeded; log:\n%s", code, out["deployment-status"], log)
	}
	ids := deploymentIDs(t, out)
	if len(ids) != 3 || ids["canary"] == "" || ids["us-east-1/bg2"] == "" || ids["us-east-1/bg3"] == "" {
		t.Fatalf("deployment-id = %v, want canary, us-east-1/bg2 and us-east-1/bg3", ids)
	}
	canary := deploymentInfo(t, sb, ids["canary"]).DeploymentInfo
	for _, name := range []string{"us-east-1/bg2", "us-east-1/bg3"} {
		d := deploymentInfo(t, sb, ids[name]).DeploymentInfo
		if d.Status != "Succeeded" {
			t.Errorf("%s: %s, want Succeeded", name, d.Status)
		}
		if d.CreateTime.Before(aws.ToTime(canary.CompleteTime)) {
			t.Errorf("%s created at %s, before wave 1 ended at %s", name, d.CreateTime, canary.CompleteTime)
		}
	}
	for name, r := range targetsOutput(t, out) {
		if r.Status != "Succeeded" || r.DeploymentID != ids[name] {
			t.Errorf("targets output %s = %+v, want Succeeded with %s", name, r, ids[name])
		}
	}
	if n := countCalls(sb, "codedeploy", "CreateDeployment"); n != 3 {
		t.Errorf("%d CreateDeployment calls, want 3", n)
	}
}

func TestFleetFailureStopsItsWave(t *testing.T) {
	t.Parallel()
	sb := deploySandbox(t, moreGroups("bg2", "bg3"), awssim.Scenario{
		Hangs:     []awssim.Hang{{DeploymentGroup: "bg", Event: "AfterInstall"}},
		Lifecycle: []awssim.LifecycleFault{{DeploymentGroup: "bg2", Event: "ValidateService", Message: "health check failed"}},
	})
	code, out, log := runAction(t, sb, fleetInputs(sb.PushImage(t, "web"), `
- {wave: 1, codedeploy-application: web, codedeploy-deployment-group: bg}
- {wave: 1, codedeploy-application: web, codedeploy-deployment-group: bg2}
- {wave: 2, codedeploy-application: web, codedeploy-deployment-group: bg3}
`))
	if code != exitcode.Failed {
		t.Fatalf("exit %d, want %d; log:\n%s", code, exitcode.Failed, log)
	}
	results := targetsOutput(t, out)
	if r := results["us-east-1/bg2"]; r.Status != "Stopped" && r.Status != "Failed" {
		t.Errorf("bg2 = %+v, want it failed", r)
	}
	if r := results["us-east-1/bg"]; !strings.Contains(r.Note, "stopped: us-east-1/bg2 failed") {
		t.Errorf("bg = %+v, want it stopped because bg2 failed", r)
	}
	if r := results["us-east-1/bg3"]; r.DeploymentID != "" || !strings.Contains(r.Note, "not started") {
		t.Errorf("bg3 = %+v, want it not started", r)
	}
	if n := countCalls(sb, "codedeploy", "CreateDeployment"); n != 2 {
		t.Errorf("%d CreateDeployment calls, want 2 (wave 2 not started)", n)
	}
	hung := deploymentInfo(t, sb, results["us-east-1/bg"].DeploymentID).DeploymentInfo
	if hung.Status != "Stopped" {
		t.Errorf("bg's deployment is %s, want Stopped", hung.Status)
	}
	if !strings.HasPrefix(out["error-message"], "us-east-1/bg2: ") || out["error-code"] != "HEALTH_CONSTRAINTS" {
		t.Errorf("error-code %q, error-message %q: want the failed target's first", out["error-code"], out["error-message"])
	}
	if r := results["us-east-1/bg"]; r.Outcome != "rolled back" {
		t.Errorf("bg's outcome %q, want rolled back (its stop followed to the end)", r.Outcome)
	}
	if left := leftRunning(settledDeployments(t, sb, "web", "bg", "bg2", "bg3")); len(left) > 0 {
		t.Errorf("left running: %+v", left)
	}
}

func TestFleetPauseThenContinueWave(t *testing.T) {
	t.Parallel()
	sb := deploySandbox(t, moreGroups("ready2"))
	inputs := fleetInputs(sb.PushImage(t, "web"), `
- {wave: 1, codedeploy-application: web, codedeploy-deployment-group: ready}
- {wave: 1, codedeploy-application: web, codedeploy-deployment-group: ready2}
- {wave: 2, codedeploy-application: web, codedeploy-deployment-group: bg}
`)
	inputs["on-ready"] = "pause"
	code, out, log := runAction(t, sb, inputs)
	if code != exitcode.OK || out["deployment-status"] != "Ready" {
		t.Fatalf("pause: exit %d, status %q; want 0, Ready; log:\n%s", code, out["deployment-status"], log)
	}
	ids := deploymentIDs(t, out)
	if len(ids) != 2 {
		t.Fatalf("deployment-id %v, want wave 1's two", ids)
	}
	code, out, log = runAction(t, sb, map[string]string{"command": "continue", "deployment-id": out["deployment-id"]})
	if code != exitcode.OK || out["deployment-status"] != "Succeeded" {
		t.Fatalf("continue: exit %d, status %q; want 0, Succeeded; log:\n%s", code, out["deployment-status"], log)
	}
	for name, id := range ids {
		if s := deploymentInfo(t, sb, id).DeploymentInfo.Status; s != "Succeeded" {
			t.Errorf("%s (%s) is %s after continue, want Succeeded", name, id, s)
		}
	}
}

func TestFleetCancelStopsTheWave(t *testing.T) {
	t.Parallel()
	sb := deploySandbox(t, moreGroups("bg2", "bg3"), awssim.Scenario{Hangs: []awssim.Hang{
		{DeploymentGroup: "bg", Event: "AfterInstall"}, {DeploymentGroup: "bg2", Event: "AfterInstall"},
	}})
	inputs := fleetInputs(sb.PushImage(t, "web"), `
- {wave: 1, codedeploy-application: web, codedeploy-deployment-group: bg}
- {wave: 1, codedeploy-application: web, codedeploy-deployment-group: bg2}
- {wave: 2, codedeploy-application: web, codedeploy-deployment-group: bg3}
`)
	ctx, cancel := context.WithCancel(context.Background())
	ended := make(chan time.Time)
	go func() {
		code, _, log := runActionCtx(ctx, t, sb, inputs, nil)
		if code == exitcode.OK {
			t.Errorf("a cancelled run exited 0; log:\n%s", log)
		}
		ended <- time.Now()
	}()
	for countCalls(sb, "codedeploy", "CreateDeployment") < 2 {
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond) // both deployments are in their hung event
	cancelled := time.Now()
	cancel()
	took := (<-ended).Sub(cancelled)
	if took > 7*time.Second {
		t.Errorf("the run took %s after the cancel, want at most 7 s", took)
	}
	all := settledDeployments(t, sb, "web", "bg", "bg2", "bg3")
	if left := leftRunning(all); len(left) > 0 {
		t.Errorf("left running: %+v", left)
	}
	if n := countCalls(sb, "codedeploy", "CreateDeployment"); n != 2 {
		t.Errorf("%d CreateDeployment calls, want 2 (wave 2 not started)", n)
	}
	t.Logf("the run ended %s after the cancel", took)
}

func TestFleetSucceededTargetIsNamed(t *testing.T) {
	t.Parallel()
	sb := deploySandbox(t, moreGroups("fast"))
	image := sb.PushImage(t, "web")
	in := deployInputs(image, "fast")
	_, first, _ := runAction(t, sb, in)
	if err := sb.Apply(awssim.Scenario{Hangs: []awssim.Hang{{DeploymentGroup: "bg", Event: "Install"}}}); err != nil {
		t.Fatal(err)
	}
	code, out, log := runAction(t, sb, fleetInputs(image, `
- {codedeploy-application: web, codedeploy-deployment-group: fast}
- {codedeploy-application: web, codedeploy-deployment-group: bg, timeout: 3m}
`))
	if code != exitcode.Failed {
		t.Fatalf("exit %d, want %d; log:\n%s", code, exitcode.Failed, log)
	}
	results := targetsOutput(t, out)
	if r := results["us-east-1/bg"]; r.Outcome != "timed out" && r.Outcome != "rolled back" {
		t.Errorf("bg = %+v, want it timed out", r)
	}
	fast := results["us-east-1/fast"]
	undo := "--deployment-group-name fast --cli-input-json \"$(aws deploy get-deployment --region us-east-1 --deployment-id " + first["deployment-id"]
	if fast.Status != "Succeeded" || !strings.Contains(fast.Note, "is not rolled back; to roll it back: aws deploy create-deployment") || !strings.Contains(fast.Note, undo) {
		t.Errorf("fast = %+v, want it Succeeded with the command that redeploys %s", fast, first["deployment-id"])
	}
	if !strings.Contains(log, "On the new version: us-east-1/fast. Not on it: us-east-1/bg") {
		t.Errorf("the log does not say which targets run the new version:\n%s", log)
	}

	// The command, run by the AWS CLI, redeploys the earlier revision.
	_, undoCmd, _ := strings.Cut(fast.Note, "to roll it back: ")
	sb.CLI(t, "--version") // skips without the CLI, fails in CI
	cmd := exec.Command("bash", "-c", undoCmd)
	cmd.Env = append(os.Environ(), "AWS_PAGER=", "AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null")
	for k, v := range sb.Env() {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	created, err := cmd.CombinedOutput()
	var answer struct {
		DeploymentID string `json:"deploymentId"`
	}
	if err != nil || json.Unmarshal(created, &answer) != nil || answer.DeploymentID == "" {
		t.Fatalf("%s: %v\n%s", undoCmd, err, created)
	}
	again, before := deploymentInfo(t, sb, answer.DeploymentID).DeploymentInfo, deploymentInfo(t, sb, first["deployment-id"]).DeploymentInfo
	if got, want := aws.ToString(again.Revision.S3Location.Key), aws.ToString(before.Revision.S3Location.Key); got != want {
		t.Errorf("the command deployed revision %s, want the earlier %s", got, want)
	}
}

// TestFleetPlan plans a deploy to two targets, one running the image
// already: one plan per target, changes true for the other only, and no
// call that changes anything (runPlan).
func TestFleetPlan(t *testing.T) {
	t.Parallel()
	sb := deploySandbox(t, moreGroups("bg2"))
	v1 := sb.PushImage(t, "web")
	if code, _, log := runAction(t, sb, deployInputs(v1, "bg")); code != exitcode.OK {
		t.Fatalf("the deploy of v1: exit %d\n%s", code, log)
	}
	code, p, changes, log := runPlan(t, sb, fleetInputs(v1, `
- {codedeploy-application: web, codedeploy-deployment-group: bg}
- {wave: 2, codedeploy-application: web, codedeploy-deployment-group: bg2}
`))
	if code != exitcode.OK || changes != "true" || p == nil {
		t.Fatalf("exit %d, changes %q; want 0, true; log:\n%s", code, changes, log)
	}
	if len(p.Targets) != 2 {
		t.Fatalf("plan-json has %d targets, want 2: %+v", len(p.Targets), p)
	}
	for _, tp := range p.Targets {
		want := tp.Name == "us-east-1/bg2" // bg runs v1 already
		if tp.Plan.Changes != want || tp.Plan.Target.Name == "" {
			t.Errorf("%s (wave %d): changes %v, want %v; plan %+v", tp.Name, tp.Wave, tp.Plan.Changes, want, tp.Plan)
		}
	}
	for _, want := range []string{"### Plan: 2 targets in 2 waves", "in 1 of 2 targets", "#### us-east-1/bg (wave 1): ", "#### us-east-1/bg2 (wave 2): "} {
		if !strings.Contains(log, want) {
			t.Errorf("the plan lacks %q:\n%s", want, log)
		}
	}
}

// TestFleetMixedPlatformsFailure: a Server group and an ECS-native service
// in one wave; the group fails its ValidateService hook while the service's
// deployment bakes, so the run stops the service deployment with rollback
// (ECS moves traffic back), says why, and starts no later wave.
func TestFleetMixedPlatformsFailure(t *testing.T) {
	t.Parallel()
	sb := seededSandbox(t, "server.yaml", 60, moreGroups("bg2"), awssim.Scenario{
		Lifecycle: []awssim.LifecycleFault{{DeploymentGroup: "bg", Event: "ValidateService", Message: "health check failed"}},
	})
	applyScenario(t, sb, "ecs-native.yaml")
	inputs := fleetInputs(sb.PushImage(t, "web"), `
- {wave: 1, codedeploy-application: web, codedeploy-deployment-group: bg}
- {wave: 1, name: worker, ecs-cluster: prod, ecs-service: api-native}
- {wave: 2, codedeploy-application: web, codedeploy-deployment-group: bg2}
`)
	code, out, log := runAction(t, sb, inputs)
	if code != exitcode.Failed {
		t.Fatalf("exit %d, want %d; log:\n%s", code, exitcode.Failed, log)
	}
	results := targetsOutput(t, out)
	worker := results["worker"]
	if !strings.HasPrefix(worker.DeploymentID, "arn:aws:ecs:") || worker.Note != "stopped: us-east-1/bg failed" {
		t.Fatalf("worker = %+v, want its service deployment stopped because bg failed; log:\n%s", worker, log)
	}
	sds := serviceDeployments(t, sb, "api-native")
	if len(sds) != 1 || aws.ToString(sds[0].ServiceDeploymentArn) != worker.DeploymentID || sds[0].Status != ecstypes.ServiceDeploymentStatusRollbackSuccessful {
		t.Errorf("api-native's service deployments %+v, want the worker's, ROLLBACK_SUCCESSFUL", sds)
	}
	svc, err := ecs.NewFromConfig(sb.Config()).DescribeServices(context.Background(), &ecs.DescribeServicesInput{Cluster: aws.String("prod"), Services: []string{"api-native"}})
	if err != nil {
		t.Fatal(err)
	}
	if live := aws.ToString(svc.Services[0].TaskDefinition); !strings.HasSuffix(live, ":task-definition/api:1") {
		t.Errorf("api-native runs %s after the stop, want api:1 (rolled back)", live)
	}
	if r := results["us-east-1/bg2"]; r.DeploymentID != "" || !strings.Contains(r.Note, "not started") {
		t.Errorf("bg2 = %+v, want it not started", r)
	}
	if !strings.Contains(log, "worker: "+worker.DeploymentID+": target us-east-1/bg failed: stopping the deployment with rollback") || worker.Status != "Stopped" {
		t.Errorf("worker's status %q; want Stopped, and its log to say why it stopped; log:\n%s", worker.Status, log)
	}
	if out["deployment-status"] != "Failed" || !strings.HasPrefix(out["error-message"], "us-east-1/bg: ") {
		t.Errorf("deployment-status %q, error-message %q: want Failed, bg's first", out["deployment-status"], out["error-message"])
	}
}
