package codedeploy_test

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	cdtypes "github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim/awssimtest"
)

// cdFixture is a sandbox with a stopped clock and SDK clients for it.
type cdFixture struct {
	t   *testing.T
	ctx context.Context
	sb  *awssimtest.Sandbox
	cd  *codedeploy.Client
	ecs *ecs.Client
	s3  *s3.Client
}

func newCDFixture(t *testing.T, sc ...awssim.Scenario) *cdFixture {
	t.Helper()
	sb := awssimtest.Start(t, awssim.Options{})
	sb.Clock.SetScale(0)
	for _, s := range sc {
		if err := sb.Apply(s); err != nil {
			t.Fatal(err)
		}
	}
	cfg := sb.Config()
	return &cdFixture{
		t: t, ctx: context.Background(), sb: sb,
		cd:  codedeploy.NewFromConfig(cfg),
		ecs: ecs.NewFromConfig(cfg),
		s3:  s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true }),
	}
}

// ok fails the test on err; it takes a call's whole result.
func (f *cdFixture) ok(_ any, err error) {
	f.t.Helper()
	if err != nil {
		f.t.Fatal(err)
	}
}

// serverGroup creates a Server application and a blue/green group with
// one Auto Scaling group (two instances).
func (f *cdFixture) serverGroup(name string, bg *cdtypes.BlueGreenDeploymentConfiguration, rollback bool) {
	f.t.Helper()
	f.ok(f.cd.CreateApplication(f.ctx, &codedeploy.CreateApplicationInput{ApplicationName: aws.String(name), ComputePlatform: cdtypes.ComputePlatformServer}))
	f.ok(f.cd.CreateDeploymentGroup(f.ctx, &codedeploy.CreateDeploymentGroupInput{
		ApplicationName:      aws.String(name),
		DeploymentGroupName:  aws.String(name),
		ServiceRoleArn:       aws.String("arn:aws:iam::123456789012:role/codedeploy"),
		DeploymentConfigName: aws.String("CodeDeployDefault.AllAtOnce"),
		AutoScalingGroups:    []string{"asg-" + name},
		DeploymentStyle: &cdtypes.DeploymentStyle{
			DeploymentType:   cdtypes.DeploymentTypeBlueGreen,
			DeploymentOption: cdtypes.DeploymentOptionWithTrafficControl,
		},
		BlueGreenDeploymentConfiguration: bg,
		LoadBalancerInfo:                 &cdtypes.LoadBalancerInfo{TargetGroupInfoList: []cdtypes.TargetGroupInfo{{Name: aws.String("tg-" + name)}}},
		AutoRollbackConfiguration:        autoRollback(rollback),
	}))
}

func autoRollback(on bool) *cdtypes.AutoRollbackConfiguration {
	if !on {
		return nil
	}
	return &cdtypes.AutoRollbackConfiguration{Enabled: true, Events: []cdtypes.AutoRollbackEvent{cdtypes.AutoRollbackEventDeploymentFailure, cdtypes.AutoRollbackEventDeploymentStopOnRequest}}
}

// blueGreen returns a blue/green configuration: copy the ASG, wait at Ready
// for ready minutes when ready > 0, keep the blue fleet for term minutes.
func blueGreen(ready, term int32) *cdtypes.BlueGreenDeploymentConfiguration {
	bg := &cdtypes.BlueGreenDeploymentConfiguration{
		DeploymentReadyOption:        &cdtypes.DeploymentReadyOption{ActionOnTimeout: cdtypes.DeploymentReadyActionContinueDeployment},
		GreenFleetProvisioningOption: &cdtypes.GreenFleetProvisioningOption{Action: cdtypes.GreenFleetProvisioningActionCopyAutoScalingGroup},
		TerminateBlueInstancesOnDeploymentSuccess: &cdtypes.BlueInstanceTerminationOption{
			Action: cdtypes.InstanceActionTerminate, TerminationWaitTimeInMinutes: term,
		},
	}
	if ready > 0 {
		bg.DeploymentReadyOption = &cdtypes.DeploymentReadyOption{ActionOnTimeout: cdtypes.DeploymentReadyActionStopDeployment, WaitTimeInMinutes: ready}
	}
	return bg
}

const serverAppSpec = `version: 0.0
os: linux
hooks:
  BeforeInstall:
    - location: scripts/pull.sh
      timeout: 300
  ValidateService:
    - location: scripts/health.sh
      timeout: 120
`

// bundle uploads a zip with appspec.yml to S3 and returns its revision.
func (f *cdFixture) bundle(key string) *cdtypes.RevisionLocation {
	f.t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, body := range map[string]string{"appspec.yml": serverAppSpec, "scripts/pull.sh": "#!/bin/sh\n", "scripts/health.sh": "#!/bin/sh\n"} {
		out, err := zw.Create(name)
		if err != nil {
			f.t.Fatal(err)
		}
		w := out
		f.ok(w.Write([]byte(body)))
	}
	if err := zw.Close(); err != nil {
		f.t.Fatal(err)
	}
	if _, err := f.s3.CreateBucket(f.ctx, &s3.CreateBucketInput{Bucket: aws.String("bundles")}); err != nil && !strings.Contains(err.Error(), "BucketAlreadyOwnedByYou") {
		f.t.Fatal(err)
	}
	f.ok(f.s3.PutObject(f.ctx, &s3.PutObjectInput{Bucket: aws.String("bundles"), Key: aws.String(key), Body: bytes.NewReader(buf.Bytes())}))
	return s3Revision(key)
}

func s3Revision(key string) *cdtypes.RevisionLocation {
	return &cdtypes.RevisionLocation{RevisionType: cdtypes.RevisionLocationTypeS3, S3Location: &cdtypes.S3Location{
		Bucket: aws.String("bundles"), Key: aws.String(key), BundleType: cdtypes.BundleTypeZip,
	}}
}

// ecsGroup creates a cluster, a CODE_DEPLOY service on task definition
// name:1, an ECS application and group, and registers name:2. It returns
// an AppSpec deploying name:2.
func (f *cdFixture) ecsGroup(name, config string, bg *cdtypes.BlueGreenDeploymentConfiguration, rollback bool) *cdtypes.RevisionLocation {
	f.t.Helper()
	f.ok(f.ecs.CreateCluster(f.ctx, &ecs.CreateClusterInput{ClusterName: aws.String("c-" + name)}))
	// The AppSpec's hook function: CodeDeploy fails a hook whose function
	// does not exist.
	f.ok(lambda.NewFromConfig(f.sb.Config()).CreateFunction(f.ctx, &lambda.CreateFunctionInput{
		FunctionName: aws.String("check-" + name), Runtime: lambdatypes.RuntimePython312, Handler: aws.String("index.handler"),
		Role: aws.String("arn:aws:iam::123456789012:role/hook"), Code: &lambdatypes.FunctionCode{ZipFile: []byte("PK\x05\x06" + strings.Repeat("\x00", 18))},
	}))
	td := &ecs.RegisterTaskDefinitionInput{
		Family:                  aws.String(name),
		NetworkMode:             ecstypes.NetworkModeAwsvpc,
		RequiresCompatibilities: []ecstypes.Compatibility{ecstypes.CompatibilityFargate},
		Cpu:                     aws.String("256"), Memory: aws.String("512"),
		ContainerDefinitions: []ecstypes.ContainerDefinition{{
			Name: aws.String("web"), Image: aws.String("nginx:1"),
			PortMappings: []ecstypes.PortMapping{{ContainerPort: aws.Int32(8080)}},
		}},
	}
	f.ok(f.ecs.RegisterTaskDefinition(f.ctx, td))
	f.ok(f.ecs.CreateService(f.ctx, &ecs.CreateServiceInput{
		Cluster: aws.String("c-" + name), ServiceName: aws.String(name), TaskDefinition: aws.String(name),
		DesiredCount: aws.Int32(2), LaunchType: ecstypes.LaunchTypeFargate,
		NetworkConfiguration: &ecstypes.NetworkConfiguration{AwsvpcConfiguration: &ecstypes.AwsVpcConfiguration{
			Subnets: []string{"subnet-0a1b2c3d", "subnet-4e5f6a7b"}, SecurityGroups: []string{"sg-blue"}, AssignPublicIp: ecstypes.AssignPublicIpDisabled,
		}},
		DeploymentController: &ecstypes.DeploymentController{Type: ecstypes.DeploymentControllerTypeCodeDeploy},
		LoadBalancers: []ecstypes.LoadBalancer{{
			TargetGroupArn: aws.String("arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/blue/1"),
			ContainerName:  aws.String("web"), ContainerPort: aws.Int32(8080),
		}},
	}))
	td.ContainerDefinitions[0].Image = aws.String("nginx:2")
	out, err := f.ecs.RegisterTaskDefinition(f.ctx, td)
	if err != nil {
		f.t.Fatal(err)
	}
	arn := out.TaskDefinition.TaskDefinitionArn
	if bg == nil {
		bg = &cdtypes.BlueGreenDeploymentConfiguration{}
	}
	bg.GreenFleetProvisioningOption = nil
	f.ok(f.cd.CreateApplication(f.ctx, &codedeploy.CreateApplicationInput{ApplicationName: aws.String(name), ComputePlatform: cdtypes.ComputePlatformEcs}))
	f.ok(f.cd.CreateDeploymentGroup(f.ctx, &codedeploy.CreateDeploymentGroupInput{
		ApplicationName:                  aws.String(name),
		DeploymentGroupName:              aws.String(name),
		ServiceRoleArn:                   aws.String("arn:aws:iam::123456789012:role/codedeploy"),
		DeploymentConfigName:             aws.String(config),
		EcsServices:                      []cdtypes.ECSService{{ClusterName: aws.String("c-" + name), ServiceName: aws.String(name)}},
		BlueGreenDeploymentConfiguration: bg,
		AutoRollbackConfiguration:        autoRollback(rollback),
		LoadBalancerInfo: &cdtypes.LoadBalancerInfo{TargetGroupPairInfoList: []cdtypes.TargetGroupPairInfo{{
			TargetGroups:     []cdtypes.TargetGroupInfo{{Name: aws.String("blue")}, {Name: aws.String("green")}},
			ProdTrafficRoute: &cdtypes.TrafficRoute{ListenerArns: []string{"arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/lb/1/80"}},
		}}},
	}))
	content := fmt.Sprintf(`version: 0.0
Resources:
  - TargetService:
      Type: AWS::ECS::Service
      Properties:
        TaskDefinition: %q
        LoadBalancerInfo:
          ContainerName: web
          ContainerPort: 8080
        NetworkConfiguration:
          AwsvpcConfiguration:
            Subnets: [subnet-0a1b2c3d, subnet-4e5f6a7b]
            SecurityGroups: [sg-green]
            AssignPublicIp: DISABLED
Hooks:
  - AfterAllowTestTraffic: check-%s
`, *arn, name)
	return &cdtypes.RevisionLocation{RevisionType: cdtypes.RevisionLocationTypeAppSpecContent, AppSpecContent: &cdtypes.AppSpecContent{Content: aws.String(content)}}
}

// deploy creates a deployment in the group named like its application.
func (f *cdFixture) deploy(name string, rev *cdtypes.RevisionLocation) string {
	f.t.Helper()
	out, err := f.cd.CreateDeployment(f.ctx, &codedeploy.CreateDeploymentInput{
		ApplicationName: aws.String(name), DeploymentGroupName: aws.String(name), Revision: rev,
	})
	if err != nil {
		f.t.Fatal(err)
	}
	return *out.DeploymentId
}

func (f *cdFixture) get(id string) *cdtypes.DeploymentInfo {
	f.t.Helper()
	out, err := f.cd.GetDeployment(f.ctx, &codedeploy.GetDeploymentInput{DeploymentId: aws.String(id)})
	if err != nil {
		f.t.Fatal(err)
	}
	return out.DeploymentInfo
}

// until advances the clock by step until cond holds for the deployment.
func (f *cdFixture) until(id string, step time.Duration, cond func(*cdtypes.DeploymentInfo) bool) *cdtypes.DeploymentInfo {
	f.t.Helper()
	for range 20000 {
		if d := f.get(id); cond(d) {
			return d
		}
		f.sb.Clock.Advance(step)
	}
	f.t.Fatalf("deployment %s: condition not reached; last status %s", id, f.get(id).Status)
	return nil
}

func status(s cdtypes.DeploymentStatus) func(*cdtypes.DeploymentInfo) bool {
	return func(d *cdtypes.DeploymentInfo) bool { return d.Status == s }
}

func (f *cdFixture) targets(id string, filters map[string][]string) []string {
	f.t.Helper()
	out, err := f.cd.ListDeploymentTargets(f.ctx, &codedeploy.ListDeploymentTargetsInput{DeploymentId: aws.String(id), TargetFilters: filters})
	if err != nil {
		f.t.Fatal(err)
	}
	return out.TargetIds
}

func (f *cdFixture) target(id, target string) *cdtypes.DeploymentTarget {
	f.t.Helper()
	out, err := f.cd.GetDeploymentTarget(f.ctx, &codedeploy.GetDeploymentTargetInput{DeploymentId: aws.String(id), TargetId: aws.String(target)})
	if err != nil {
		f.t.Fatal(err)
	}
	return out.DeploymentTarget
}

func eventStatuses(events []cdtypes.LifecycleEvent) string {
	var b strings.Builder
	for _, ev := range events {
		fmt.Fprintf(&b, "%s=%s ", *ev.LifecycleEventName, ev.Status)
	}
	return strings.TrimSpace(b.String())
}

func TestCodeDeployApplicationsAndGroups(t *testing.T) {
	t.Parallel()
	f := newCDFixture(t)
	f.serverGroup("web", blueGreen(60, 5), true)

	out, err := f.cd.GetApplication(f.ctx, &codedeploy.GetApplicationInput{ApplicationName: aws.String("web")})
	if err != nil {
		t.Fatal(err)
	}
	app := out.Application
	if app.ComputePlatform != cdtypes.ComputePlatformServer || *app.ApplicationName != "web" || app.ApplicationId == nil || app.CreateTime == nil {
		t.Errorf("GetApplication = %+v, want the Server application web", app)
	}
	gout, err := f.cd.GetDeploymentGroup(f.ctx, &codedeploy.GetDeploymentGroupInput{ApplicationName: aws.String("web"), DeploymentGroupName: aws.String("web")})
	if err != nil {
		t.Fatal(err)
	}
	g := gout.DeploymentGroupInfo
	if got := g.BlueGreenDeploymentConfiguration.DeploymentReadyOption; got.ActionOnTimeout != cdtypes.DeploymentReadyActionStopDeployment || got.WaitTimeInMinutes != 60 {
		t.Errorf("deploymentReadyOption = %+v, want STOP_DEPLOYMENT 60", got)
	}
	if got := *g.AutoScalingGroups[0].Name; got != "asg-web" {
		t.Errorf("autoScalingGroups[0] = %q, want asg-web", got)
	}
	if g.DeploymentStyle.DeploymentType != cdtypes.DeploymentTypeBlueGreen || !g.AutoRollbackConfiguration.Enabled || *g.DeploymentConfigName != "CodeDeployDefault.AllAtOnce" {
		t.Errorf("group = %+v, want blue/green, auto-rollback, AllAtOnce", g)
	}
	cout, err := f.cd.GetDeploymentConfig(f.ctx, &codedeploy.GetDeploymentConfigInput{DeploymentConfigName: aws.String("CodeDeployDefault.ECSLinear10PercentEvery3Minutes")})
	if err != nil {
		t.Fatal(err)
	}
	cfg := cout.DeploymentConfigInfo
	if l := cfg.TrafficRoutingConfig.TimeBasedLinear; l.LinearInterval != 3 || l.LinearPercentage != 10 || cfg.ComputePlatform != cdtypes.ComputePlatformEcs {
		t.Errorf("ECSLinear10PercentEvery3Minutes = %+v, want 10%% every 3 minutes on ECS", cfg)
	}

	for _, tc := range []struct {
		name string
		call func() error
		want string
	}{
		{"missing application", func() error {
			_, err := f.cd.GetApplication(f.ctx, &codedeploy.GetApplicationInput{ApplicationName: aws.String("nope")})
			return err
		}, "ApplicationDoesNotExistException"},
		{"duplicate application", func() error {
			_, err := f.cd.CreateApplication(f.ctx, &codedeploy.CreateApplicationInput{ApplicationName: aws.String("web")})
			return err
		}, "ApplicationAlreadyExistsException"},
		{"missing group", func() error {
			_, err := f.cd.GetDeploymentGroup(f.ctx, &codedeploy.GetDeploymentGroupInput{ApplicationName: aws.String("web"), DeploymentGroupName: aws.String("nope")})
			return err
		}, "DeploymentGroupDoesNotExistException"},
		{"unknown config", func() error {
			_, err := f.cd.CreateDeploymentGroup(f.ctx, &codedeploy.CreateDeploymentGroupInput{
				ApplicationName: aws.String("web"), DeploymentGroupName: aws.String("g2"),
				ServiceRoleArn: aws.String("arn:aws:iam::123456789012:role/r"), DeploymentConfigName: aws.String("Custom.Nope"),
			})
			return err
		}, "DeploymentConfigDoesNotExistException"},
		{"ECS group without service", func() error {
			f.ok(f.cd.CreateApplication(f.ctx, &codedeploy.CreateApplicationInput{ApplicationName: aws.String("e"), ComputePlatform: cdtypes.ComputePlatformEcs}))
			_, err := f.cd.CreateDeploymentGroup(f.ctx, &codedeploy.CreateDeploymentGroupInput{
				ApplicationName: aws.String("e"), DeploymentGroupName: aws.String("e"), ServiceRoleArn: aws.String("arn:aws:iam::123456789012:role/r"),
				EcsServices: []cdtypes.ECSService{{ClusterName: aws.String("c"), ServiceName: aws.String("s")}},
			})
			return err
		}, "InvalidECSServiceException"},
	} {
		if code, _ := awssimtest.ErrorCode(t, tc.call()); code != tc.want {
			t.Errorf("%s: got %s, want %s", tc.name, code, tc.want)
		}
	}
}

func TestCreateDeploymentErrors(t *testing.T) {
	t.Parallel()
	f := newCDFixture(t)
	f.serverGroup("web", blueGreen(0, 0), false)
	ecsRev := f.ecsGroup("svc", "CodeDeployDefault.ECSAllAtOnce", nil, false)
	badSum := *ecsRev
	badSum.AppSpecContent = &cdtypes.AppSpecContent{Content: ecsRev.AppSpecContent.Content, Sha256: aws.String(strings.Repeat("0", 64))}

	for _, tc := range []struct {
		name string
		in   codedeploy.CreateDeploymentInput
		want string
	}{
		{"missing application", codedeploy.CreateDeploymentInput{ApplicationName: aws.String("nope"), DeploymentGroupName: aws.String("web"), Revision: s3Revision("k")}, "ApplicationDoesNotExistException"},
		{"missing group", codedeploy.CreateDeploymentInput{ApplicationName: aws.String("web"), DeploymentGroupName: aws.String("nope"), Revision: s3Revision("k")}, "DeploymentGroupDoesNotExistException"},
		{"unknown config", codedeploy.CreateDeploymentInput{ApplicationName: aws.String("web"), DeploymentGroupName: aws.String("web"), Revision: s3Revision("k"), DeploymentConfigName: aws.String("Nope")}, "DeploymentConfigDoesNotExistException"},
		{"long description", codedeploy.CreateDeploymentInput{ApplicationName: aws.String("web"), DeploymentGroupName: aws.String("web"), Revision: s3Revision("k"), Description: aws.String(strings.Repeat("x", 101))}, "DescriptionTooLongException"},
		{"no revision", codedeploy.CreateDeploymentInput{ApplicationName: aws.String("web"), DeploymentGroupName: aws.String("web")}, "RevisionRequiredException"},
		{"AppSpecContent on Server", codedeploy.CreateDeploymentInput{ApplicationName: aws.String("web"), DeploymentGroupName: aws.String("web"), Revision: ecsRev}, "InvalidRevisionException"},
		{"bad sha256", codedeploy.CreateDeploymentInput{ApplicationName: aws.String("svc"), DeploymentGroupName: aws.String("svc"), Revision: &badSum}, "InvalidRevisionException"},
		{"bad AppSpec", codedeploy.CreateDeploymentInput{ApplicationName: aws.String("svc"), DeploymentGroupName: aws.String("svc"), Revision: &cdtypes.RevisionLocation{
			RevisionType: cdtypes.RevisionLocationTypeAppSpecContent, AppSpecContent: &cdtypes.AppSpecContent{Content: aws.String("version: 0.0\nResources: []\n")},
		}}, "InvalidRevisionException"},
	} {
		_, err := f.cd.CreateDeployment(f.ctx, &tc.in)
		if code, _ := awssimtest.ErrorCode(t, err); code != tc.want {
			t.Errorf("%s: got %s, want %s", tc.name, code, tc.want)
		}
	}

	for _, tc := range []struct{ id, want string }{
		{"d-123", "InvalidDeploymentIdException"},
		{"d-ABCDEFGHI", "DeploymentDoesNotExistException"},
	} {
		_, err := f.cd.GetDeployment(f.ctx, &codedeploy.GetDeploymentInput{DeploymentId: aws.String(tc.id)})
		if code, _ := awssimtest.ErrorCode(t, err); code != tc.want {
			t.Errorf("GetDeployment(%s): got %s, want %s", tc.id, code, tc.want)
		}
	}
}

// TestDescriptionCountsCharacters: CodeDeploy's limit is 100 characters, not
// bytes.
func TestDescriptionCountsCharacters(t *testing.T) {
	t.Parallel()
	f := newCDFixture(t)
	f.serverGroup("web", blueGreen(0, 0), false)
	rev := f.bundle("a.zip")
	desc := strings.Repeat("é", 99) + "…" // 100 characters, 201 bytes
	out, err := f.cd.CreateDeployment(f.ctx, &codedeploy.CreateDeploymentInput{ApplicationName: aws.String("web"), DeploymentGroupName: aws.String("web"), Revision: rev, Description: aws.String(desc)})
	if err != nil {
		t.Fatalf("CreateDeployment with a 100-character description: %v", err)
	}
	if got := aws.ToString(f.get(aws.ToString(out.DeploymentId)).Description); got != desc {
		t.Errorf("description = %q, want %q", got, desc)
	}
}

func TestDeploymentLimitNamesActiveDeployment(t *testing.T) {
	t.Parallel()
	f := newCDFixture(t)
	f.serverGroup("web", blueGreen(60, 0), false)
	id := f.deploy("web", f.bundle("a.zip"))
	if ok, _ := regexp.MatchString(`^d-[A-Z0-9]{9}$`, id); !ok {
		t.Errorf("deployment id %q is not d- and 9 of A-Z0-9", id)
	}
	_, err := f.cd.CreateDeployment(f.ctx, &codedeploy.CreateDeploymentInput{ApplicationName: aws.String("web"), DeploymentGroupName: aws.String("web"), Revision: s3Revision("a.zip")})
	code, msg := awssimtest.ErrorCode(t, err)
	if want := fmt.Sprintf("The deployment group 'web' already has an active Deployment '%s'", id); code != "DeploymentLimitExceededException" || msg != want {
		t.Errorf("second CreateDeployment: got %s %q, want DeploymentLimitExceededException %q", code, msg, want)
	}
}

func TestListAndBatchDeployments(t *testing.T) {
	t.Parallel()
	f := newCDFixture(t)
	f.serverGroup("web", blueGreen(0, 0), false)
	rev := f.bundle("a.zip")
	var stopped []string
	for range 103 {
		id := f.deploy("web", rev)
		f.ok(f.cd.StopDeployment(f.ctx, &codedeploy.StopDeploymentInput{DeploymentId: aws.String(id)}))
		f.sb.Clock.Advance(5 * time.Second)
		stopped = append(stopped, id)
	}
	active := f.deploy("web", rev)
	slices.Reverse(stopped)

	list := func(token *string, statuses ...cdtypes.DeploymentStatus) *codedeploy.ListDeploymentsOutput {
		out, err := f.cd.ListDeployments(f.ctx, &codedeploy.ListDeploymentsInput{
			ApplicationName: aws.String("web"), DeploymentGroupName: aws.String("web"), IncludeOnlyStatuses: statuses, NextToken: token,
		})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	first := list(nil, cdtypes.DeploymentStatusStopped)
	second := list(first.NextToken, cdtypes.DeploymentStatusStopped)
	if got := append(first.Deployments, second.Deployments...); !slices.Equal(got, stopped) || second.NextToken != nil {
		t.Errorf("Stopped deployments over two pages = %d ids (next %v), want the %d stopped ones newest first", len(got), second.NextToken, len(stopped))
	}
	if got := list(nil, cdtypes.DeploymentStatusCreated, cdtypes.DeploymentStatusInProgress, cdtypes.DeploymentStatusReady).Deployments; !slices.Equal(got, []string{active}) {
		t.Errorf("active deployments = %v, want [%s]", got, active)
	}

	out, err := f.cd.BatchGetDeployments(f.ctx, &codedeploy.BatchGetDeploymentsInput{DeploymentIds: []string{active, stopped[0]}})
	if err != nil {
		t.Fatal(err)
	}
	infos := out.DeploymentsInfo
	if len(infos) != 2 || *infos[0].DeploymentId != active || infos[1].Status != cdtypes.DeploymentStatusStopped {
		t.Errorf("BatchGetDeployments = %d infos, want %s then a Stopped one", len(infos), active)
	}
	if info := infos[1]; info.ErrorInformation == nil || info.ErrorInformation.Code != cdtypes.ErrorCodeManualStop || info.RollbackInfo != nil {
		t.Errorf("stopped deployment: errorInformation %+v rollbackInfo %+v, want MANUAL_STOP and no rollback", info.ErrorInformation, info.RollbackInfo)
	}
}

// TestSDKWaiter runs the SDK's own waiter against the sandbox's default clock.
func TestSDKWaiter(t *testing.T) {
	t.Parallel()
	f := newCDFixture(t)
	f.sb.Clock.SetScale(awssim.DefaultTimeScale)
	f.serverGroup("web", blueGreen(0, 5), false)
	id := f.deploy("web", f.bundle("a.zip"))
	w := codedeploy.NewDeploymentSuccessfulWaiter(f.cd, func(o *codedeploy.DeploymentSuccessfulWaiterOptions) {
		o.MinDelay, o.MaxDelay = time.Second, 2*time.Second
	})
	if err := w.Wait(f.ctx, &codedeploy.GetDeploymentInput{DeploymentId: aws.String(id)}, time.Minute); err != nil {
		t.Fatalf("DeploymentSuccessfulWaiter: %v", err)
	}
	if got := f.get(id).Status; got != cdtypes.DeploymentStatusSucceeded {
		t.Errorf("status = %s, want Succeeded", got)
	}
}
