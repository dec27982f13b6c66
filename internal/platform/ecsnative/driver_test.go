package ecsnative_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/config"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/deploy"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/platform/ecsnative"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/report"
)

func TestDiscover(t *testing.T) {
	t.Parallel()
	f := newFixture(t, awssim.Scenario{Seed: []awssim.SeedCall{{Service: "ecs", Operation: "CreateService", Input: map[string]any{
		"cluster": "prod", "serviceName": "api-codedeploy", "taskDefinition": "api:1", "desiredCount": 1, "launchType": "FARGATE",
		"networkConfiguration": map[string]any{"awsvpcConfiguration": map[string]any{"subnets": []any{"subnet-0a1b2c3d"}}},
		"deploymentController": map[string]any{"type": "CODE_DEPLOY"},
		"loadBalancers": []any{map[string]any{"targetGroupArn": "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/api-blue/0123456789abcdef",
			"containerName": "app", "containerPort": 8080}},
	}}}})
	ctx := context.Background()
	s := f.discover(t, "api-native")
	if s.Strategy != types.DeploymentStrategyBlueGreen || s.Bake != 5*time.Minute || len(s.PauseStages) != 0 || !strings.HasSuffix(s.TaskDefinition, "task-definition/api:1") {
		t.Errorf("api-native: %+v", s)
	}
	if s, err := f.drv.Discover(ctx, "prod", "api-pause", true); err != nil || !slices.Equal(s.PauseStages, []types.DeploymentLifecycleHookStage{"POST_TEST_TRAFFIC_SHIFT"}) {
		t.Errorf("api-pause with on-ready pause: %+v, %v", s, err)
	}
	for _, tt := range []struct {
		service string
		pause   bool
		input   string
		words   []string
	}{
		{"api-native", true, "on-ready", []string{"PAUSE lifecycle hook", "api-native", "targetType PAUSE"}},
		{"api-codedeploy", false, "ecs-service", []string{"CODE_DEPLOY", "codedeploy-application", "codedeploy-deployment-group"}},
		{"nope", false, "ecs-service", []string{`"nope"`, "missing"}},
	} {
		_, err := f.drv.Discover(ctx, "prod", tt.service, tt.pause)
		var ie *config.InputError
		if !errors.As(err, &ie) || ie.Input != tt.input {
			t.Errorf("%s: got %v, want an input error on %s", tt.service, err, tt.input)
			continue
		}
		for _, w := range tt.words {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: %q does not say %q", tt.service, err, w)
			}
		}
	}
	if n := f.calls("RegisterTaskDefinition") + f.calls("UpdateService"); n != 0 {
		t.Errorf("discovery changed something: %d calls", n)
	}
}

func TestBlueGreenSucceeds(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	s, arn := f.start(t, "api-native", false)
	out, err := f.drv.Watch(context.Background(), arn, ecsnative.WatchOptions{Timeout: time.Hour, Previous: s.TaskDefinition})
	if err != nil {
		t.Fatalf("%v\n%s", err, f.log)
	}
	if out.DeploymentStatus() != report.StatusSucceeded || out.ErrorCode() != "" || out.Weights != (ecsnative.Weights{Production: 100, Test: 100}) {
		t.Errorf("outcome %+v", out)
	}
	var stages []string
	for _, l := range f.log.matching("lifecycle stage") {
		stages = append(stages, l[strings.LastIndex(l, " ")+1:])
	}
	want := []string{"SCALE_UP", "TEST_TRAFFIC_SHIFT", "PRODUCTION_TRAFFIC_SHIFT", "BAKE_TIME", "CLEAN_UP"}
	if !isSubsequence(want, stages) {
		t.Errorf("stages seen %v, want %v in order\n%s", stages, want, f.log)
	}
	// The end is seen within a second of ECS's finishedAt.
	sd := f.describe(t, arn)
	if late := f.sb.Clock.Now().Sub(aws.ToTime(sd.FinishedAt)); late < 0 || late > time.Second {
		t.Errorf("end seen %s after finishedAt", late)
	}
	// The service runs the new revision: the image by digest, the secret by reference.
	svc := f.service(t, "api-native")
	td, err := f.client.DescribeTaskDefinition(context.Background(), &ecs.DescribeTaskDefinitionInput{TaskDefinition: svc.TaskDefinition})
	if err != nil {
		t.Fatal(err)
	}
	c := td.TaskDefinition.ContainerDefinitions[0]
	if aws.ToString(c.Image) != imageURI || len(c.Secrets) != 1 || aws.ToString(c.Secrets[0].ValueFrom) != secretARN+":password::" || aws.ToInt32(&td.TaskDefinition.Revision) != 2 {
		t.Errorf("the service runs %s: image %s, secrets %+v", aws.ToString(svc.TaskDefinition), aws.ToString(c.Image), c.Secrets)
	}
	ops := f.sent.checkRequests(t)
	t.Logf("requests: %v; simulated %s", ops, aws.ToTime(sd.FinishedAt).Sub(aws.ToTime(sd.CreatedAt)))
	// A poll a second would make 415; most of these are CLEAN_UP's, polled
	// densely because the end follows it.
	if n := ops["DescribeServiceDeployments"]; n > 100 {
		t.Errorf("%d DescribeServiceDeployments for one deployment", n)
	}
}

func TestLinearWeightsMove(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	_, arn := f.start(t, "api-linear", false)
	out, err := f.drv.Watch(context.Background(), arn, ecsnative.WatchOptions{Timeout: time.Hour})
	if err != nil || out.DeploymentStatus() != report.StatusSucceeded {
		t.Fatalf("%v %+v\n%s", err, out, f.log)
	}
	var prod []string
	for _, l := range f.log.matching("traffic on the new revision") {
		p := l[strings.Index(l, "production ")+len("production "):]
		prod = append(prod, p[:strings.Index(p, "%")])
	}
	if want := []string{"0", "0", "25", "50", "75", "100"}; !slices.Equal(prod, want) {
		t.Errorf("production weights seen %v, want %v\n%s", prod, want, f.log)
	}
	f.sent.checkRequests(t)
}

func TestPauseReadyThenContinue(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	s, arn := f.start(t, "api-pause", true)
	ctx := context.Background()
	out, err := f.drv.Watch(ctx, arn, ecsnative.WatchOptions{PauseAtHook: true, Timeout: time.Hour, Previous: s.TaskDefinition})
	if err != nil || out.DeploymentStatus() != report.StatusReady {
		t.Fatalf("%v %+v\n%s", err, out, f.log)
	}
	h := out.Awaiting()
	if out.Stage != "POST_TEST_TRAFFIC_SHIFT" || !strings.HasPrefix(h.ID, "ecs-pause-") || h.TimeoutAction != "ROLLBACK" || h.ExpiresAt.IsZero() {
		t.Errorf("paused at %s with hook %+v", out.Stage, h)
	}
	if len(f.log.matching("paused at POST_TEST_TRAFFIC_SHIFT: PAUSE hook "+h.ID)) != 1 {
		t.Errorf("the pause is not announced:\n%s", f.log)
	}
	f.sb.Clock.Advance(10 * time.Minute) // a later step continues it
	if st, err := f.drv.Status(ctx, arn); err != nil || st.DeploymentStatus() != report.StatusReady || st.Awaiting() == nil {
		t.Fatalf("status while paused: %+v %v", st, err)
	}
	acted, err := f.drv.Command(ctx, ecsnative.ActContinue, arn, true, ecsnative.WatchOptions{Timeout: time.Hour})
	if err != nil || !acted.Watched || acted.Outcome.DeploymentStatus() != report.StatusSucceeded {
		t.Fatalf("continue: %v %+v\n%s", err, acted.Outcome, f.log)
	}
	if err := f.drv.Continue(ctx, arn); !errors.Is(err, ecsnative.ErrNotWaiting) {
		t.Errorf("a second continue: %v", err)
	}
	f.sent.checkRequests(t)
}

func TestOnReadyContinueContinuesThePause(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	_, arn := f.start(t, "api-pause", false)
	out, err := f.drv.Watch(context.Background(), arn, ecsnative.WatchOptions{Timeout: time.Hour})
	if err != nil || out.DeploymentStatus() != report.StatusSucceeded {
		t.Fatalf("%v %+v\n%s", err, out, f.log)
	}
	if len(f.log.matching("awaiting action: continuing the deployment (on-ready: continue)")) != 1 || f.calls("ContinueServiceDeployment") != 1 {
		t.Errorf("continued %d times:\n%s", f.calls("ContinueServiceDeployment"), f.log)
	}
}

func TestRollbacks(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		service, code string
		words         []string
	}{
		{"api-broken", "CIRCUIT_BREAKER_TRIGGERED", []string{"circuit breaker", "rolled back to service revision arn:aws:ecs:", "(task definition arn:aws:ecs:us-east-1:123456789012:task-definition/api:1)"}},
		{"api-alarm", "ALARM_ACTIVE", []string{"alarms in ALARM: api-5xx", "rolled back to service revision"}},
		{"api-hook", "DEPLOYMENT_ROLLED_BACK", []string{"api-validate", "FAILED", "rolled back to service revision"}},
	} {
		t.Run(tt.service, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			s, arn := f.start(t, tt.service, false)
			out, err := f.drv.Watch(context.Background(), arn, ecsnative.WatchOptions{Timeout: time.Hour, Previous: s.TaskDefinition})
			if !errors.Is(err, ecsnative.ErrFailed) || out.DeploymentStatus() != report.StatusFailed || out.Status != types.ServiceDeploymentStatusRollbackSuccessful {
				t.Fatalf("%v %+v\n%s", err, out, f.log)
			}
			if out.ErrorCode() != tt.code {
				t.Errorf("error code %s, want %s", out.ErrorCode(), tt.code)
			}
			for _, w := range tt.words {
				if !strings.Contains(out.ErrorMessage(), w) || !strings.Contains(err.Error(), w) {
					t.Errorf("message %q / error %q: want %q", out.ErrorMessage(), err, w)
				}
			}
			if svc := f.service(t, tt.service); !strings.HasSuffix(aws.ToString(svc.TaskDefinition), "api:1") {
				t.Errorf("after the rollback the service runs %s", aws.ToString(svc.TaskDefinition))
			}
			f.sent.checkRequests(t)
		})
	}
}

// TestCancelDuringShift cancels the run while LINEAR traffic is moving:
// the driver stops the deployment with rollback, and nothing of the new
// revision is left running.
func TestCancelDuringShift(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	_, arn := f.start(t, "api-linear", false)
	ctx, cancel := context.WithCancel(context.Background())
	f.drv.Observer = cancelAt{Printer: ecsnative.Printer(f.log.add), production: 50, cancel: cancel}
	out, err := f.drv.Watch(ctx, arn, ecsnative.WatchOptions{Timeout: time.Hour, RollbackOnCancel: true})
	if !errors.Is(err, ecsnative.ErrCancelled) || !out.StopRequested || out.DeploymentStatus() != report.StatusStopped {
		t.Fatalf("%v %+v\n%s", err, out, f.log)
	}
	if f.calls("StopServiceDeployment") != 1 {
		t.Errorf("%d StopServiceDeployment calls", f.calls("StopServiceDeployment"))
	}
	f.sb.Clock.Advance(10 * time.Minute)
	sd := f.describe(t, arn)
	if sd.Status != types.ServiceDeploymentStatusRollbackSuccessful || sd.TargetServiceRevision.RunningTaskCount != 0 ||
		aws.ToFloat64(sd.TargetServiceRevision.RequestedProductionTrafficWeight) != 0 {
		t.Errorf("after the cancel: %s, target %+v", sd.Status, sd.TargetServiceRevision)
	}
	if svc := f.service(t, "api-linear"); len(svc.Deployments) != 1 || !strings.HasSuffix(aws.ToString(svc.Deployments[0].TaskDefinition), "api:1") {
		t.Errorf("the service's deployments after the cancel: %+v", svc.Deployments)
	}
	f.sent.checkRequests(t)
}

// cancelAt cancels the run when production traffic reaches a weight.
type cancelAt struct {
	ecsnative.Printer
	production float64
	cancel     context.CancelFunc
}

func (c cancelAt) Weights(arn string, w ecsnative.Weights) {
	c.Printer.Weights(arn, w)
	if w.Production >= c.production {
		c.cancel()
	}
}

func TestTimeoutRollsBack(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	_, arn := f.start(t, "api-native", false)
	out, err := f.drv.Watch(context.Background(), arn, ecsnative.WatchOptions{Timeout: 2 * time.Minute, RollbackOnTimeout: true})
	if !errors.Is(err, ecsnative.ErrTimedOut) || !out.TimedOut || out.Status != types.ServiceDeploymentStatusRollbackSuccessful || out.DeploymentStatus() != report.StatusStopped {
		t.Fatalf("%v %+v\n%s", err, out, f.log)
	}
	f.sent.checkRequests(t)
}

func TestTransientErrorsRetried(t *testing.T) {
	t.Parallel()
	f := newFixture(t, awssim.Scenario{Faults: []awssim.Fault{
		{Service: "ecs", Operation: "DescribeServiceDeployments", Status: 503, After: 3, Count: 8},
		{Service: "ecs", Operation: "DescribeServiceDeployments", Error: "ThrottlingException", After: 20, Count: 4},
	}})
	_, arn := f.start(t, "api-native", false)
	out, err := f.drv.Watch(context.Background(), arn, ecsnative.WatchOptions{Timeout: time.Hour})
	if err != nil || out.DeploymentStatus() != report.StatusSucceeded {
		t.Fatalf("%v %+v\n%s", err, out, f.log)
	}
	if len(f.log.matching("retrying until the timeout")) == 0 || len(f.log.matching("ECS is throttling")) == 0 {
		t.Errorf("the faults were not seen:\n%s", f.log)
	}
}

func TestStopCommand(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	_, arn := f.start(t, "api-pause", true)
	ctx := context.Background()
	if _, err := f.drv.Watch(ctx, arn, ecsnative.WatchOptions{PauseAtHook: true, Timeout: time.Hour}); err != nil {
		t.Fatal(err)
	}
	acted, err := f.drv.Command(ctx, ecsnative.ActStop, arn, true, ecsnative.WatchOptions{Timeout: time.Hour, RollbackOnCancel: true})
	out := acted.Outcome
	if err != nil || !acted.Done || !acted.Watched || out.Status != types.ServiceDeploymentStatusRollbackSuccessful ||
		out.DeploymentStatus() != report.StatusStopped || out.ErrorCode() != "MANUAL_STOP" || !strings.Contains(out.ErrorMessage(), "StopServiceDeployment") {
		t.Fatalf("%v %+v %+v\n%s", err, acted, out, f.log)
	}
	if f.calls("StopServiceDeployment") != 1 {
		t.Errorf("%d StopServiceDeployment calls", f.calls("StopServiceDeployment"))
	}
	if err := f.drv.Stop(ctx, arn, true); err != nil {
		t.Errorf("stopping an ended deployment: %v", err)
	}
	acted, err = f.drv.Command(ctx, ecsnative.ActStatus, arn, true, ecsnative.WatchOptions{})
	if err != nil || !acted.Done || acted.Watched || acted.Outcome.Status != types.ServiceDeploymentStatusRollbackSuccessful {
		t.Errorf("status: %v %+v", err, acted)
	}
	f.sent.checkRequests(t)
}

func isSubsequence(want, got []string) bool {
	i := 0
	for _, g := range got {
		if i < len(want) && g == want[i] {
			i++
		}
	}
	return i == len(want)
}

func TestCanaryWeightsMove(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	_, arn := f.start(t, "api-canary", false)
	out, err := f.drv.Watch(context.Background(), arn, ecsnative.WatchOptions{Timeout: time.Hour})
	if err != nil || out.DeploymentStatus() != report.StatusSucceeded {
		t.Fatalf("%v %+v\n%s", err, out, f.log)
	}
	prod := f.log.matching("traffic on the new revision: production 10%")
	if len(prod) != 1 || len(f.log.matching("traffic on the new revision: production 100%")) != 1 {
		t.Errorf("canary weights not seen:\n%s", f.log)
	}
}

func TestUntilTrafficShifted(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	_, arn := f.start(t, "api-native", false)
	ctx := context.Background()
	out, err := f.drv.Watch(ctx, arn, ecsnative.WatchOptions{Timeout: time.Hour, UntilTrafficShifted: true})
	if err != nil || out.DeploymentStatus() != report.StatusTrafficShifted || out.Stage != "BAKE_TIME" || out.Weights.Production != 100 {
		t.Fatalf("%v %+v\n%s", err, out, f.log)
	}
	// The bake began 85 s after the deployment was created (the sandbox's
	// timeline: PRODUCTION_TRAFFIC_SHIFT ends at 85 s) and lasts 5 minutes.
	created := aws.ToTime(f.describe(t, arn).CreatedAt)
	if want := created.Add(85*time.Second + 5*time.Minute); !out.BakeEnds.Equal(want) {
		t.Errorf("bake ends %s, want %s", out.BakeEnds, want)
	}
	if len(f.log.matching("not waiting for the bake time, which ends at "+out.BakeEnds.UTC().Format(time.RFC3339))) != 1 {
		t.Errorf("the bake end is not said:\n%s", f.log)
	}
	st, err := f.drv.Status(ctx, arn)
	if err != nil || !st.BakeEnds.Equal(out.BakeEnds) || st.Stage != "BAKE_TIME" {
		t.Errorf("status in the bake time: %v %+v", err, st)
	}
}

func TestRevisionRefuses(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	s := f.discover(t, "api-native")
	for _, tt := range []struct {
		in   ecsnative.RevisionInput
		want string
	}{
		{ecsnative.RevisionInput{ImageURI: imageURI, ContainerPort: 9090}, `input "container-port": 9090 is not the port ECS service "api-native"'s load balancer routes to (container "app", port 8080)`},
		{ecsnative.RevisionInput{ImageURI: imageURI, ContainerName: "worker"}, `task definition "api" has no container "worker" (its containers: "app"); set container-name`},
		{ecsnative.RevisionInput{ImageURI: imageURI, Secrets: []deploy.SecretRef{{Name: "DB", ValueFrom: "hunter2"}}}, `secret reference DB: "hunter2" is not an ARN`},
		{ecsnative.RevisionInput{ImageURI: imageURI, TaskDefinition: "../../../testdata/taskdefs/unknown-field.json"}, `unknown field "memoryReservaton"`},
	} {
		if _, err := f.drv.Revision(ctx, s, tt.in); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%+v: got %v, want %s", tt.in, err, tt.want)
		}
	}
	if n := f.calls("RegisterTaskDefinition"); n != 0 {
		t.Errorf("%d task definitions registered", n)
	}
}
