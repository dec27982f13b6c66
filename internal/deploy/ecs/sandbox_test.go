package ecs_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	awsecs "github.com/aws/aws-sdk-go-v2/service/ecs"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/deploy"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/deploy/ecs"
)

func TestECSDeploySucceeds(t *testing.T) {
	t.Parallel()
	tests := []struct {
		group   string
		between int // how many green weights strictly between 0 and 100 must be seen at least
	}{
		{group: "linear", between: 3}, // 10% a minute: nine steps below 100
		{group: "canary", between: 1}, // 10%, then 100 after five minutes
	}
	for _, tt := range tests {
		t.Run(tt.group, func(t *testing.T) {
			t.Parallel()
			f := newECSFixture(t)
			service := map[string]string{"linear": "api", "canary": "api-canary"}[tt.group]
			before := f.primary(t, service)
			rev, out, err := f.deploy(t, tt.group, ecs.Input{ImageURI: apiImage, Secrets: apiSecrets}, deploy.WatchOptions{})
			if err != nil {
				t.Fatalf("%v\n%s", err, f.obs)
			}
			if out.Status != "Succeeded" {
				t.Fatalf("status %s, want Succeeded", out.Status)
			}
			if !strings.HasPrefix(rev.TaskDefinitionARN, "arn:aws:ecs:us-east-1:123456789012:task-definition/api:") || rev.TaskDefinitionARN == before {
				t.Errorf("task definition %s, want a new revision of api (was %s)", rev.TaskDefinitionARN, before)
			}
			if n := f.registered(); n != 1 {
				t.Errorf("%d RegisterTaskDefinition calls, want 1", n)
			}
			if got := f.primary(t, service); got != rev.TaskDefinitionARN {
				t.Errorf("primary task set runs %s, want %s", got, rev.TaskDefinitionARN)
			}

			// Traffic: the green task set ends at 100, through the configuration's steps.
			var final []deploy.TaskSet
			for _, tg := range out.Targets {
				final = append(final, tg.TaskSets...)
			}
			if i := slices.IndexFunc(final, func(ts deploy.TaskSet) bool { return ts.Label == "Green" }); i < 0 || final[i].Weight != 100 {
				t.Errorf("final task sets %+v, want Green at 100", final)
			}
			greens := f.obs.greens()
			t.Logf("green weights: %v", greens)
			between := 0
			for i, w := range greens {
				if i > 0 && w < greens[i-1] {
					t.Errorf("green weight went back from %g to %g: %v", greens[i-1], w, greens)
				}
				if w > 0 && w < 100 {
					between++
				}
			}
			if between < tt.between || greens[len(greens)-1] != 100 {
				t.Errorf("green weights %v: want at least %d steps between 0 and 100, ending at 100", greens, tt.between)
			}
			for _, want := range []string{"AfterAllowTestTraffic Succeeded", "AllowTraffic Succeeded", "phase " + out.ID + " " + deploy.PhaseTerminationWait} {
				if !strings.Contains(f.obs.String(), want) {
					t.Errorf("observer did not hear %q:\n%s", want, f.obs)
				}
			}

			// The new revision: the image by digest, the sidecar untouched,
			// secrets by reference next to the one it had.
			old, td := f.taskDef(t, before), f.taskDef(t, rev.TaskDefinitionARN)
			got, was := containers(td), containers(old)
			wantApp := apiImage + " " + strings.Join([]string{datadogRef, "API_DB_PASSWORD=" + dbARN + ":password::", "API_TOKEN=" + apiSecrets[1].ValueFrom}, ",")
			if got["app"] != wantApp {
				t.Errorf("container app\ngot  %s\nwant %s", got["app"], wantApp)
			}
			if got["envoy"] != was["envoy"] {
				t.Errorf("sidecar envoy changed: %s, was %s", got["envoy"], was["envoy"])
			}
			raw, _ := json.Marshal(td)
			if strings.Contains(string(raw), "VALUE") {
				t.Errorf("the task definition holds a secret's value: %s", raw)
			}
			if aws.ToString(td.Cpu) != aws.ToString(old.Cpu) || aws.ToString(td.ExecutionRoleArn) != aws.ToString(old.ExecutionRoleArn) || td.NetworkMode != old.NetworkMode {
				t.Errorf("task-level fields changed: cpu %s, role %s, network %s", aws.ToString(td.Cpu), aws.ToString(td.ExecutionRoleArn), td.NetworkMode)
			}

			// The deployment names the AppSpec by its sha256.
			info, err := f.cd.GetDeployment(context.Background(), &codedeploy.GetDeploymentInput{DeploymentId: aws.String(out.ID)})
			if err != nil {
				t.Fatal(err)
			}
			if got := aws.ToString(info.DeploymentInfo.Revision.AppSpecContent.Sha256); "sha256:"+got != rev.Where {
				t.Errorf("deployment's AppSpec sha256 %s, revision says %s", got, rev.Where)
			}
		})
	}
}

func TestECSRevisionFromFile(t *testing.T) {
	t.Parallel()
	f := newECSFixture(t)
	rev, err := f.revision(t, "linear", ecs.Input{
		TaskDefinition: "../../../testdata/taskdefs/api.json", ImageURI: apiImage, Secrets: apiSecrets[:1],
		AppSpec: "../../../testdata/appspecs/hooks.yaml",
	})
	if err != nil {
		t.Fatal(err)
	}
	td := f.taskDef(t, rev.TaskDefinitionARN)
	got := containers(td)
	if want := apiImage + " API_DB_PASSWORD=" + dbARN + ":password::"; got["app"] != want {
		t.Errorf("container app\ngot  %s\nwant %s", got["app"], want)
	}
	if want := "public.ecr.aws/appmesh/aws-appmesh-envoy:v1.29.4.0-prod "; got["envoy"] != want {
		t.Errorf("container envoy %q, want %q", got["envoy"], want)
	}
	if aws.ToString(td.Cpu) != "512" || aws.ToString(td.Memory) != "1024" || td.ContainerDefinitions[1].HealthCheck == nil {
		t.Errorf("the file's cpu, memory and sidecar health check were not registered: %+v", td)
	}
	content := aws.ToString(rev.Location.AppSpecContent.Content)
	for _, want := range []string{"TaskDefinition: " + rev.TaskDefinitionARN, "ContainerName: app", "ContainerPort: 8080", "PlatformVersion: LATEST",
		"- subnet-0a1b2c3d", "AssignPublicIp: DISABLED", "- AfterAllowTestTraffic: api-smoke-test"} {
		if !strings.Contains(content, want) {
			t.Errorf("AppSpec lacks %q:\n%s", want, content)
		}
	}
}

func TestECSRevisionRefuses(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		in      ecs.Input
		service string // deploy to this service of cluster prod instead of the group's
		wantErr string
		wantAs  any
	}{
		{name: "bad JSON", in: ecs.Input{TaskDefinition: "../../../testdata/taskdefs/bad-json.json"},
			wantErr: "bad-json.json:7:7: not valid JSON", wantAs: new(*ecs.TaskDefinitionError)},
		{name: "unknown field", in: ecs.Input{TaskDefinition: "../../../testdata/taskdefs/unknown-field.json"},
			wantErr: `unknown-field.json:9:7: unknown field "memoryReservaton"`, wantAs: new(*ecs.TaskDefinitionError)},
		{name: "missing file", in: ecs.Input{TaskDefinition: "../../../testdata/taskdefs/nope.json"},
			wantErr: "reading task definition: open ../../../testdata/taskdefs/nope.json: no such file or directory"},
		{name: "missing container", in: ecs.Input{ContainerName: "worker"},
			wantErr: `task definition "api" has no container "worker" (its containers: "app", "envoy"); set container-name`},
		{name: "missing container in file", in: ecs.Input{ContainerName: "worker", TaskDefinition: "../../../testdata/taskdefs/described.json"},
			wantErr: `task definition "api" has no container "worker" (its containers: "app"); set container-name`},
		{name: "not CODE_DEPLOY", service: "api-rolling",
			wantErr: `input "codedeploy-deployment-group": ECS service "api-rolling" of cluster "prod" (deployment group "linear") uses the ECS deployment controller: ECS deploys it itself; give ecs-cluster and ecs-service instead of codedeploy-application and codedeploy-deployment-group`},
		{name: "no such service", service: "gone", wantErr: `ECS service "gone" of cluster "prod" (deployment group "linear"): MISSING`},
		{name: "port", in: ecs.Input{ContainerPort: 9090},
			wantErr: `input "container-port": 9090 is not the port ECS service "api"'s load balancer routes to (container "app", port 8080)`},
		{name: "appspec port", in: ecs.Input{AppSpec: "../../../testdata/appspecs/wrong-port.yaml"},
			wantErr: "wrong-port.yaml:9: ContainerPort 9090 is not the port the service's load balancer routes to (8080)", wantAs: new(*deploy.AppSpecError)},
		{name: "appspec hook", in: ecs.Input{AppSpec: "../../../testdata/appspecs/bad-hook.yaml"},
			wantErr: "bad-hook.yaml:4: ValidateService is not a hook of an ECS deployment", wantAs: new(*deploy.AppSpecError)},
		{name: "secret value", in: ecs.Input{Secrets: []deploy.SecretRef{{Name: "DB", ValueFrom: "hunter2"}}},
			wantErr: `secret reference DB: "hunter2" is not an ARN`},
		{name: "load balancer port not mapped", in: ecs.Input{TaskDefinition: "../../../testdata/taskdefs/no-port.json"},
			wantErr: `container "app" of task definition "api" maps no container port 8080, which the service's load balancer routes to`},
		{name: "no family", in: ecs.Input{TaskDefinition: "../../../testdata/taskdefs/cli-skeleton.json"},
			wantErr: "cli-skeleton.json: has no family", wantAs: new(*ecs.TaskDefinitionError)},
	}
	f := newECSFixture(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			g, err := deploy.Discover(context.Background(), f.cd, "api", "linear")
			if err != nil {
				t.Fatal(err)
			}
			if tt.service != "" {
				g.ECSServices[0].ServiceName = aws.String(tt.service)
			}
			in := tt.in
			in.Group, in.ImageURI = g, apiImage
			_, err = ecs.Revision(context.Background(), f.ecs, in)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("got error %v\nwant one containing %s", err, tt.wantErr)
			}
			if tt.wantAs != nil && !errors.As(err, tt.wantAs) {
				t.Errorf("error %v is a %T, want %T", err, err, tt.wantAs)
			}
		})
	}
	t.Cleanup(func() {
		// Nothing was registered: no call, and api:2 does not exist.
		if n := f.registered(); n != 0 {
			t.Errorf("%d RegisterTaskDefinition calls, want none", n)
		}
		if _, err := f.ecs.DescribeTaskDefinition(context.Background(), &awsecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String("api:2")}); err == nil {
			t.Error("task definition api:2 exists, want none registered")
		}
	})
}

func TestECSHookFailureRollsBack(t *testing.T) {
	t.Parallel()
	f := newECSFixture(t, awssim.Scenario{Lifecycle: []awssim.LifecycleFault{{
		Application: "api", DeploymentGroup: "linear", Event: "AfterAllowTestTraffic",
		Message: "smoke test: GET /healthz on the test listener returned 503",
	}}})
	before := f.primary(t, "api")
	_, out, err := f.deploy(t, "linear", ecs.Input{ImageURI: apiImage, AppSpec: "../../../testdata/appspecs/hooks.yaml"}, deploy.WatchOptions{})
	if !errors.Is(err, deploy.ErrFailed) || !errors.Is(err, deploy.ErrRolledBack) {
		t.Fatalf("got error %v, want ErrFailed and ErrRolledBack\n%s", err, f.obs)
	}
	for _, want := range []string{"HOOK_EXECUTION_FAILURE", "returned 503", "AfterAllowTestTraffic", "api-smoke-test", "rolled back by " + out.RollbackID} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	if out.RollbackID == "" || out.RollbackStatus != "Succeeded" || out.ErrorCode != "HOOK_EXECUTION_FAILURE" {
		t.Errorf("outcome %+v, want a Succeeded rollback of a HOOK_EXECUTION_FAILURE", out)
	}
	if f.obs.Has("weights") && slices.ContainsFunc(f.obs.greens(), func(w float64) bool { return w > 0 }) {
		t.Errorf("production traffic moved to green before the test-traffic hook passed: %v", f.obs.greens())
	}
	if got := f.primary(t, "api"); got != before {
		t.Errorf("after the rollback the service runs %s, want %s", got, before)
	}
}

func TestECSPauseAtReadyThenContinue(t *testing.T) {
	t.Parallel()
	f := newECSFixture(t)
	rev, out, err := f.deploy(t, "ready", ecs.Input{ImageURI: apiImage}, deploy.WatchOptions{PauseAtReady: true})
	if err != nil || !out.Paused || out.Status != "Ready" {
		t.Fatalf("got %+v, %v; want paused at Ready", out, err)
	}
	var green []deploy.TaskSet
	for _, tg := range out.Targets {
		for _, ts := range tg.TaskSets {
			if ts.Label == "Green" {
				green = append(green, ts)
			}
		}
	}
	if len(green) != 1 || green[0].Weight != 0 || green[0].Running != 2 {
		t.Errorf("at Ready green task sets %+v, want one running 2 tasks at weight 0 (test traffic only)", green)
	}
	ctx := context.Background()
	if err := f.drv.Continue(ctx, out.ID); err != nil {
		t.Fatal(err)
	}
	out, err = f.drv.Watch(ctx, out.ID, deploy.WatchOptions{Timeout: watchLimit})
	if err != nil || out.Status != "Succeeded" {
		t.Fatalf("after continue: %s, %v; want Succeeded", out.Status, err)
	}
	if got := f.primary(t, "api-ready"); got != rev.TaskDefinitionARN {
		t.Errorf("primary task set runs %s, want %s", got, rev.TaskDefinitionARN)
	}
}
