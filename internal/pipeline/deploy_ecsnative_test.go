package pipeline

import (
	"context"
	"fmt"
	"maps"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim/awssimtest"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/exitcode"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/platform/ecsnative"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/report"
)

// nativeSandbox starts a sandbox seeded with testdata/sandbox/ecs-native.yaml
// at scale simulated seconds a second.
func nativeSandbox(t *testing.T, scale float64, extra ...awssim.Scenario) *awssimtest.Sandbox {
	t.Helper()
	return seededSandbox(t, "ecs-native.yaml", scale, extra...)
}

// nativeInputs are the inputs of a deployment of image to ECS service
// service of cluster prod, with the api/db secret by reference.
func nativeInputs(image, service string) map[string]string {
	return map[string]string{"image": image, "ecs-cluster": "prod", "ecs-service": service, "secrets": "DB,api/db"}
}

var serviceDeploymentARN = regexp.MustCompile(`^arn:aws:ecs:us-east-1:123456789012:service-deployment/prod/[a-z-]+/[0-9]+$`)

// serviceDeployments reads every deployment of a service of cluster prod.
func serviceDeployments(t *testing.T, sb *awssimtest.Sandbox, service string) []ecstypes.ServiceDeployment {
	t.Helper()
	client := ecs.NewFromConfig(sb.Config())
	ctx := context.Background()
	list, err := client.ListServiceDeployments(ctx, &ecs.ListServiceDeploymentsInput{Cluster: aws.String("prod"), Service: aws.String(service)})
	if err != nil {
		t.Fatal(err)
	}
	var arns []string
	for _, d := range list.ServiceDeployments {
		arns = append(arns, aws.ToString(d.ServiceDeploymentArn))
	}
	if len(arns) == 0 {
		return nil
	}
	out, err := client.DescribeServiceDeployments(ctx, &ecs.DescribeServiceDeploymentsInput{ServiceDeploymentArns: arns})
	if err != nil {
		t.Fatal(err)
	}
	return out.ServiceDeployments
}

func TestDeployECSNativeBlueGreen(t *testing.T) {
	t.Parallel()
	// At 60 simulated seconds a second each 10 s traffic shift lasts 170 ms
	// of wall time, which a loaded machine's polls still see (at the
	// default 600 they missed it under -parallel 4).
	sb := nativeSandbox(t, 60)
	image := sb.PushImage(t, "web")
	code, out, log := runAction(t, sb, nativeInputs(image, "api-native"))
	if code != exitcode.OK || out["deployment-status"] != "Succeeded" || !serviceDeploymentARN.MatchString(out["deployment-id"]) ||
		out["task-definition-arn"] != "arn:aws:ecs:us-east-1:123456789012:task-definition/api:2" {
		t.Fatalf("exit %d, outputs %v\n%s", code, out, log)
	}
	for _, stage := range []string{"SCALE_UP", "TEST_TRAFFIC_SHIFT", "PRODUCTION_TRAFFIC_SHIFT", "BAKE_TIME", "CLEAN_UP"} {
		if !strings.Contains(log, "lifecycle stage "+stage) {
			t.Errorf("the log does not say stage %s\n%s", stage, log)
		}
	}
	td := ecsTaskDef(t, sb, out["task-definition-arn"])
	c := container(td, "app")
	if aws.ToString(c.Image) != image || len(c.Secrets) != 1 || !strings.HasPrefix(aws.ToString(c.Secrets[0].ValueFrom), "arn:aws:secretsmanager:") {
		t.Errorf("task definition: image %s, secrets %+v", aws.ToString(c.Image), c.Secrets)
	}
	if d := serviceDeployments(t, sb, "api-native"); len(d) != 1 || d[0].Status != ecstypes.ServiceDeploymentStatusSuccessful {
		t.Errorf("the sandbox's deployments: %+v", d)
	}
}

func TestDeployECSNativeLinearWeights(t *testing.T) {
	t.Parallel()
	sb := nativeSandbox(t, awssim.DefaultTimeScale)
	code, out, log := runAction(t, sb, nativeInputs(sb.PushImage(t, "web"), "api-linear"))
	if code != exitcode.OK || out["deployment-status"] != "Succeeded" {
		t.Fatalf("exit %d, outputs %v\n%s", code, out, log)
	}
	at := -1
	for _, w := range []string{"production 25%", "production 50%", "production 75%", "production 100%"} {
		i := strings.Index(log, "traffic on the new revision: "+w)
		if i < at {
			t.Errorf("weight %s not seen after the one before\n%s", w, log)
		}
		at = i
	}
}

func TestDeployECSNativePauseContinue(t *testing.T) {
	t.Parallel()
	sb := nativeSandbox(t, awssim.DefaultTimeScale)
	inputs := nativeInputs(sb.PushImage(t, "web"), "api-pause")
	inputs["on-ready"] = "pause"
	code, out, log := runAction(t, sb, inputs)
	arn := out["deployment-id"]
	if code != exitcode.OK || out["deployment-status"] != "Ready" || !serviceDeploymentARN.MatchString(arn) {
		t.Fatalf("exit %d, outputs %v\n%s", code, out, log)
	}
	if !regexp.MustCompile(`paused at POST_TEST_TRAFFIC_SHIFT: PAUSE hook ecs-pause-\S+ awaits action until \S+, when ECS will ROLLBACK`).MatchString(log) {
		t.Errorf("the pause is not said\n%s", log)
	}
	code, out, log = runAction(t, sb, map[string]string{"command": "continue", "deployment-id": arn})
	if code != exitcode.OK || out["deployment-status"] != "Succeeded" || out["deployment-id"] != arn {
		t.Fatalf("continue: exit %d, outputs %v\n%s", code, out, log)
	}
}

func TestDeployECSNativeCircuitBreaker(t *testing.T) {
	t.Parallel()
	sb := nativeSandbox(t, awssim.DefaultTimeScale)
	code, out, log := runAction(t, sb, nativeInputs(sb.PushImage(t, "web"), "api-broken"))
	if code != exitcode.Failed || out["deployment-status"] != "Failed" || out["error-code"] != "CIRCUIT_BREAKER_TRIGGERED" {
		t.Fatalf("exit %d, outputs %v\n%s", code, out, log)
	}
	for _, w := range []string{"circuit breaker", "rolled back to service revision arn:aws:ecs:us-east-1:123456789012:service-revision/prod/api-broken/", "task definition arn:aws:ecs:us-east-1:123456789012:task-definition/api:1"} {
		if !strings.Contains(out["error-message"], w) {
			t.Errorf("error-message %q does not say %q", out["error-message"], w)
		}
	}
}

// TestDeployECSNativeCancelDuringShift cancels the run while LINEAR traffic
// moves: the action stops the deployment with rollback, exits 1 and leaves
// nothing of the new revision running.
func TestDeployECSNativeCancelDuringShift(t *testing.T) {
	t.Parallel()
	sb := nativeSandbox(t, 60) // a 1-minute step lasts a second
	image := sb.PushImage(t, "web")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { // cancel once production traffic moves
		client := ecs.NewFromConfig(sb.Config())
		for ctx.Err() == nil {
			list, err := client.ListServiceDeployments(ctx, &ecs.ListServiceDeploymentsInput{Cluster: aws.String("prod"), Service: aws.String("api-linear")})
			if err == nil && len(list.ServiceDeployments) > 0 {
				out, err := client.DescribeServiceDeployments(ctx, &ecs.DescribeServiceDeploymentsInput{ServiceDeploymentArns: []string{aws.ToString(list.ServiceDeployments[0].ServiceDeploymentArn)}})
				if err == nil && len(out.ServiceDeployments) == 1 && aws.ToFloat64(out.ServiceDeployments[0].TargetServiceRevision.RequestedProductionTrafficWeight) >= 25 {
					cancel()
				}
			}
			time.Sleep(20 * time.Millisecond)
		}
	}()
	code, out, log := runActionCtx(ctx, t, sb, nativeInputs(image, "api-linear"), nil)
	if code != exitcode.Failed || out["error-code"] != "CANCELLED" || !serviceDeploymentARN.MatchString(out["deployment-id"]) {
		t.Fatalf("exit %d, outputs %v\n%s", code, out, log)
	}
	if !strings.Contains(log, "stopping the deployment with rollback") {
		t.Errorf("the log does not say the stop\n%s", log)
	}
	sb.Clock.Sleep(context.Background(), 5*time.Minute)
	ds := serviceDeployments(t, sb, "api-linear")
	if len(ds) != 1 || aws.ToString(ds[0].ServiceDeploymentArn) != out["deployment-id"] || ds[0].Status != ecstypes.ServiceDeploymentStatusRollbackSuccessful ||
		ds[0].TargetServiceRevision.RunningTaskCount != 0 || !strings.Contains(aws.ToString(ds[0].Rollback.Reason), "StopServiceDeployment") {
		t.Fatalf("the sandbox's deployments after the cancel: %+v", ds)
	}
}

// TestDeployECSWrongPlatformInputs gives each ECS path the other's
// service: the run is refused after the read-only lookup, naming the
// inputs to use, before any secret, image or AWS change.
func TestDeployECSWrongPlatformInputs(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name   string
		sb     func(t *testing.T) *awssimtest.Sandbox
		inputs func(image string) map[string]string
		words  []string
	}{
		{"CODE_DEPLOY service as ecs-service", func(t *testing.T) *awssimtest.Sandbox { return ecsSandbox(t) },
			func(image string) map[string]string { return nativeInputs(image, "api") },
			[]string{`input "ecs-service"`, "CODE_DEPLOY", "codedeploy-application and codedeploy-deployment-group"}},
		{"ECS-controlled service in a CodeDeploy group", func(t *testing.T) *awssimtest.Sandbox {
			return ecsSandbox(t, awssim.Scenario{Seed: []awssim.SeedCall{{Service: "ecs", Operation: "UpdateService",
				Input: map[string]any{"cluster": "prod", "service": "api", "deploymentController": map[string]any{"type": "ECS"}}}}})
		}, func(image string) map[string]string { return ecsInputs(image, "linear") },
			[]string{`input "codedeploy-deployment-group"`, "uses the ECS deployment controller", "give ecs-cluster and ecs-service"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			sb := tt.sb(t)
			image := sb.PushImage(t, "web")
			before := len(sb.Calls())
			code, out, log := runAction(t, sb, tt.inputs(image))
			if code != exitcode.Failed || out["error-code"] != "INVALID_INPUT" {
				t.Fatalf("exit %d, outputs %v\n%s", code, out, log)
			}
			for _, w := range tt.words {
				if !strings.Contains(out["error-message"], w) {
					t.Errorf("error-message %q does not say %q", out["error-message"], w)
				}
			}
			for _, c := range sb.Calls()[before:] {
				if c.Operation != "GetDeploymentGroup" && c.Operation != "DescribeServices" {
					t.Errorf("call %s %s after the refusal's lookup", c.Service, c.Operation)
				}
			}
		})
	}
}

// TestECSNativeInputs checks the inputs that choose the platform, refused
// before any AWS call.
func TestECSNativeInputs(t *testing.T) {
	t.Parallel()
	sb := nativeSandbox(t, awssim.DefaultTimeScale)
	const image = "123456789012.dkr.ecr.us-east-1.amazonaws.com/web@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	for _, tt := range []struct {
		inputs map[string]string
		want   string
	}{
		{map[string]string{"image": image, "ecs-cluster": "prod"}, `input "ecs-service": ecs-cluster and ecs-service go together`},
		{map[string]string{"image": image, "ecs-cluster": "prod", "ecs-service": "api-native", "appspec": "appspec.yaml"}, `input "appspec": is for CodeDeploy`},
		{map[string]string{"image": image, "ecs-cluster": "prod", "ecs-service": "api-native", "s3-bucket": "b"}, `input "s3-bucket": is for codedeploy`},
		{map[string]string{"image": image, "codedeploy-application": "api", "codedeploy-deployment-group": "g", "ecs-service": "api-native"}, `input "ecs-service": is for ecs-native (ecs-cluster and ecs-service)`},
		{map[string]string{"command": "status", "deployment-id": "arn:aws:ecs:us-east-1:123456789012:service/prod/api"}, `is not a CodeDeploy deployment id (d- and 9 letters or digits, e.g. d-A1B2C3D4E) or an ECS service deployment ARN`},
	} {
		before := len(sb.Calls())
		code, _, log := runAction(t, sb, tt.inputs)
		if code != exitcode.BadInput || !strings.Contains(log, tt.want) {
			t.Errorf("%v: exit %d, want %d saying %s\n%s", tt.inputs, code, exitcode.BadInput, tt.want, log)
		}
		if n := len(sb.Calls()) - before; n != 0 {
			t.Errorf("%v: %d AWS calls", tt.inputs, n)
		}
	}
}

// liveRunTag is the RunTag value of the task definition ECS service
// service of cluster prod was last updated to ("" without one), and that
// task definition.
func liveRunTag(t *testing.T, sb *awssimtest.Sandbox, service string) (tag, taskDef string) {
	t.Helper()
	client := ecs.NewFromConfig(sb.Config())
	ctx := context.Background()
	svc, err := client.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String("prod"), Services: []string{service}})
	if err != nil || len(svc.Services) != 1 {
		t.Fatalf("DescribeServices %s: %v", service, err)
	}
	taskDef = aws.ToString(svc.Services[0].TaskDefinition)
	td, err := client.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(taskDef), Include: []ecstypes.TaskDefinitionField{ecstypes.TaskDefinitionFieldTags}})
	if err != nil {
		t.Fatal(err)
	}
	for _, tag := range td.Tags {
		if aws.ToString(tag.Key) == ecsnative.RunTag {
			return aws.ToString(tag.Value), taskDef
		}
	}
	return "", taskDef
}

// TestSupersedeECSNative: the supersede check for an ECS-native service,
// one run at a time. Each run's task definition carries its run; an older
// run deploys nothing (no UpdateService) once a newer run updated the
// service, unless it is a re-run or the check is off, and it neither waits
// for nor stops a newer run's deployment in progress.
func TestSupersedeECSNative(t *testing.T) {
	t.Parallel()
	sb := nativeSandbox(t, awssim.DefaultTimeScale)
	image := sb.PushImage(t, "web")
	steps := []struct {
		name       string
		run, try   int
		inputs     map[string]string
		wantStatus string
		wantLive   string // the RunTag of the service's task definition afterwards
	}{
		{"the newest run deploys", 200, 1, nil, "Succeeded", "200/1"},
		{"an older run is superseded", 199, 1, nil, report.StatusSuperseded, "200/1"},
		{"a re-run of an older run deploys", 198, 2, nil, "Succeeded", "198/2"},
		{"with the check off an older run deploys", 197, 1, map[string]string{"supersede-check": "false"}, "Succeeded", "197/1"},
		{"a newer run's deployment in progress", 300, 1, map[string]string{"wait": "false"}, "", "300/1"},
		{"an older run neither stops it nor deploys", 299, 1, map[string]string{"on-active-deployment": "stop"}, report.StatusSuperseded, "300/1"},
	}
	calls := func(op string) int {
		n := 0
		for _, c := range sb.Calls() {
			if c.Operation == op {
				n++
			}
		}
		return n
	}
	for _, s := range steps {
		inputs := nativeInputs(image, "api-native")
		maps.Copy(inputs, s.inputs)
		updates, stops := calls("UpdateService"), calls("StopServiceDeployment")
		code, out, log := runActionEnv(t, sb, inputs, runEnv(s.run, s.try))
		if code != exitcode.OK || out["deployment-status"] != s.wantStatus || out["error-code"] != "" {
			t.Fatalf("%s: exit %d, deployment-status %q, error-code %q; want 0, %q\n%s", s.name, code, out["deployment-status"], out["error-code"], s.wantStatus, log)
		}
		tag, taskDef := liveRunTag(t, sb, "api-native")
		if tag != s.wantLive {
			t.Errorf("%s: the service runs %s of run %q, want run %s", s.name, taskDef, tag, s.wantLive)
		}
		superseded := s.wantStatus == report.StatusSuperseded
		notice := fmt.Sprintf("Superseded: task definition %s of run %s is newer than this run (%d) in ECS service prod/api-native", taskDef, strings.TrimSuffix(s.wantLive, "/1"), s.run)
		if strings.Contains(log, notice) != superseded {
			t.Errorf("%s: notice %q: %v, want %v\n%s", s.name, notice, !superseded, superseded, log)
		}
		if n := calls("UpdateService") - updates; n != map[bool]int{true: 0, false: 1}[superseded] {
			t.Errorf("%s: %d UpdateService calls", s.name, n)
		}
		if n := calls("StopServiceDeployment") - stops; n != 0 {
			t.Errorf("%s: %d StopServiceDeployment calls", s.name, n)
		}
	}
}

// TestECSNativeRunTagRefused: a role without ecs:TagResource (made from an
// earlier README) has the tagged registration refused; the run registers
// the revision untagged, says why, and deploys. A refusal of
// ecs:RegisterTaskDefinition itself is not retried.
func TestECSNativeRunTagRefused(t *testing.T) {
	t.Parallel()
	refused := func(action string) awssim.Scenario {
		return awssim.Scenario{Faults: []awssim.Fault{{Service: "ecs", Operation: "RegisterTaskDefinition", Error: "AccessDeniedException", Count: 1,
			Message: "User: arn:aws:sts::123456789012:assumed-role/deploy/run is not authorized to perform: " + action + " on resource: arn:aws:ecs:us-east-1:123456789012:task-definition/api:2"}}}
	}
	sb := nativeSandbox(t, awssim.DefaultTimeScale, refused("ecs:TagResource"))
	code, out, log := runActionEnv(t, sb, nativeInputs(sb.PushImage(t, "web"), "api-native"), runEnv(500, 1))
	if code != exitcode.OK || out["deployment-status"] != "Succeeded" {
		t.Fatalf("exit %d, deployment-status %q; want 0, Succeeded\n%s", code, out["deployment-status"], log)
	}
	if !strings.Contains(log, "::warning::Registering the task definition tagged "+ecsnative.RunTag+" was refused") {
		t.Errorf("no warning about the refused tag\n%s", log)
	}
	if tag, taskDef := liveRunTag(t, sb, "api-native"); tag != "" || taskDef != out["task-definition-arn"] {
		t.Errorf("the service runs %s tagged %q, want this run's %s untagged", taskDef, tag, out["task-definition-arn"])
	}

	sb = nativeSandbox(t, awssim.DefaultTimeScale, refused("ecs:RegisterTaskDefinition"))
	code, _, log = runActionEnv(t, sb, nativeInputs(sb.PushImage(t, "web"), "api-native"), runEnv(500, 1))
	if code == exitcode.OK || strings.Contains(log, "registering it untagged") || countCalls(sb, "ecs", "RegisterTaskDefinition") != 1 {
		t.Errorf("RegisterTaskDefinition refused: exit %d, %d calls; want a failure after one call, no untagged retry\n%s", code, countCalls(sb, "ecs", "RegisterTaskDefinition"), log)
	}
}
