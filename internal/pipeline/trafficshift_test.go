package pipeline

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/exitcode"
)

// longWait adds to testdata/sandbox/ecs.yaml service api-long and its
// group long: all at once, then a 60-minute termination wait.
const longWait = `
seed:
  - service: ecs
    operation: CreateService
    input:
      cluster: prod
      serviceName: api-long
      taskDefinition: api:1
      desiredCount: 2
      launchType: FARGATE
      networkConfiguration:
        awsvpcConfiguration: {subnets: [subnet-0a1b2c3d], securityGroups: [sg-0123abcd]}
      deploymentController: {type: CODE_DEPLOY}
      loadBalancers:
        - {targetGroupArn: "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/api-blue/0123456789abcdef", containerName: app, containerPort: 8080}
  - service: codedeploy
    operation: CreateDeploymentGroup
    input:
      applicationName: api
      deploymentGroupName: long
      serviceRoleArn: arn:aws:iam::123456789012:role/codedeploy
      deploymentConfigName: CodeDeployDefault.ECSAllAtOnce
      ecsServices: [{clusterName: prod, serviceName: api-long}]
      deploymentStyle: {deploymentType: BLUE_GREEN, deploymentOption: WITH_TRAFFIC_CONTROL}
      loadBalancerInfo:
        targetGroupPairInfoList:
          - targetGroups: [{name: api-blue}, {name: api-green}]
            prodTrafficRoute: {listenerArns: ["arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/api/0123456789abcdef/80"]}
      autoRollbackConfiguration: {enabled: true, events: [DEPLOYMENT_FAILURE, DEPLOYMENT_STOP_ON_REQUEST]}
      blueGreenDeploymentConfiguration:
        deploymentReadyOption: {actionOnTimeout: CONTINUE_DEPLOYMENT}
        terminateBlueInstancesOnDeploymentSuccess: {action: TERMINATE, terminationWaitTimeInMinutes: 60}
`

// TestDeployUntilTrafficShifted: wait: traffic-shifted ends the step with
// TrafficShifted and exit 0 while CodeDeploy is still in its termination
// wait; command: status says when the wait ends; command: stop rolls back.
func TestDeployUntilTrafficShifted(t *testing.T) {
	t.Parallel()
	sc, err := awssim.ParseScenario([]byte(longWait))
	if err != nil {
		t.Fatal(err)
	}
	sb := ecsSandbox(t, sc)
	inputs := ecsInputs(sb.PushImage(t, "web"), "long")
	inputs["wait"] = "traffic-shifted"
	summaryFile := filepath.Join(t.TempDir(), "summary.md")
	code, out, log := runActionEnv(t, sb, inputs, map[string]string{"GITHUB_STEP_SUMMARY": summaryFile})
	id := out["deployment-id"]
	if code != exitcode.OK || out["deployment-status"] != "TrafficShifted" || id == "" {
		t.Fatalf("exit %d, status %q, id %q; want 0, TrafficShifted, the id; log:\n%s", code, out["deployment-status"], id, log)
	}
	if summary, _ := os.ReadFile(summaryFile); !strings.Contains(string(summary), "Traffic shifted in") {
		t.Errorf("the summary does not say traffic shifted:\n%s", summary)
	}

	// The step ended when AllowTraffic did; AfterAllowTraffic (5 simulated
	// seconds) may still run. A simulated minute later the deployment is in
	// its 60-minute termination wait, which status reports.
	sb.Clock.Advance(time.Minute)
	code, out, log = runAction(t, sb, map[string]string{"command": "status", "deployment-id": id})
	if code != exitcode.OK || out["deployment-status"] != "InProgress" || !strings.Contains(log, "is in its termination wait until") {
		t.Fatalf("status: exit %d, status %q; want 0, InProgress, the termination wait's end; log:\n%s", code, out["deployment-status"], log)
	}

	code, out, log = runAction(t, sb, map[string]string{"command": "stop", "deployment-id": id})
	if code != exitcode.OK || out["deployment-status"] != "Stopped" || out["rollback-deployment-id"] == "" {
		t.Fatalf("stop: exit %d, status %q, rollback %q; want 0, Stopped, a rollback; log:\n%s", code, out["deployment-status"], out["rollback-deployment-id"], log)
	}
}
