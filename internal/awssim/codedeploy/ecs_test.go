package codedeploy_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	cdtypes "github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim"
)

func TestECSTrafficShift(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		config  string
		weights []float64     // the green task set's successive traffic weights
		span    time.Duration // from the first weight to 100
	}{
		{"CodeDeployDefault.ECSAllAtOnce", []float64{100}, 0},
		{"CodeDeployDefault.ECSLinear10PercentEvery1Minutes", []float64{10, 20, 30, 40, 50, 60, 70, 80, 90, 100}, 9 * time.Minute},
		{"CodeDeployDefault.ECSLinear10PercentEvery3Minutes", []float64{10, 20, 30, 40, 50, 60, 70, 80, 90, 100}, 27 * time.Minute},
		{"CodeDeployDefault.ECSCanary10Percent5Minutes", []float64{10, 100}, 5 * time.Minute},
		{"CodeDeployDefault.ECSCanary10Percent15Minutes", []float64{10, 100}, 15 * time.Minute},
	} {
		t.Run(tc.config, func(t *testing.T) {
			t.Parallel()
			f := newCDFixture(t)
			rev := f.ecsGroup("svc", tc.config, nil, false)
			id := f.deploy("svc", rev)
			f.until(id, time.Second, status(cdtypes.DeploymentStatusInProgress))
			target := "c-svc:svc"

			var weights []float64
			var first, last time.Time
			for f.get(id).Status != cdtypes.DeploymentStatusSucceeded {
				ts := f.target(id, target).EcsTarget.TaskSetsInfo
				if len(ts) == 2 && ts[1].TrafficWeight > 0 && (len(weights) == 0 || weights[len(weights)-1] != ts[1].TrafficWeight) {
					if ts[0].TrafficWeight+ts[1].TrafficWeight != 100 {
						t.Errorf("weights blue %v green %v do not add up to 100", ts[0].TrafficWeight, ts[1].TrafficWeight)
					}
					weights = append(weights, ts[1].TrafficWeight)
					last = f.sb.Clock.Now()
					if first.IsZero() {
						first = last
					}
				}
				f.sb.Clock.Advance(5 * time.Second)
			}
			if !slices.Equal(weights, tc.weights) {
				t.Errorf("green weights = %v, want %v", weights, tc.weights)
			}
			if span := last.Sub(first); span < tc.span || span > tc.span+10*time.Second {
				t.Errorf("first to last weight took %v, want %v", span, tc.span)
			}

			tg := f.target(id, target).EcsTarget
			if tg.Status != cdtypes.TargetStatusSucceeded || len(tg.LifecycleEvents) != 8 {
				t.Errorf("target %s with %d events, want Succeeded with 8", tg.Status, len(tg.LifecycleEvents))
			}
			blue, green := tg.TaskSetsInfo[0], tg.TaskSetsInfo[1]
			if *blue.TargetGroup.Name != "blue" || *green.TargetGroup.Name != "green" || blue.TaskSetLabel != cdtypes.TargetLabelBlue || green.TrafficWeight != 100 {
				t.Errorf("task sets info = %+v / %+v, want blue on tg blue, green on tg green at 100", blue, green)
			}
			svc := f.service("c-svc", "svc")
			want := *rev.AppSpecContent.Content
			if !strings.Contains(want, *svc.TaskDefinition) || len(svc.TaskSets) != 1 || *svc.TaskSets[0].Id != *green.Identifer || *svc.TaskSets[0].Status != "PRIMARY" {
				t.Errorf("service after success: taskDefinition %s, %d task sets, want svc:2 with only the green task set PRIMARY", *svc.TaskDefinition, len(svc.TaskSets))
			}
		})
	}
}

func (f *cdFixture) service(cluster, name string) ecstypes.Service {
	f.t.Helper()
	out, err := f.ecs.DescribeServices(f.ctx, &ecs.DescribeServicesInput{Cluster: aws.String(cluster), Services: []string{name}})
	if err != nil {
		f.t.Fatal(err)
	}
	if len(out.Services) != 1 {
		f.t.Fatalf("DescribeServices %s/%s: %d services, failures %+v", cluster, name, len(out.Services), out.Failures)
	}
	return out.Services[0]
}

func TestECSReadyContinue(t *testing.T) {
	t.Parallel()
	f := newCDFixture(t)
	rev := f.ecsGroup("svc", "CodeDeployDefault.ECSAllAtOnce", blueGreen(30, 5), false)
	id := f.deploy("svc", rev)
	f.until(id, 5*time.Second, status(cdtypes.DeploymentStatusReady))
	tg := f.target(id, "c-svc:svc").EcsTarget
	want := "BeforeInstall=Succeeded Install=Succeeded AfterInstall=Succeeded AllowTestTraffic=Succeeded AfterAllowTestTraffic=Succeeded BeforeAllowTraffic=Pending AllowTraffic=Pending AfterAllowTraffic=Pending"
	if got := eventStatuses(tg.LifecycleEvents); got != want || tg.Status != cdtypes.TargetStatusReady {
		t.Errorf("at Ready: %s %s, want Ready %s", tg.Status, got, want)
	}
	if len(tg.TaskSetsInfo) != 2 || tg.TaskSetsInfo[1].TrafficWeight != 0 || *tg.TaskSetsInfo[1].Status != "ACTIVE" {
		t.Errorf("task sets at Ready = %+v, want a green ACTIVE one at weight 0", tg.TaskSetsInfo)
	}
	sets := f.service("c-svc", "svc").TaskSets
	if len(sets) != 2 {
		t.Fatalf("service has %d task sets at Ready, want 2", len(sets))
	}
	for i, want := range []string{"sg-blue", "sg-green"} { // the service's, then the AppSpec's
		if nc := sets[i].NetworkConfiguration; nc == nil || !slices.Equal(nc.AwsvpcConfiguration.SecurityGroups, []string{want}) || len(nc.AwsvpcConfiguration.Subnets) != 2 {
			t.Errorf("task set %d network configuration = %+v, want subnets and security group %s", i, nc, want)
		}
	}
	f.ok(f.cd.ContinueDeployment(f.ctx, &codedeploy.ContinueDeploymentInput{DeploymentId: aws.String(id)}))
	d := f.until(id, 5*time.Second, func(d *cdtypes.DeploymentInfo) bool { return d.InstanceTerminationWaitTimeStarted })
	if d.Status != cdtypes.DeploymentStatusInProgress || len(f.service("c-svc", "svc").TaskSets) != 2 {
		t.Errorf("termination wait: %s, want InProgress with both task sets", d.Status)
	}
	f.until(id, 30*time.Second, status(cdtypes.DeploymentStatusSucceeded))
	if got := len(f.service("c-svc", "svc").TaskSets); got != 1 {
		t.Errorf("service has %d task sets after the termination wait, want 1", got)
	}
}

func TestECSInstallFailsOnContainerMismatch(t *testing.T) {
	t.Parallel()
	f := newCDFixture(t)
	rev := f.ecsGroup("svc", "CodeDeployDefault.ECSAllAtOnce", nil, false)
	rev.AppSpecContent.Content = aws.String(strings.Replace(*rev.AppSpecContent.Content, "ContainerPort: 8080", "ContainerPort: 9090", 1))
	id := f.deploy("svc", rev)
	d := f.until(id, 5*time.Second, status(cdtypes.DeploymentStatusFailed))
	if d.ErrorInformation.Code != cdtypes.ErrorCodeEcsUpdateError || !strings.Contains(*d.ErrorInformation.Message, "9090") {
		t.Errorf("errorInformation = %+v, want ECS_UPDATE_ERROR naming port 9090", d.ErrorInformation)
	}
	if got := eventStatuses(f.target(id, "c-svc:svc").EcsTarget.LifecycleEvents); !strings.HasPrefix(got, "BeforeInstall=Succeeded Install=Failed AfterInstall=Skipped") {
		t.Errorf("events = %s, want Install Failed and the rest Skipped", got)
	}
	if got := len(f.service("c-svc", "svc").TaskSets); got != 1 {
		t.Errorf("service has %d task sets, want only the original", got)
	}
}

// TestECSHookReportedByClient: an ECS deployment's hook function is invoked
// with a LifecycleEventHookExecutionId and the event waits for
// PutLifecycleEventHookExecutionStatus, as for Lambda (AppSpec 'hooks'
// section for an Amazon ECS deployment, sample Lambda hook function).
func TestECSHookReportedByClient(t *testing.T) {
	t.Parallel()
	f := newCDFixture(t, awssim.Scenario{Hangs: []awssim.Hang{{DeploymentGroup: "svc", Event: "AfterAllowTestTraffic"}}})
	rev := f.ecsGroup("svc", "CodeDeployDefault.ECSAllAtOnce", nil, false)
	id := f.deploy("svc", rev)
	var hook string
	f.until(id, time.Second, func(*cdtypes.DeploymentInfo) bool {
		hook, _ = f.sb.CodeDeploy.LambdaHookExecutionID(id, "AfterAllowTestTraffic")
		return hook != ""
	})
	f.sb.Clock.Advance(30 * time.Minute) // the hook hangs: nothing reports it
	if d := f.get(id); d.Status != cdtypes.DeploymentStatusInProgress {
		t.Fatalf("with the hook unreported after 30 minutes: %s, want InProgress", d.Status)
	}
	f.ok(f.cd.PutLifecycleEventHookExecutionStatus(f.ctx, &codedeploy.PutLifecycleEventHookExecutionStatusInput{
		DeploymentId: aws.String(id), LifecycleEventHookExecutionId: aws.String(hook), Status: cdtypes.LifecycleEventStatusSucceeded,
	}))
	f.until(id, 5*time.Second, status(cdtypes.DeploymentStatusSucceeded))
	var invoked bool
	for _, c := range f.sb.Calls() {
		invoked = invoked || c.Service == "lambda" && c.Operation == "Invoke" && strings.Contains(string(c.Payload), hook)
	}
	if !invoked {
		t.Error("no lambda Invoke with the hook's LifecycleEventHookExecutionId in the call log")
	}
}
