package report

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
)

// severalTargets is a run with three targets in two waves: one deployed,
// one rolled back after its AfterAllowTestTraffic hook failed, and one the
// run did not start.
func severalTargets() *Result {
	apiEvents := []Event{
		{Name: "BeforeInstall", Status: "Succeeded", Start: at(70), End: at(71)},
		{Name: "Install", Status: "Succeeded", Start: at(71), End: at(110)},
		{Name: "AfterInstall", Status: "Succeeded", Start: at(110), End: at(111)},
		{Name: "AllowTraffic", Status: "Succeeded", Start: at(111), End: at(140)},
	}
	workerEvents := []Event{
		{Name: "BeforeInstall", Status: "Succeeded", Start: at(68), End: at(69)},
		{Name: "Install", Status: "Succeeded", Start: at(69), End: at(100)},
		{Name: "AllowTestTraffic", Status: "Succeeded", Start: at(100), End: at(101)},
		{Name: "AfterAllowTestTraffic", Status: "Failed", Start: at(101), End: at(130)},
		{Name: "AllowTraffic", Status: "Skipped"},
	}
	return &Result{
		Outcome: OutcomeRolledBack, Start: t0, End: at(180),
		Secrets: []string{"DB_PASSWORD"},
		Image: func() *Image {
			im := testImage(true)
			im.Regions = []RegionImage{{Region: "us-east-1", URI: "123456789012.dkr.ecr.us-east-1.amazonaws.com/shop/web@" + im.Digest}}
			return im
		}(),
		Err: errors.New("wave 1: eu-west-1/worker rolled back"),
		Timeline: []Span{
			{Name: "secrets", Start: at(0.2), End: at(0.9)},
			{Name: "build", Start: at(1), End: at(48)},
			{Name: "push", Start: at(48), End: at(61)},
		},
		Targets: []*TargetResult{
			{
				Name: "eu-west-1/api", Wave: 1, Region: "eu-west-1", Environment: "production-eu",
				Result: &Result{
					Outcome: OutcomeDeployed, Start: at(62), End: at(150),
					Deploy: &Deployment{
						ID: "d-API000001", URL: consoleURL("eu-west-1", "d-API000001"), Service: "CodeDeploy", Title: "shop/api, ECS",
						Where: where("shop", "api", "CodeDeployDefault.ECSAllAtOnce", "ECS"), Status: StatusSucceeded,
						What:    what("arn:aws:ecs:eu-west-1:123456789012:task-definition/api:42", "", "sha256:7c4a8d09ca37"),
						Targets: []Target{{ID: "shop:api", Status: "Succeeded", Events: apiEvents}},
					},
					Timeline: []Span{{Name: "deployment", Start: at(66), End: at(145)}},
					GitHub:   &GitHubDeployment{ID: 501, Environment: "production-eu", State: "success"},
				},
			},
			{
				Name: "eu-west-1/worker", Wave: 1, Region: "eu-west-1",
				Result: &Result{
					Outcome: OutcomeRolledBack, Start: at(62), End: at(160),
					Err: errors.New("deployment d-WRK000001 failed: HOOK_EXECUTION_FAILURE: lifecycle event AfterAllowTestTraffic failed"),
					Deploy: &Deployment{
						ID: "d-WRK000001", URL: consoleURL("eu-west-1", "d-WRK000001"), Service: "CodeDeploy", Title: "shop/worker, ECS",
						Where: where("shop", "worker", "CodeDeployDefault.ECSAllAtOnce", "ECS"), Status: StatusFailed, RollbackID: "d-WRK000002",
						What:      what("arn:aws:ecs:eu-west-1:123456789012:task-definition/worker:7", "", ""),
						ErrorCode: "HOOK_EXECUTION_FAILURE", ErrorMessage: "The deployment failed because one or more lifecycle event hooks failed.",
						Targets: []Target{{ID: "shop:worker", Status: "Failed", Events: workerEvents}},
						Failure: &Diagnostics{
							Target: "shop:worker", Event: "AfterAllowTestTraffic", ErrorCode: "ScriptFailed",
							Script: "arn:aws:lambda:eu-west-1:123456789012:function:smoke", Message: "GET /health returned 503",
							LogTail: "GET /health\n503 Service Unavailable", File: "deploy/worker/appspec.yml", Line: 4,
						},
					},
					Timeline: []Span{{Name: "deployment", Start: at(64), End: at(130)}, {Name: "rollback", Start: at(130), End: at(158)}},
				},
			},
			{Name: "us-east-1/api", Wave: 2, Region: "us-east-1", Note: "not started: wave 1 did not succeed"},
		},
	}
}

func TestOutputResultTargets(t *testing.T) {
	t.Parallel()
	rep, _, _ := newTestReporter(t)
	rep.OutputResult(severalTargets())
	got := rep.Outputs()

	var ids map[string]string
	if err := json.Unmarshal([]byte(got["deployment-id"]), &ids); err != nil {
		t.Fatalf("deployment-id %q: %v", got["deployment-id"], err)
	}
	if want := map[string]string{"eu-west-1/api": "d-API000001", "eu-west-1/worker": "d-WRK000001"}; !reflect.DeepEqual(ids, want) {
		t.Errorf("deployment-id = %v, want %v", ids, want)
	}
	if want := `{"eu-west-1/api":"d-API000001","eu-west-1/worker":"d-WRK000001"}`; got["deployment-id"] != want {
		t.Errorf("deployment-id = %s, want the stable form %s", got["deployment-id"], want)
	}
	if got["deployment-status"] != StatusFailed {
		t.Errorf("deployment-status = %q, want Failed", got["deployment-status"])
	}
	for _, name := range []string{"deployment-url", "rollback-deployment-id", "task-definition-arn", "revision-location", "github-deployment-id"} {
		if v, ok := got[name]; ok {
			t.Errorf("output %s = %q is set at step level, want it only in targets", name, v)
		}
	}
	for name, want := range map[string]string{"secrets": "DB_PASSWORD", "image-pushed": "true", "duration-seconds": "180"} {
		if got[name] != want {
			t.Errorf("output %s = %q, want %q", name, got[name], want)
		}
	}

	var targets []map[string]any
	if err := json.Unmarshal([]byte(got["targets"]), &targets); err != nil {
		t.Fatalf("targets %q: %v", got["targets"], err)
	}
	want := []map[string]any{
		{
			"name": "eu-west-1/api", "wave": 1.0, "region": "eu-west-1", "environment": "production-eu", "github-deployment-id": 501.0,
			"deployment-id": "d-API000001", "deployment-url": consoleURL("eu-west-1", "d-API000001"), "status": "Succeeded", "outcome": "deployed",
			"task-definition-arn": "arn:aws:ecs:eu-west-1:123456789012:task-definition/api:42", "revision-location": "sha256:7c4a8d09ca37",
		},
		{
			"name": "eu-west-1/worker", "wave": 1.0, "region": "eu-west-1",
			"deployment-id": "d-WRK000001", "deployment-url": consoleURL("eu-west-1", "d-WRK000001"), "status": "Failed", "outcome": "rolled back",
			"rollback-deployment-id": "d-WRK000002", "task-definition-arn": "arn:aws:ecs:eu-west-1:123456789012:task-definition/worker:7",
			"error-code": "HOOK_EXECUTION_FAILURE",
			"error-message": "deployment d-WRK000001 failed: HOOK_EXECUTION_FAILURE: lifecycle event AfterAllowTestTraffic failed\n" +
				"GET /health returned 503",
		},
		{"name": "us-east-1/api", "wave": 2.0, "region": "us-east-1", "status": "NotStarted", "note": "not started: wave 1 did not succeed"},
	}
	if !reflect.DeepEqual(targets, want) {
		t.Errorf("targets =\n%v\nwant\n%v", targets, want)
	}
	if !strings.HasPrefix(got["targets"], `[{"name":"eu-west-1/api","wave":1,"region":"eu-west-1",`) {
		t.Errorf("targets does not start with the first target's name, wave and region: %s", got["targets"])
	}
}

func TestOutputResultOneTargetUnchanged(t *testing.T) {
	t.Parallel()
	rep, _, _ := newTestReporter(t)
	res := severalTargets().Targets[1].Result
	rep.OutputResult(res)
	got := rep.Outputs()
	if _, ok := got["targets"]; ok {
		t.Errorf("a run without targets set the targets output: %v", got)
	}
	if got["deployment-id"] != "d-WRK000001" || got["rollback-deployment-id"] != "d-WRK000002" {
		t.Errorf("outputs = %v, want the deployment's own", got)
	}
}

func TestTargetsJSONFits(t *testing.T) {
	t.Parallel()
	base := severalTargets().Targets
	var many []*TargetResult
	for range 200 {
		many = append(many, base...)
	}
	s := TargetsJSON(many)
	var decoded []map[string]any
	if err := json.Unmarshal([]byte(s), &decoded); err != nil {
		t.Fatalf("TargetsJSON of %d targets is not JSON: %v", len(many), err)
	}
	if len(s) > maxOutput || len(decoded) == 0 || len(decoded) >= len(many) {
		t.Errorf("TargetsJSON of %d targets: %d bytes, %d targets; want at most %d bytes and some targets left out", len(many), len(s), len(decoded), maxOutput)
	}
	for _, o := range decoded {
		if _, ok := o["error-message"]; ok {
			t.Fatalf("a target kept its error-message in a clipped targets output: %v", o)
		}
	}
}

func TestOverallStatus(t *testing.T) {
	t.Parallel()
	target := func(status string) *TargetResult {
		if status == "" {
			return &TargetResult{Name: "not started"}
		}
		return &TargetResult{Name: status, Result: &Result{Deploy: &Deployment{ID: "d-1", Status: status}}}
	}
	failedEarly := &TargetResult{Name: "failed early", Result: &Result{Outcome: OutcomeFailed, Err: errors.New("registering the task definition")}}
	tests := []struct {
		targets []*TargetResult
		want    string
	}{
		{[]*TargetResult{target("Succeeded"), target("Succeeded")}, "Succeeded"},
		{[]*TargetResult{target("Succeeded"), target("Failed"), target("")}, "Failed"},
		{[]*TargetResult{target("Stopped"), target("InProgress")}, "Stopped"},
		{[]*TargetResult{target("Succeeded"), target("InProgress"), target("Ready")}, "InProgress"},
		{[]*TargetResult{target("Ready"), target("")}, "Ready"},
		{[]*TargetResult{target("Succeeded"), target("")}, "NotStarted"},
		{[]*TargetResult{target("TrafficShifted"), target("Succeeded"), target("Superseded")}, "TrafficShifted"},
		{[]*TargetResult{target("Superseded"), target("Succeeded")}, "Superseded"},
		{[]*TargetResult{target("Created"), target("InProgress")}, "Created"},
		{[]*TargetResult{target("Succeeded"), failedEarly}, "Failed"},
		{[]*TargetResult{target(""), target("")}, ""},
	}
	for _, tt := range tests {
		var names []string
		for _, t := range tt.targets {
			names = append(names, t.Name)
		}
		if got := OverallStatus(tt.targets); got != tt.want {
			t.Errorf("OverallStatus(%v) = %q, want %q", names, got, tt.want)
		}
	}
}

func TestExplainTargets(t *testing.T) {
	t.Parallel()
	res := severalTargets()
	got, ok := Explain(res)
	want := Failure{
		Code: "HOOK_EXECUTION_FAILURE", File: "deploy/worker/appspec.yml", Line: 4,
		Message: "eu-west-1/worker: deployment d-WRK000001 failed: HOOK_EXECUTION_FAILURE: lifecycle event AfterAllowTestTraffic failed\n" +
			"  GET /health returned 503\n" +
			"  log tail:\n  GET /health\n  503 Service Unavailable",
	}
	if !ok || got != want {
		t.Errorf("Explain() = %+v, %v\nwant        %+v, true", got, ok, want)
	}

	res.Outcome = OutcomeCancelled
	if got, _ := Explain(res); got.Code != "CANCELLED" {
		t.Errorf("Explain() of a cancelled run: code %q, want CANCELLED", got.Code)
	}

	// No target failed: the run's own error, as with one target.
	res = severalTargets()
	res.Targets = res.Targets[:1]
	res.Outcome, res.Err = OutcomeFailed, errors.New("creating the GitHub deployment: 403")
	if got, _ := Explain(res); got.Message != "creating the GitHub deployment: 403" || got.Code != "FAILED" {
		t.Errorf("Explain() without failed targets = %+v, want the run's error", got)
	}
}
