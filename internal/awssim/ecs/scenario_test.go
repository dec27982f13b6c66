package ecs_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim/awssimtest"
)

// scenarioSandbox is a sandbox seeded with testdata/sandbox/ecs-native.yaml
// and a second revision of task definition api.
func scenarioSandbox(t *testing.T) (*awssimtest.Sandbox, *ecs.Client) {
	t.Helper()
	sc, err := awssim.LoadScenario("../../../testdata/sandbox/ecs-native.yaml")
	if err != nil {
		t.Fatal(err)
	}
	sb := awssimtest.Start(t, awssim.Options{})
	if err := sb.Apply(sc); err != nil {
		t.Fatal(err)
	}
	client := ecs.NewFromConfig(sb.Config())
	td := must2(client.DescribeTaskDefinition(context.Background(), &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String("api:1")})).TaskDefinition
	must(t)(client.RegisterTaskDefinition(context.Background(), &ecs.RegisterTaskDefinitionInput{Family: td.Family, ContainerDefinitions: td.ContainerDefinitions,
		NetworkMode: td.NetworkMode, RequiresCompatibilities: td.RequiresCompatibilities, Cpu: td.Cpu, Memory: td.Memory,
		ExecutionRoleArn: td.ExecutionRoleArn, TaskRoleArn: td.TaskRoleArn}))
	return sb, client
}

func TestNativeScenario(t *testing.T) {
	t.Parallel()
	sb, client := scenarioSandbox(t)
	sb.Clock.SetScale(0)
	want := map[string]func(d ecstypes.ServiceDeployment) bool{
		"api-native": func(d ecstypes.ServiceDeployment) bool { return d.Status == "SUCCESSFUL" },
		"api-linear": func(d ecstypes.ServiceDeployment) bool { return d.Status == "SUCCESSFUL" },
		"api-canary": func(d ecstypes.ServiceDeployment) bool { return d.Status == "SUCCESSFUL" },
		"api-pause": func(d ecstypes.ServiceDeployment) bool {
			return d.Status == "IN_PROGRESS" && len(d.LifecycleHookDetails) == 1 && d.LifecycleHookDetails[0].Status == "AWAITING_ACTION"
		},
		"api-hook": func(d ecstypes.ServiceDeployment) bool {
			return d.Status == "ROLLBACK_SUCCESSFUL" && strings.Contains(*d.Rollback.Reason, "api-validate at stage POST_TEST_TRAFFIC_SHIFT returned hookStatus FAILED")
		},
		"api-broken": func(d ecstypes.ServiceDeployment) bool {
			return d.Status == "ROLLBACK_SUCCESSFUL" && d.DeploymentCircuitBreaker.Status == "TRIGGERED"
		},
		"api-alarm": func(d ecstypes.ServiceDeployment) bool {
			return d.Status == "ROLLBACK_SUCCESSFUL" && d.Alarms.TriggeredAlarmNames[0] == "api-5xx" && *d.Rollback.Reason == "ECS deployment detected triggered alarms: api-5xx."
		},
	}
	arns := map[string]string{}
	for name := range want {
		arns[name] = deploy(t, client, name)
	}
	sb.Clock.Advance(30 * time.Minute)
	for name, ok := range want {
		if d := describe(t, client, arns[name]); !ok(d) {
			t.Errorf("%s: %s at %s, rollback %+v", name, d.Status, d.LifecycleStage, d.Rollback)
		}
	}
}

// TestNativeDefaultScale: at DefaultTimeScale a BLUE_GREEN deployment with
// a 5-minute bake ends within seconds of wall time.
func TestNativeDefaultScale(t *testing.T) {
	t.Parallel()
	_, client := scenarioSandbox(t)
	arn := deploy(t, client, "api-native")
	start := time.Now()
	for time.Since(start) < 10*time.Second {
		if d := describe(t, client, arn); d.Status == "SUCCESSFUL" {
			t.Logf("SUCCESSFUL after %v of wall time", time.Since(start).Round(time.Millisecond))
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("not SUCCESSFUL within 10 s")
}
