package ecs_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/document"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim/awssimtest"
)

func pauseHook(timeout int32, action ecstypes.DeploymentLifecycleHookAction) ecstypes.DeploymentLifecycleHook {
	return ecstypes.DeploymentLifecycleHook{TargetType: ecstypes.DeploymentLifecycleHookTargetTypePause,
		LifecycleStages:      []ecstypes.DeploymentLifecycleHookStage{ecstypes.DeploymentLifecycleHookStagePostTestTrafficShift},
		TimeoutConfiguration: &ecstypes.DeploymentLifecycleHookTimeoutConfiguration{TimeoutInMinutes: aws.Int32(timeout), Action: action}}
}

func blueGreen(hooks ...ecstypes.DeploymentLifecycleHook) *ecstypes.DeploymentConfiguration {
	return &ecstypes.DeploymentConfiguration{Strategy: ecstypes.DeploymentStrategyBlueGreen, BakeTimeInMinutes: aws.Int32(5), LifecycleHooks: hooks,
		DeploymentCircuitBreaker: &ecstypes.DeploymentCircuitBreaker{Enable: true, Rollback: true},
		Alarms:                   &ecstypes.DeploymentAlarms{Enable: true, Rollback: true, AlarmNames: []string{"api-5xx"}}}
}

func TestPauseContinue(t *testing.T) {
	t.Parallel()
	sb, client := nativeSandbox(t, "api", blueGreen(pauseHook(30, ecstypes.DeploymentLifecycleHookActionRollback)))
	ctx := context.Background()
	arn := deploy(t, client, "api")
	sb.Clock.Advance(time.Hour / 60 * 2) // 2 minutes: past the test traffic shift (75 s)
	d := describe(t, client, arn)
	if d.LifecycleStage != "POST_TEST_TRAFFIC_SHIFT" || len(d.LifecycleHookDetails) != 1 {
		t.Fatalf("at the pause: %s %+v", d.LifecycleStage, d.LifecycleHookDetails)
	}
	h := d.LifecycleHookDetails[0]
	if h.Status != "AWAITING_ACTION" || h.TargetType != "PAUSE" || h.TimeoutAction != "ROLLBACK" || !strings.HasPrefix(*h.HookId, "ecs-pause-") ||
		!h.ExpiresAt.Equal(d.CreatedAt.Add(75*time.Second+30*time.Minute)) {
		t.Fatalf("hook: %+v (created %v)", h, d.CreatedAt)
	}
	if _, err := client.ContinueServiceDeployment(ctx, &ecs.ContinueServiceDeploymentInput{ServiceDeploymentArn: aws.String(arn), HookId: aws.String("nope"), Action: ecstypes.DeploymentLifecycleHookActionContinue}); err == nil {
		t.Error("an unknown hook was continued")
	}
	sb.Clock.Advance(10 * time.Minute) // still paused
	if d := describe(t, client, arn); d.LifecycleStage != "POST_TEST_TRAFFIC_SHIFT" {
		t.Fatalf("the pause did not hold: %s", d.LifecycleStage)
	}
	must(t)(client.ContinueServiceDeployment(ctx, &ecs.ContinueServiceDeploymentInput{ServiceDeploymentArn: aws.String(arn), HookId: h.HookId, Action: ecstypes.DeploymentLifecycleHookActionContinue}))
	if d := describe(t, client, arn); d.LifecycleStage != "PRODUCTION_TRAFFIC_SHIFT" {
		t.Fatalf("after continue: %s", d.LifecycleStage)
	}
	sb.Clock.Advance(6 * time.Minute)
	if d := describe(t, client, arn); d.Status != "SUCCESSFUL" {
		t.Fatalf("after continue and bake: %s %s", d.Status, d.LifecycleStage)
	}
}

func TestPauseTimeout(t *testing.T) {
	t.Parallel()
	for _, action := range []ecstypes.DeploymentLifecycleHookAction{"ROLLBACK", "CONTINUE"} {
		sb, client := nativeSandbox(t, "api", blueGreen(pauseHook(30, action)))
		arn := deploy(t, client, "api")
		sb.Clock.Advance(75*time.Second + 30*time.Minute)
		d := describe(t, client, arn)
		switch {
		case action == "ROLLBACK" && (d.Status != "ROLLBACK_REQUESTED" || d.Rollback == nil || !strings.Contains(*d.Rollback.Reason, "timed out")):
			t.Errorf("timeout with ROLLBACK: %s %+v", d.Status, d.Rollback)
		case action == "CONTINUE" && (d.Status != "IN_PROGRESS" || d.LifecycleStage != "PRODUCTION_TRAFFIC_SHIFT"):
			t.Errorf("timeout with CONTINUE: %s %s", d.Status, d.LifecycleStage)
		}
		sb.Clock.Advance(time.Hour)
		if d := describe(t, client, arn); action == "ROLLBACK" && (d.Status != "ROLLBACK_SUCCESSFUL" || *d.Rollback.ServiceRevisionArn != *d.SourceServiceRevisions[0].Arn) ||
			action == "CONTINUE" && d.Status != "SUCCESSFUL" {
			t.Errorf("%s: ended %s", action, d.Status)
		}
	}
}

func TestLambdaHook(t *testing.T) {
	t.Parallel()
	hook := ecstypes.DeploymentLifecycleHook{TargetType: ecstypes.DeploymentLifecycleHookTargetTypeAwsLambda,
		HookTargetArn:   aws.String("arn:aws:lambda:us-east-1:123456789012:function:validate"),
		RoleArn:         aws.String("arn:aws:iam::123456789012:role/ecs-hooks"),
		LifecycleStages: []ecstypes.DeploymentLifecycleHookStage{"POST_TEST_TRAFFIC_SHIFT"},
		HookDetails:     document.NewLazyDocument(map[string]any{"bucket": "approvals"})}
	sb, client := nativeSandbox(t, "api", blueGreen(hook))
	arn := deploy(t, client, "api") // no such function: the invocation fails
	sb.Clock.Advance(time.Hour)
	if d := describe(t, client, arn); d.Status != "ROLLBACK_SUCCESSFUL" || !strings.Contains(*d.Rollback.Reason, "Function not found") {
		t.Fatalf("without the function: %s %+v", d.Status, d.Rollback)
	}
	if err := sb.Apply(awssim.Scenario{Seed: []awssim.SeedCall{{Service: "lambda", Operation: "CreateFunction", Input: map[string]any{
		"FunctionName": "validate", "Runtime": "python3.12", "Handler": "index.handler", "Role": "arn:aws:iam::123456789012:role/fn",
		"Code": map[string]any{"ZipFile": "UEsFBgAAAAAAAAAAAAAAAAAAAAAAAA=="}}}}}); err != nil {
		t.Fatal(err)
	}
	arn = deploy(t, client, "api") // the played function succeeds
	sb.Clock.Advance(time.Hour)
	if d := describe(t, client, arn); d.Status != "SUCCESSFUL" {
		t.Fatalf("with a succeeding hook: %s", d.Status)
	}
	var payload map[string]any
	for _, c := range sb.Calls() {
		if c.Service == "lambda" && c.Operation == "Invoke" {
			json.Unmarshal(c.Payload, &payload)
		}
	}
	if details, _ := payload["hookDetails"].(map[string]any); details["bucket"] != "approvals" || payload["lifecycleStage"] != "POST_TEST_TRAFFIC_SHIFT" || payload["serviceArn"] != "arn:aws:ecs:us-east-1:123456789012:service/prod/api" {
		t.Errorf("invocation payload: %v", payload)
	}

	if err := sb.Apply(awssim.Scenario{ECSDeployments: []awssim.ECSDeploymentFault{{Service: "api", Function: "validate", Count: 1}}}); err != nil {
		t.Fatal(err)
	}
	must(t)(client.UpdateService(context.Background(), &ecs.UpdateServiceInput{Cluster: aws.String("prod"), Service: aws.String("api"), TaskDefinition: aws.String("api:1")}))
	arn = *must2(client.DescribeServices(context.Background(), &ecs.DescribeServicesInput{Cluster: aws.String("prod"), Services: []string{"api"}})).Services[0].CurrentServiceDeployment
	sb.Clock.Advance(time.Hour)
	d := describe(t, client, arn)
	if d.Status != "ROLLBACK_SUCCESSFUL" || !strings.Contains(*d.Rollback.Reason, "FAILED") || d.LifecycleHookDetails == nil {
		t.Errorf("with a failing hook: %s %+v", d.Status, d.Rollback)
	}
}

func must2[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func TestMonitorsRollBack(t *testing.T) {
	t.Parallel()
	cases := []struct {
		fault  awssim.ECSDeploymentFault
		reason string
		check  func(d ecstypes.ServiceDeployment) bool
	}{
		{awssim.ECSDeploymentFault{Service: "api", CircuitBreaker: true}, "circuit breaker", func(d ecstypes.ServiceDeployment) bool {
			cb := d.DeploymentCircuitBreaker
			return cb.Status == "TRIGGERED" && cb.FailureCount == 3 && cb.Threshold == 3
		}},
		{awssim.ECSDeploymentFault{Service: "api", Alarms: []string{"api-5xx"}}, "alarms: api-5xx", func(d ecstypes.ServiceDeployment) bool {
			return d.Alarms.Status == "TRIGGERED" && len(d.Alarms.TriggeredAlarmNames) == 1 && d.Alarms.TriggeredAlarmNames[0] == "api-5xx"
		}},
	}
	for _, c := range cases {
		sb, client := nativeSandbox(t, "api", blueGreen())
		if err := sb.Apply(awssim.Scenario{ECSDeployments: []awssim.ECSDeploymentFault{c.fault}}); err != nil {
			t.Fatal(err)
		}
		arn := deploy(t, client, "api")
		sb.Clock.Advance(time.Hour)
		d := describe(t, client, arn)
		if d.Status != "ROLLBACK_SUCCESSFUL" || !strings.Contains(*d.Rollback.Reason, c.reason) || !c.check(d) {
			t.Errorf("%s: %s %+v %+v %+v", c.reason, d.Status, d.Rollback, d.DeploymentCircuitBreaker, d.Alarms)
		}
		svc := must2(client.DescribeServices(context.Background(), &ecs.DescribeServicesInput{Cluster: aws.String("prod"), Services: []string{"api"}})).Services[0]
		if *svc.TaskDefinition != "arn:aws:ecs:us-east-1:123456789012:task-definition/api:1" {
			t.Errorf("%s: service left on %s", c.reason, *svc.TaskDefinition)
		}
	}
}

func TestStopAndList(t *testing.T) {
	t.Parallel()
	sb, client := nativeSandbox(t, "api", blueGreen())
	ctx := context.Background()
	first := deploy(t, client, "api")
	sb.Clock.Advance(80 * time.Second)
	must(t)(client.StopServiceDeployment(ctx, &ecs.StopServiceDeploymentInput{ServiceDeploymentArn: aws.String(first), StopType: ecstypes.StopServiceDeploymentStopTypeRollback}))
	if d := describe(t, client, first); d.Status != "ROLLBACK_REQUESTED" {
		t.Errorf("after stop: %s", d.Status)
	}
	sb.Clock.Advance(time.Minute)
	if d := describe(t, client, first); d.Status != "ROLLBACK_SUCCESSFUL" || *d.TargetServiceRevision.RequestedProductionTrafficWeight != 0 {
		t.Errorf("stopped with rollback: %s", d.Status)
	}
	second := deploy(t, client, "api")
	must(t)(client.StopServiceDeployment(ctx, &ecs.StopServiceDeploymentInput{ServiceDeploymentArn: aws.String(second), StopType: ecstypes.StopServiceDeploymentStopTypeAbort}))
	sb.Clock.Advance(time.Minute)
	if d := describe(t, client, second); d.Status != "STOPPED" || d.StoppedAt == nil {
		t.Errorf("aborted: %s", d.Status)
	}
	third := *must2(client.UpdateService(ctx, &ecs.UpdateServiceInput{Cluster: aws.String("prod"), Service: aws.String("api"), ForceNewDeployment: true})).Service.CurrentServiceDeployment

	page, err := client.ListServiceDeployments(ctx, &ecs.ListServiceDeploymentsInput{Cluster: aws.String("prod"), Service: aws.String("api"), MaxResults: aws.Int32(2)})
	if err != nil || len(page.ServiceDeployments) != 2 || *page.ServiceDeployments[0].ServiceDeploymentArn != third || page.NextToken == nil {
		t.Fatalf("first page: %v %+v", err, page)
	}
	rest, err := client.ListServiceDeployments(ctx, &ecs.ListServiceDeploymentsInput{Cluster: aws.String("prod"), Service: aws.String("api"), NextToken: page.NextToken})
	if err != nil || len(rest.ServiceDeployments) != 1 || *rest.ServiceDeployments[0].ServiceDeploymentArn != first || rest.NextToken != nil {
		t.Fatalf("second page: %v %+v", err, rest)
	}
	stopped, err := client.ListServiceDeployments(ctx, &ecs.ListServiceDeploymentsInput{Cluster: aws.String("prod"), Service: aws.String("api"), Status: []ecstypes.ServiceDeploymentStatus{"STOPPED"}})
	if err != nil || len(stopped.ServiceDeployments) != 1 || *stopped.ServiceDeployments[0].ServiceDeploymentArn != second {
		t.Fatalf("status filter: %v %+v", err, stopped)
	}
	_, err = client.StopServiceDeployment(ctx, &ecs.StopServiceDeploymentInput{ServiceDeploymentArn: aws.String(third + "0")})
	if code, _ := awssimtest.ErrorCode(t, err); code != "ServiceDeploymentNotFoundException" {
		t.Errorf("unknown deployment: %v", err)
	}
}

func TestNativeValidation(t *testing.T) {
	t.Parallel()
	sb, client := nativeSandbox(t, "api", blueGreen())
	_ = sb
	ctx := context.Background()
	noAdvanced := loadBalancer()
	noAdvanced.AdvancedConfiguration = nil
	noRole := loadBalancer()
	noRole.AdvancedConfiguration.RoleArn = nil
	for name, in := range map[string]*ecs.UpdateServiceInput{
		"no advancedConfiguration": {LoadBalancers: []ecstypes.LoadBalancer{noAdvanced}},
		"no roleArn":               {LoadBalancers: []ecstypes.LoadBalancer{noRole}},
		"no bake time":             {DeploymentConfiguration: &ecstypes.DeploymentConfiguration{Strategy: "BLUE_GREEN"}},
		"stepPercent":              {DeploymentConfiguration: &ecstypes.DeploymentConfiguration{Strategy: "LINEAR", LinearConfiguration: &ecstypes.LinearConfiguration{StepPercent: aws.Float64(1)}}},
		"pause with a target":      {DeploymentConfiguration: &ecstypes.DeploymentConfiguration{Strategy: "CANARY", LifecycleHooks: []ecstypes.DeploymentLifecycleHook{{TargetType: "PAUSE", HookTargetArn: aws.String("x"), LifecycleStages: []ecstypes.DeploymentLifecycleHookStage{"PRE_SCALE_UP"}}}}},
		"hook at BAKE_TIME":        {DeploymentConfiguration: &ecstypes.DeploymentConfiguration{Strategy: "CANARY", LifecycleHooks: []ecstypes.DeploymentLifecycleHook{{TargetType: "PAUSE", LifecycleStages: []ecstypes.DeploymentLifecycleHookStage{"BAKE_TIME"}}}}},
	} {
		in.Cluster, in.Service, in.TaskDefinition = aws.String("prod"), aws.String("api"), aws.String("api:2")
		_, err := client.UpdateService(ctx, in)
		if code, _ := awssimtest.ErrorCode(t, err); code != "InvalidParameterException" {
			t.Errorf("%s: %v", name, err)
		}
	}
	out, err := client.ListServiceDeployments(ctx, &ecs.ListServiceDeploymentsInput{Cluster: aws.String("prod"), Service: aws.String("api")})
	if err != nil || len(out.ServiceDeployments) != 0 {
		t.Errorf("refused updates started deployments: %v %+v", err, out)
	}
}

// TestRollbackHooks: ECS runs a traffic shift's Lambda hook again as it
// shifts back; when it fails then, the rollback fails.
func TestRollbackHooks(t *testing.T) {
	t.Parallel()
	hook := ecstypes.DeploymentLifecycleHook{TargetType: ecstypes.DeploymentLifecycleHookTargetTypeAwsLambda,
		HookTargetArn:   aws.String("arn:aws:lambda:us-east-1:123456789012:function:missing"),
		RoleArn:         aws.String("arn:aws:iam::123456789012:role/ecs-hooks"),
		LifecycleStages: []ecstypes.DeploymentLifecycleHookStage{"PRODUCTION_TRAFFIC_SHIFT"}}
	sb, client := nativeSandbox(t, "api", blueGreen(hook))
	arn := deploy(t, client, "api")
	sb.Clock.Advance(time.Hour)
	d := describe(t, client, arn)
	invocations := 0
	for _, c := range sb.Calls() {
		if c.Service == "lambda" && c.Operation == "Invoke" && c.Status == 404 {
			invocations++
		}
	}
	if d.Status != "ROLLBACK_FAILED" || !strings.Contains(*d.StatusReason, "Function not found") || invocations != 2 {
		t.Errorf("%s (%s) after %d invocations", d.Status, aws.ToString(d.StatusReason), invocations)
	}
}
