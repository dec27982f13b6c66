package pipeline

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim/awssimtest"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/exitcode"
)

// ecsSandbox starts a sandbox seeded with testdata/sandbox/ecs.yaml and the
// extra scenarios.
func ecsSandbox(t *testing.T, extra ...awssim.Scenario) *awssimtest.Sandbox {
	t.Helper()
	return seededSandbox(t, "ecs.yaml", awssim.DefaultTimeScale, extra...)
}

// ecsInputs are the inputs of a deployment of image to group of
// application api, with the api/db secret's keys and api/token by reference.
func ecsInputs(image, group string) map[string]string {
	return map[string]string{
		"image": image, "codedeploy-application": "api", "codedeploy-deployment-group": group,
		"secrets": "API_DB,api/db\nAPI_TOKEN,api/token", "parse-json-secrets": "true",
	}
}

// ecsTaskDef describes a task definition of the sandbox.
func ecsTaskDef(t *testing.T, sb *awssimtest.Sandbox, ref string) *ecstypes.TaskDefinition {
	t.Helper()
	out, err := ecs.NewFromConfig(sb.Config()).DescribeTaskDefinition(context.Background(), &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(ref)})
	if err != nil {
		t.Fatal(err)
	}
	return out.TaskDefinition
}

func container(td *ecstypes.TaskDefinition, name string) ecstypes.ContainerDefinition {
	for _, c := range td.ContainerDefinitions {
		if aws.ToString(c.Name) == name {
			return c
		}
	}
	return ecstypes.ContainerDefinition{}
}

func TestDeployECSLinear(t *testing.T) {
	t.Parallel()
	// At 120 simulated seconds a second, a 10% step every 0.5 s, so that the
	// driver's polls (1 s, backing off to 4 s) see traffic move: about 8 s.
	sb := seededSandbox(t, "ecs.yaml", 120)
	image := sb.PushImage(t, "web")
	summaryFile := filepath.Join(t.TempDir(), "summary.md")
	code, out, log := runActionEnv(t, sb, ecsInputs(image, "linear"), map[string]string{"GITHUB_STEP_SUMMARY": summaryFile})
	if code != exitcode.OK {
		t.Fatalf("exit %d, want 0; log:\n%s", code, log)
	}
	summary, err := os.ReadFile(summaryFile)
	if err != nil {
		t.Fatal(err)
	}
	for _, span := range []string{"traffic shift", "termination wait", "deployment in progress"} {
		if !strings.Contains(string(summary), span) {
			t.Errorf("the summary's timeline lacks %q:\n%s", span, summary)
		}
	}
	want := map[string]string{
		"deployment-status":   "Succeeded",
		"task-definition-arn": "arn:aws:ecs:us-east-1:123456789012:task-definition/api:2",
		"image-uri":           image,
	}
	for k, v := range want {
		if out[k] != v {
			t.Errorf("output %s = %q, want %q", k, out[k], v)
		}
	}
	if !strings.HasPrefix(out["revision-location"], "sha256:") || out["rollback-deployment-id"] != "" {
		t.Errorf("revision-location %q, rollback %q; want the AppSpec's sha256 and no rollback", out["revision-location"], out["rollback-deployment-id"])
	}
	// The task sets' weights are printed as they move, 10% a minute.
	moving := 0
	for g := 10; g < 100; g += 10 {
		if strings.Contains(log, fmt.Sprintf("traffic: Blue %d%% (2/2 running), Green %d%% (2/2 running)", 100-g, g)) {
			moving++
		}
	}
	t.Logf("the log shows %d of the 9 traffic weights between 0 and 100", moving)
	if moving < 2 {
		t.Errorf("the log shows %d traffic weights between 0 and 100, want at least 2:\n%s", moving, log)
	}
	for _, w := range []string{"Blue 0% (2/2 running), Green 100% (2/2 running)", "AfterAllowTestTraffic Succeeded", "termination wait"} {
		if !strings.Contains(log, w) {
			t.Errorf("log lacks %q:\n%s", w, log)
		}
	}

	td := ecsTaskDef(t, sb, out["task-definition-arn"])
	app, envoy := container(td, "app"), container(td, "envoy")
	if got := aws.ToString(app.Image); got != image {
		t.Errorf("container app runs %s, want %s", got, image)
	}
	if got := aws.ToString(envoy.Image); got != "public.ecr.aws/appmesh/aws-appmesh-envoy:v1.29.4.0-prod" {
		t.Errorf("sidecar envoy runs %s, want it untouched", got)
	}
	secrets := map[string]string{}
	for _, s := range app.Secrets {
		secrets[aws.ToString(s.Name)] = aws.ToString(s.ValueFrom)
	}
	for name, suffix := range map[string]string{"DATADOG_API_KEY": ":secret:datadog-Xy12Ab", "API_DB_PASSWORD": ":password::", "API_DB_USERNAME": ":username::", "API_TOKEN": ""} {
		if v := secrets[name]; !strings.HasPrefix(v, "arn:aws:secretsmanager:") || !strings.HasSuffix(v, suffix) {
			t.Errorf("secret %s valueFrom %q, want an ARN ending %q; all: %v", name, v, suffix, secrets)
		}
	}
	raw, _ := json.Marshal(td)
	if strings.Contains(string(raw), "VALUE-never-in-taskdef") {
		t.Errorf("the task definition holds a secret's value: %s", raw)
	}
}

func TestDeployECSTaskDefinitionFile(t *testing.T) {
	t.Parallel()
	sb := ecsSandbox(t)
	inputs := ecsInputs(sb.PushImage(t, "web"), "linear")
	inputs["task-definition"] = "testdata/taskdefs/api.json"
	inputs["appspec"] = "testdata/appspecs/hooks.yaml"
	code, out, log := runAction(t, sb, inputs)
	if code != exitcode.OK || out["deployment-status"] != "Succeeded" {
		t.Fatalf("exit %d, status %q; want 0, Succeeded; log:\n%s", code, out["deployment-status"], log)
	}
	td := ecsTaskDef(t, sb, out["task-definition-arn"])
	if aws.ToString(td.Memory) != "1024" || aws.ToString(container(td, "app").Image) != out["image-uri"] {
		t.Errorf("registered memory %s, app image %s; want the file's 1024 and %s", aws.ToString(td.Memory), aws.ToString(container(td, "app").Image), out["image-uri"])
	}
}

// TestDeployECSRefuses: bad task definition files and containers fail with
// a clear error (an annotation on the file's line where there is one) and
// register nothing.
func TestDeployECSRefuses(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		inputs map[string]string
		want   string // in the log
		noAWS  bool   // refused before any AWS call
	}{
		{name: "unknown field", inputs: map[string]string{"task-definition": "testdata/taskdefs/unknown-field.json"},
			want: `::error file=testdata/taskdefs/unknown-field.json,line=9::testdata/taskdefs/unknown-field.json:9:7: unknown field "memoryReservaton"`, noAWS: true},
		{name: "bad JSON", inputs: map[string]string{"task-definition": "testdata/taskdefs/bad-json.json"},
			want: `::error file=testdata/taskdefs/bad-json.json,line=7::testdata/taskdefs/bad-json.json:7:7: not valid JSON`, noAWS: true},
		{name: "bad hook", inputs: map[string]string{"appspec": "testdata/appspecs/bad-hook.yaml"},
			want: `::error file=testdata/appspecs/bad-hook.yaml,line=4::testdata/appspecs/bad-hook.yaml:4: ValidateService is not a hook of an ECS deployment`, noAWS: true},
		{name: "missing container", inputs: map[string]string{"container-name": "worker"},
			want: `task definition "api" has no container "worker" (its containers: "app", "envoy"); set container-name`},
		{name: "appspec port", inputs: map[string]string{"appspec": "testdata/appspecs/wrong-port.yaml"},
			want: `::error file=testdata/appspecs/wrong-port.yaml,line=9::testdata/appspecs/wrong-port.yaml:9: ContainerPort 9090 is not the port the service's load balancer routes to (8080)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			sb := ecsSandbox(t)
			inputs := ecsInputs(sb.PushImage(t, "web"), "linear")
			for k, v := range tt.inputs {
				inputs[k] = v
			}
			before := len(sb.Calls())
			code, out, log := runAction(t, sb, inputs)
			if code != exitcode.Failed || !strings.Contains(log, tt.want) {
				t.Errorf("exit %d, want %d with %q; log:\n%s", code, exitcode.Failed, tt.want, log)
			}
			if n := countCalls(sb, "ecs", "RegisterTaskDefinition"); n != 0 || out["task-definition-arn"] != "" {
				t.Errorf("%d RegisterTaskDefinition calls, task-definition-arn %q; want none", n, out["task-definition-arn"])
			}
			if n := countCalls(sb, "codedeploy", "CreateDeployment"); n != 0 {
				t.Errorf("%d CreateDeployment calls, want none", n)
			}
			if n := len(sb.Calls()) - before; tt.noAWS && n != 0 {
				t.Errorf("made %d AWS calls, want none: the file is checked first", n)
			}
		})
	}
}

func TestDeployECSHookFailureRollsBack(t *testing.T) {
	t.Parallel()
	sb := ecsSandbox(t, awssim.Scenario{Lifecycle: []awssim.LifecycleFault{{
		Application: "api", DeploymentGroup: "linear", Event: "AfterAllowTestTraffic",
		Message: "smoke test: GET /healthz on the test listener returned 503",
	}}})
	inputs := ecsInputs(sb.PushImage(t, "web"), "linear")
	inputs["appspec"] = "testdata/appspecs/hooks.yaml"
	code, out, log := runAction(t, sb, inputs)
	if code != exitcode.Failed {
		t.Fatalf("exit %d, want %d; log:\n%s", code, exitcode.Failed, log)
	}
	if out["deployment-status"] != "Failed" || out["rollback-deployment-id"] == "" || out["error-code"] != "HOOK_EXECUTION_FAILURE" {
		t.Errorf("status %q, rollback %q, error-code %q; want Failed, a rollback, HOOK_EXECUTION_FAILURE",
			out["deployment-status"], out["rollback-deployment-id"], out["error-code"])
	}
	if !strings.Contains(out["error-message"], "returned 503") {
		t.Errorf("error-message %q lacks the hook's reason", out["error-message"])
	}
	if !strings.Contains(log, "rolled back by deployment "+out["rollback-deployment-id"]) || strings.Contains(log, "Green 10%") {
		t.Errorf("log does not name the rollback, or production traffic moved:\n%s", log)
	}
}

func TestDeployECSPauseAtReady(t *testing.T) {
	t.Parallel()
	sb := ecsSandbox(t)
	inputs := ecsInputs(sb.PushImage(t, "web"), "ready")
	inputs["on-ready"] = "pause"
	code, out, log := runAction(t, sb, inputs)
	if code != exitcode.OK || out["deployment-status"] != "Ready" || out["task-definition-arn"] == "" {
		t.Fatalf("exit %d, status %q, task-definition-arn %q; want 0, Ready, the new revision; log:\n%s", code, out["deployment-status"], out["task-definition-arn"], log)
	}
	if !strings.Contains(log, "Green 0%") || !strings.Contains(log, "AfterAllowTestTraffic") {
		t.Errorf("at Ready the log should show the installed green task set at 0%% and its events; log:\n%s", log)
	}
	code, out, log = runAction(t, sb, map[string]string{"command": "continue", "deployment-id": out["deployment-id"]})
	if code != exitcode.OK || out["deployment-status"] != "Succeeded" || !strings.Contains(log, "Green 100%") {
		t.Fatalf("continue: exit %d, status %q; want 0, Succeeded with green at 100%%; log:\n%s", code, out["deployment-status"], log)
	}
}
