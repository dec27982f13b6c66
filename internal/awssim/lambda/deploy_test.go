package lambda_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	cdtypes "github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/smithy-go"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim/awssimtest"
)

// lambdaAppSpec is an AppSpec that moves web's alias live from 1 to 2.
func lambdaAppSpec(hooks ...string) string {
	spec := `version: 0.0
Resources:
  - web:
      Type: AWS::Lambda::Function
      Properties:
        Name: web
        Alias: live
        CurrentVersion: 1
        TargetVersion: 2
`
	if len(hooks) > 0 {
		spec += "Hooks:\n"
		for _, h := range hooks {
			spec += "  - " + h + ": check-" + h + "\n"
		}
	}
	return spec
}

// appSpecRevision is an AppSpecContent revision.
func appSpecRevision(content string) cdtypes.RevisionLocation {
	return cdtypes.RevisionLocation{RevisionType: cdtypes.RevisionLocationTypeAppSpecContent, AppSpecContent: &cdtypes.AppSpecContent{Content: aws.String(content)}}
}

// aliasState renders an alias: its version and any weighted extra version.
func aliasState(a *lambda.GetAliasOutput) string {
	s := aws.ToString(a.FunctionVersion)
	if a.RoutingConfig != nil {
		for v, w := range a.RoutingConfig.AdditionalVersionWeights {
			s += fmt.Sprintf("+%s@%.2f", v, w)
		}
	}
	return s
}

// hookFunctions creates zip functions for an AppSpec's hooks to name.
func (f *lambdaFixture) hookFunctions(names ...string) {
	f.t.Helper()
	for _, name := range names {
		f.must(f.lambda.CreateFunction(f.ctx, &lambda.CreateFunctionInput{
			FunctionName: aws.String(name), Runtime: lambdatypes.RuntimePython312, Handler: aws.String("index.handler"),
			Role: aws.String("arn:aws:iam::123456789012:role/hook"), Code: &lambdatypes.FunctionCode{ZipFile: []byte("PK\x05\x06" + strings.Repeat("\x00", 18))},
		}))
	}
}

func TestLambdaDeployments(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		config string
		hooks  []string
		sc     awssim.Scenario
		// act runs after each step of the clock, with the target's weight.
		act          func(f *lambdaFixture, id string, weight float64)
		wantStatus   cdtypes.DeploymentStatus
		wantCode     cdtypes.ErrorCode
		wantWeights  string // the target's weights, as they changed
		wantAliases  string // the alias's states, as they changed
		wantRollback bool
	}{
		{
			name: "all at once", config: "CodeDeployDefault.LambdaAllAtOnce", hooks: []string{"BeforeAllowTraffic", "AfterAllowTraffic"},
			wantStatus: cdtypes.DeploymentStatusSucceeded, wantWeights: "[0 100]", wantAliases: "[1 2]",
		},
		{
			name: "canary", config: "CodeDeployDefault.LambdaCanary10Percent5Minutes",
			wantStatus: cdtypes.DeploymentStatusSucceeded, wantWeights: "[0 10 100]", wantAliases: "[1 1+2@0.10 2]",
		},
		{
			name: "custom linear", config: "Linear25Every1Minute",
			wantStatus: cdtypes.DeploymentStatusSucceeded, wantWeights: "[0 25 50 75 100]", wantAliases: "[1 1+2@0.25 1+2@0.50 1+2@0.75 2]",
		},
		{
			name: "failing BeforeAllowTraffic hook", config: "CodeDeployDefault.LambdaCanary10Percent5Minutes", hooks: []string{"BeforeAllowTraffic"},
			sc:         awssim.Scenario{Lifecycle: []awssim.LifecycleFault{{Application: "app", DeploymentGroup: "live", Event: "BeforeAllowTraffic", Message: "smoke test failed"}}},
			wantStatus: cdtypes.DeploymentStatusFailed, wantCode: cdtypes.ErrorCodeHookExecutionFailure, wantWeights: "[0]", wantAliases: "[1]", wantRollback: true,
		},
		{
			name: "hung hook times out", config: "CodeDeployDefault.LambdaAllAtOnce", hooks: []string{"AfterAllowTraffic"},
			sc: awssim.Scenario{Hangs: []awssim.Hang{{DeploymentGroup: "live", Event: "AfterAllowTraffic"}}},
			act: func(f *lambdaFixture, id string, _ float64) {
				// Skip most of the hook's hour without an answer.
				if _, ok := f.sb.CodeDeploy.LambdaHookExecutionID(id, "AfterAllowTraffic"); ok && !f.skipped {
					f.skipped = true
					f.sb.Clock.Advance(59 * time.Minute)
				}
			},
			wantStatus: cdtypes.DeploymentStatusFailed, wantCode: cdtypes.ErrorCodeHookExecutionFailure, wantWeights: "[0 100]", wantAliases: "[1 2 1]", wantRollback: true,
		},
		{
			name: "hook reported by the client", config: "CodeDeployDefault.LambdaAllAtOnce", hooks: []string{"BeforeAllowTraffic"},
			sc: awssim.Scenario{Hangs: []awssim.Hang{{DeploymentGroup: "live", Event: "BeforeAllowTraffic"}}},
			act: func(f *lambdaFixture, id string, _ float64) {
				if hook, ok := f.sb.CodeDeploy.LambdaHookExecutionID(id, "BeforeAllowTraffic"); ok {
					f.cd.PutLifecycleEventHookExecutionStatus(f.ctx, &codedeploy.PutLifecycleEventHookExecutionStatusInput{
						DeploymentId: aws.String(id), LifecycleEventHookExecutionId: aws.String(hook), Status: cdtypes.LifecycleEventStatusSucceeded,
					})
				}
			},
			wantStatus: cdtypes.DeploymentStatusSucceeded, wantWeights: "[0 100]", wantAliases: "[1 2]",
		},
		{
			name: "stopped mid-shift", config: "CodeDeployDefault.LambdaLinear10PercentEvery1Minute",
			act: func(f *lambdaFixture, id string, weight float64) {
				if weight == 30 {
					f.must(f.cd.StopDeployment(f.ctx, &codedeploy.StopDeploymentInput{DeploymentId: aws.String(id), AutoRollbackEnabled: aws.Bool(true)}))
				}
			},
			wantStatus: cdtypes.DeploymentStatusStopped, wantCode: cdtypes.ErrorCodeManualStop, wantWeights: "[0 10 20 30]", wantAliases: "[1 1+2@0.10 1+2@0.20 1+2@0.30 1]", wantRollback: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newLambdaFixture(t, tt.sc)
			f.function("web")
			f.hookFunctions("check-BeforeAllowTraffic", "check-AfterAllowTraffic")
			uri, _ := f.image("v2")
			f.must(f.lambda.UpdateFunctionCode(f.ctx, &lambda.UpdateFunctionCodeInput{FunctionName: aws.String("web"), ImageUri: aws.String(uri), Publish: true}))
			f.sb.Clock.Advance(10 * time.Second)
			f.must(f.cd.CreateApplication(f.ctx, &codedeploy.CreateApplicationInput{ApplicationName: aws.String("app"), ComputePlatform: cdtypes.ComputePlatformLambda}))
			f.must(f.cd.CreateDeploymentConfig(f.ctx, &codedeploy.CreateDeploymentConfigInput{
				DeploymentConfigName: aws.String("Linear25Every1Minute"), ComputePlatform: cdtypes.ComputePlatformLambda,
				TrafficRoutingConfig: &cdtypes.TrafficRoutingConfig{Type: cdtypes.TrafficRoutingTypeTimeBasedLinear, TimeBasedLinear: &cdtypes.TimeBasedLinear{LinearPercentage: 25, LinearInterval: 1}},
			}))
			f.must(f.cd.CreateDeploymentGroup(f.ctx, &codedeploy.CreateDeploymentGroupInput{
				ApplicationName: aws.String("app"), DeploymentGroupName: aws.String("live"), ServiceRoleArn: aws.String("arn:aws:iam::123456789012:role/cd"),
				DeploymentConfigName: aws.String(tt.config),
				AutoRollbackConfiguration: &cdtypes.AutoRollbackConfiguration{Enabled: true, Events: []cdtypes.AutoRollbackEvent{
					cdtypes.AutoRollbackEventDeploymentFailure, cdtypes.AutoRollbackEventDeploymentStopOnRequest}},
			}))
			rev := appSpecRevision(lambdaAppSpec(tt.hooks...))
			out, err := f.cd.CreateDeployment(f.ctx, &codedeploy.CreateDeploymentInput{
				ApplicationName: aws.String("app"), DeploymentGroupName: aws.String("live"), Revision: &rev,
			})
			if err != nil {
				t.Fatal(err)
			}
			id := aws.ToString(out.DeploymentId)

			var weights []float64
			var aliases []string
			var info *cdtypes.DeploymentInfo
			for range 5000 {
				d, err := f.cd.GetDeployment(f.ctx, &codedeploy.GetDeploymentInput{DeploymentId: out.DeploymentId})
				if err != nil {
					t.Fatal(err)
				}
				if info = d.DeploymentInfo; info.Status == cdtypes.DeploymentStatusSucceeded || info.Status == cdtypes.DeploymentStatusFailed || info.Status == cdtypes.DeploymentStatusStopped {
					break
				}
				if info.Status == cdtypes.DeploymentStatusInProgress {
					weight := f.targetWeight(id)
					if len(weights) == 0 || weights[len(weights)-1] != weight {
						weights = append(weights, weight)
					}
					if tt.act != nil {
						tt.act(f, id, weight)
					}
				}
				a, err := f.lambda.GetAlias(f.ctx, &lambda.GetAliasInput{FunctionName: aws.String("web"), Name: aws.String("live")})
				if err != nil {
					t.Fatal(err)
				}
				if s := aliasState(a); len(aliases) == 0 || aliases[len(aliases)-1] != s {
					aliases = append(aliases, s)
				}
				f.sb.Clock.Advance(time.Second)
			}
			if info.Status != tt.wantStatus || info.ComputePlatform != cdtypes.ComputePlatformLambda {
				t.Fatalf("deployment %s on %s, want %s (error %+v)", info.Status, info.ComputePlatform, tt.wantStatus, info.ErrorInformation)
			}
			if got := fmt.Sprint(weights); got != tt.wantWeights {
				t.Errorf("target weights %s, want %s", got, tt.wantWeights)
			}
			if tt.wantCode != "" && (info.ErrorInformation == nil || info.ErrorInformation.Code != tt.wantCode) {
				t.Errorf("errorInformation = %+v, want %s", info.ErrorInformation, tt.wantCode)
			}
			if o := info.DeploymentOverview; tt.wantStatus == cdtypes.DeploymentStatusSucceeded && o.Succeeded != 1 {
				t.Errorf("deploymentOverview = %+v, want 1 succeeded target", o)
			}
			rollback := ""
			if info.RollbackInfo != nil {
				rollback = aws.ToString(info.RollbackInfo.RollbackDeploymentId)
			}
			if (rollback != "") != tt.wantRollback {
				t.Fatalf("rollback deployment %q, want one: %v", rollback, tt.wantRollback)
			}
			if rollback != "" {
				f.sb.Clock.Advance(5 * time.Minute)
				r, err := f.cd.GetDeployment(f.ctx, &codedeploy.GetDeploymentInput{DeploymentId: aws.String(rollback)})
				if err != nil {
					t.Fatal(err)
				}
				if st := r.DeploymentInfo.Status; st != cdtypes.DeploymentStatusSucceeded {
					t.Errorf("rollback deployment %s, want Succeeded", st)
				}
			}
			a, err := f.lambda.GetAlias(f.ctx, &lambda.GetAliasInput{FunctionName: aws.String("web"), Name: aws.String("live")})
			if err != nil {
				t.Fatal(err)
			}
			if s := aliasState(a); aliases[len(aliases)-1] != s {
				aliases = append(aliases, s)
			}
			if got := fmt.Sprint(aliases); got != tt.wantAliases {
				t.Errorf("alias states %s, want %s", got, tt.wantAliases)
			}
		})
	}
}

// targetWeight returns the weight of the Lambda deployment's target version.
func (f *lambdaFixture) targetWeight(id string) float64 {
	f.t.Helper()
	ids, err := f.cd.ListDeploymentTargets(f.ctx, &codedeploy.ListDeploymentTargetsInput{DeploymentId: aws.String(id)})
	if err != nil {
		f.t.Fatal(err)
	}
	if len(ids.TargetIds) != 1 || ids.TargetIds[0] != "web:live" {
		f.t.Fatalf("targets %v, want [web:live]", ids.TargetIds)
	}
	out, err := f.cd.BatchGetDeploymentTargets(f.ctx, &codedeploy.BatchGetDeploymentTargetsInput{DeploymentId: aws.String(id), TargetIds: ids.TargetIds})
	if err != nil {
		f.t.Fatal(err)
	}
	tg := out.DeploymentTargets[0]
	if tg.DeploymentTargetType != cdtypes.DeploymentTargetTypeLambdaTarget || tg.LambdaTarget == nil {
		f.t.Fatalf("target type %s, want LambdaTarget", tg.DeploymentTargetType)
	}
	info := tg.LambdaTarget.LambdaFunctionInfo
	if aws.ToString(info.FunctionName) != "web" || aws.ToString(info.FunctionAlias) != "live" || aws.ToString(info.CurrentVersion) != "1" || aws.ToString(info.TargetVersion) != "2" {
		f.t.Fatalf("lambdaFunctionInfo = %+v, want web live 1 -> 2", info)
	}
	return info.TargetVersionWeight
}

func TestLambdaDeploymentErrors(t *testing.T) {
	t.Parallel()
	f := newLambdaFixture(t)
	f.function("web")
	f.must(f.cd.CreateApplication(f.ctx, &codedeploy.CreateApplicationInput{ApplicationName: aws.String("app"), ComputePlatform: cdtypes.ComputePlatformLambda}))
	f.must(f.cd.CreateDeploymentGroup(f.ctx, &codedeploy.CreateDeploymentGroupInput{
		ApplicationName: aws.String("app"), DeploymentGroupName: aws.String("live"), ServiceRoleArn: aws.String("arn:aws:iam::123456789012:role/cd"),
	}))
	g, err := f.cd.GetDeploymentGroup(f.ctx, &codedeploy.GetDeploymentGroupInput{ApplicationName: aws.String("app"), DeploymentGroupName: aws.String("live")})
	if err != nil {
		t.Fatal(err)
	}
	if gi := g.DeploymentGroupInfo; aws.ToString(gi.DeploymentConfigName) != "CodeDeployDefault.LambdaAllAtOnce" || gi.DeploymentStyle.DeploymentType != cdtypes.DeploymentTypeBlueGreen || gi.DeploymentStyle.DeploymentOption != cdtypes.DeploymentOptionWithTrafficControl {
		t.Errorf("group = %s, %+v; want LambdaAllAtOnce, BLUE_GREEN WITH_TRAFFIC_CONTROL", aws.ToString(gi.DeploymentConfigName), gi.DeploymentStyle)
	}
	create := func(rev cdtypes.RevisionLocation) (string, error) {
		out, err := f.cd.CreateDeployment(f.ctx, &codedeploy.CreateDeploymentInput{ApplicationName: aws.String("app"), DeploymentGroupName: aws.String("live"), Revision: &rev})
		if err != nil {
			return "", err
		}
		return aws.ToString(out.DeploymentId), nil
	}
	tests := []struct {
		name     string
		rev      cdtypes.RevisionLocation
		wantErr  string // an API error code, or
		wantCode cdtypes.ErrorCode
	}{
		// The deprecated String revision type, which CodeDeploy still takes for Lambda.
		//lint:ignore SA1019 the sandbox accepts String revisions as CodeDeploy does
		{"not yaml", cdtypes.RevisionLocation{RevisionType: cdtypes.RevisionLocationTypeString, String_: &cdtypes.RawString{Content: aws.String("Resources: [")}}, "InvalidRevisionException", ""},
		{"ECS resource", appSpecRevision("Resources:\n  - s:\n      Type: AWS::ECS::Service\n"), "InvalidRevisionException", ""},
		{"ECS hook", appSpecRevision(lambdaAppSpec("AfterInstall")), "InvalidRevisionException", ""},
		{"target version missing", appSpecRevision(lambdaAppSpec()), "", cdtypes.ErrorCodeInvalidLambdaConfiguration},
		{"function missing", appSpecRevision(strings.ReplaceAll(lambdaAppSpec(), "Name: web", "Name: api")), "", cdtypes.ErrorCodeInvalidLambdaFunction},
	}
	for _, tt := range tests {
		id, err := create(tt.rev)
		var ae smithy.APIError
		if tt.wantErr != "" {
			if !errors.As(err, &ae) || ae.ErrorCode() != tt.wantErr {
				t.Errorf("%s: CreateDeployment: %v, want %s", tt.name, err, tt.wantErr)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		f.sb.Clock.Advance(time.Minute)
		d, err := f.cd.GetDeployment(f.ctx, &codedeploy.GetDeploymentInput{DeploymentId: aws.String(id)})
		if err != nil {
			t.Fatal(err)
		}
		if info := d.DeploymentInfo; info.Status != cdtypes.DeploymentStatusFailed || info.ErrorInformation == nil || info.ErrorInformation.Code != tt.wantCode || info.RollbackInfo != nil {
			t.Errorf("%s: deployment %s %+v, want Failed %s without rollback", tt.name, info.Status, info.ErrorInformation, tt.wantCode)
		}
	}
	var ae smithy.APIError
	if _, err := f.cd.ContinueDeployment(f.ctx, &codedeploy.ContinueDeploymentInput{DeploymentId: aws.String("d-ABCDEFGHI")}); !errors.As(err, &ae) || ae.ErrorCode() != "DeploymentDoesNotExistException" {
		t.Errorf("ContinueDeployment of an unknown deployment: %v", err)
	}
}

// TestLambdaScenario seeds testdata/sandbox/lambda.yaml, then a function
// through a lambda CreateFunction seed once its image is in the registry.
func TestLambdaScenario(t *testing.T) {
	t.Parallel()
	sc, err := awssim.LoadScenario("../../../testdata/sandbox/lambda.yaml")
	if err != nil {
		t.Fatal(err)
	}
	sb := awssimtest.Start(t, awssim.Options{})
	sb.Clock.SetScale(0)
	if err := sb.Apply(sc); err != nil {
		t.Fatal(err)
	}
	f := &lambdaFixture{t: t, ctx: context.Background(), sb: sb, password: awssimtest.RegistryPassword(t, ecr.NewFromConfig(sb.Config())),
		lambda: lambda.NewFromConfig(sb.Config()), cd: codedeploy.NewFromConfig(sb.Config())}
	uri, _ := f.image("v1")
	err = sb.Apply(awssim.Scenario{Seed: []awssim.SeedCall{
		{Service: "lambda", Operation: "CreateFunction", Input: map[string]any{"FunctionName": "web", "PackageType": "Image", "Role": "arn:aws:iam::123456789012:role/fn", "Code": map[string]any{"ImageUri": uri}}},
		{Service: "lambda", Operation: "PublishVersion", Input: map[string]any{"FunctionName": "web"}},
		{Service: "lambda", Operation: "CreateAlias", Input: map[string]any{"FunctionName": "web", "Name": "live", "FunctionVersion": "1"}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if c := f.config("web", "live"); c.State != lambdatypes.StateActive || aws.ToString(c.Version) != "1" {
		t.Errorf("seeded function: version %s %s, want 1 Active", aws.ToString(c.Version), c.State)
	}
	for group, config := range map[string]string{"live": "CodeDeployDefault.LambdaAllAtOnce", "canary": "CodeDeployDefault.LambdaCanary10Percent5Minutes", "linear": "Lambda25PercentEvery1Minute"} {
		g, err := f.cd.GetDeploymentGroup(f.ctx, &codedeploy.GetDeploymentGroupInput{ApplicationName: aws.String("fn"), DeploymentGroupName: aws.String(group)})
		if err != nil {
			t.Fatal(err)
		}
		if got := aws.ToString(g.DeploymentGroupInfo.DeploymentConfigName); got != config || g.DeploymentGroupInfo.ComputePlatform != cdtypes.ComputePlatformLambda {
			t.Errorf("group %s: %s on %s, want %s on Lambda", group, got, g.DeploymentGroupInfo.ComputePlatform, config)
		}
	}
	c, err := f.cd.GetDeploymentConfig(f.ctx, &codedeploy.GetDeploymentConfigInput{DeploymentConfigName: aws.String("Lambda25PercentEvery1Minute")})
	if err != nil {
		t.Fatal(err)
	}
	if l := c.DeploymentConfigInfo.TrafficRoutingConfig.TimeBasedLinear; l == nil || l.LinearPercentage != 25 || l.LinearInterval != 1 {
		t.Errorf("custom config = %+v, want linear 25 %% every minute", c.DeploymentConfigInfo.TrafficRoutingConfig)
	}
}

func TestLambdaHookStatusErrors(t *testing.T) {
	t.Parallel()
	f := newLambdaFixture(t, awssim.Scenario{Hangs: []awssim.Hang{{DeploymentGroup: "live"}}})
	f.function("web")
	f.hookFunctions("check-BeforeAllowTraffic", "check-AfterAllowTraffic")
	uri, _ := f.image("v2")
	f.must(f.lambda.UpdateFunctionCode(f.ctx, &lambda.UpdateFunctionCodeInput{FunctionName: aws.String("web"), ImageUri: aws.String(uri), Publish: true}))
	f.sb.Clock.Advance(10 * time.Second)
	f.must(f.cd.CreateApplication(f.ctx, &codedeploy.CreateApplicationInput{ApplicationName: aws.String("app"), ComputePlatform: cdtypes.ComputePlatformLambda}))
	f.must(f.cd.CreateDeploymentGroup(f.ctx, &codedeploy.CreateDeploymentGroupInput{
		ApplicationName: aws.String("app"), DeploymentGroupName: aws.String("live"), ServiceRoleArn: aws.String("arn:aws:iam::123456789012:role/cd"),
	}))
	rev := appSpecRevision(lambdaAppSpec("BeforeAllowTraffic"))
	out, err := f.cd.CreateDeployment(f.ctx, &codedeploy.CreateDeploymentInput{ApplicationName: aws.String("app"), DeploymentGroupName: aws.String("live"), Revision: &rev})
	if err != nil {
		t.Fatal(err)
	}
	f.sb.Clock.Advance(10 * time.Second)
	hook, ok := f.sb.CodeDeploy.LambdaHookExecutionID(aws.ToString(out.DeploymentId), "BeforeAllowTraffic")
	if !ok {
		t.Fatal("no BeforeAllowTraffic hook execution after 10 s")
	}
	put := func(id string, status cdtypes.LifecycleEventStatus) error {
		_, err := f.cd.PutLifecycleEventHookExecutionStatus(f.ctx, &codedeploy.PutLifecycleEventHookExecutionStatusInput{
			DeploymentId: out.DeploymentId, LifecycleEventHookExecutionId: aws.String(id), Status: status,
		})
		return err
	}
	tests := []struct {
		name    string
		id      string
		status  cdtypes.LifecycleEventStatus
		wantErr string
	}{
		{"not a final status", hook, cdtypes.LifecycleEventStatusInProgress, "InvalidLifecycleEventHookExecutionStatusException"},
		{"unknown id", "nope", cdtypes.LifecycleEventStatusSucceeded, "InvalidLifecycleEventHookExecutionIdException"},
		{"report", hook, cdtypes.LifecycleEventStatusFailed, ""},
		{"second report", hook, cdtypes.LifecycleEventStatusSucceeded, "LifecycleEventAlreadyCompletedException"},
	}
	for _, tt := range tests { // in order: each step changes the hook
		err := put(tt.id, tt.status)
		var ae smithy.APIError
		if got := ""; err != nil {
			if errors.As(err, &ae) {
				got = ae.ErrorCode()
			}
			if got != tt.wantErr {
				t.Errorf("%s: %v, want %q", tt.name, err, tt.wantErr)
			}
		} else if tt.wantErr != "" {
			t.Errorf("%s: no error, want %s", tt.name, tt.wantErr)
		}
	}
	d, err := f.cd.GetDeployment(f.ctx, &codedeploy.GetDeploymentInput{DeploymentId: out.DeploymentId})
	if err != nil {
		t.Fatal(err)
	}
	if info := d.DeploymentInfo; info.Status != cdtypes.DeploymentStatusFailed || info.ErrorInformation.Code != cdtypes.ErrorCodeHookExecutionFailure {
		t.Errorf("after the hook reported Failed: %s %+v, want Failed HOOK_EXECUTION_FAILURE", info.Status, info.ErrorInformation)
	}
}

func TestCreateDeploymentConfig(t *testing.T) {
	t.Parallel()
	f := newLambdaFixture(t)
	canary := func(pct, interval int32) *cdtypes.TrafficRoutingConfig {
		return &cdtypes.TrafficRoutingConfig{Type: cdtypes.TrafficRoutingTypeTimeBasedCanary, TimeBasedCanary: &cdtypes.TimeBasedCanary{CanaryPercentage: pct, CanaryInterval: interval}}
	}
	tests := []struct {
		name     string
		in       codedeploy.CreateDeploymentConfigInput
		wantErr  string
		wantType cdtypes.TrafficRoutingType
	}{
		{"lambda canary", codedeploy.CreateDeploymentConfigInput{DeploymentConfigName: aws.String("c1"), ComputePlatform: cdtypes.ComputePlatformLambda, TrafficRoutingConfig: canary(20, 5)}, "", cdtypes.TrafficRoutingTypeTimeBasedCanary},
		{"lambda default", codedeploy.CreateDeploymentConfigInput{DeploymentConfigName: aws.String("c2"), ComputePlatform: cdtypes.ComputePlatformLambda}, "", cdtypes.TrafficRoutingTypeAllAtOnce},
		{"canary of 100", codedeploy.CreateDeploymentConfigInput{DeploymentConfigName: aws.String("c3"), ComputePlatform: cdtypes.ComputePlatformLambda, TrafficRoutingConfig: canary(100, 5)}, "InvalidTrafficRoutingConfigurationException", ""},
		{"predefined name", codedeploy.CreateDeploymentConfigInput{DeploymentConfigName: aws.String("CodeDeployDefault.LambdaAllAtOnce"), ComputePlatform: cdtypes.ComputePlatformLambda}, "DeploymentConfigAlreadyExistsException", ""},
		{"server without hosts", codedeploy.CreateDeploymentConfigInput{DeploymentConfigName: aws.String("c4")}, "InvalidMinimumHealthyHostValueException", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := f.cd.CreateDeploymentConfig(f.ctx, &tt.in)
			var ae smithy.APIError
			if tt.wantErr != "" {
				if !errors.As(err, &ae) || ae.ErrorCode() != tt.wantErr {
					t.Errorf("CreateDeploymentConfig: %v, want %s", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got, err := f.cd.GetDeploymentConfig(f.ctx, &codedeploy.GetDeploymentConfigInput{DeploymentConfigName: tt.in.DeploymentConfigName})
			if err != nil {
				t.Fatal(err)
			}
			if c := got.DeploymentConfigInfo; c.ComputePlatform != tt.in.ComputePlatform || c.TrafficRoutingConfig == nil || c.TrafficRoutingConfig.Type != tt.wantType {
				t.Errorf("config = %s %+v, want %s %s", c.ComputePlatform, c.TrafficRoutingConfig, tt.in.ComputePlatform, tt.wantType)
			}
		})
	}
}

// TestLambdaSameVersion: CreateDeployment accepts an AppSpec whose
// CurrentVersion is its TargetVersion; under a canary or linear
// configuration the deployment then fails, INVALID_LAMBDA_CONFIGURATION
// with AWS's message and no detail, while all at once it goes through
// (terraform-aws-modules/terraform-aws-lambda#82 and #85).
func TestLambdaSameVersion(t *testing.T) {
	t.Parallel()
	f := newLambdaFixture(t)
	f.function("web")
	f.must(f.cd.CreateApplication(f.ctx, &codedeploy.CreateApplicationInput{ApplicationName: aws.String("app"), ComputePlatform: cdtypes.ComputePlatformLambda}))
	spec := strings.Replace(lambdaAppSpec(), "TargetVersion: 2", "TargetVersion: 1", 1)
	for _, tc := range []struct {
		config string
		want   cdtypes.DeploymentStatus
	}{
		{"CodeDeployDefault.LambdaCanary10Percent5Minutes", cdtypes.DeploymentStatusFailed},
		{"CodeDeployDefault.LambdaAllAtOnce", cdtypes.DeploymentStatusSucceeded},
	} {
		f.must(f.cd.CreateDeploymentGroup(f.ctx, &codedeploy.CreateDeploymentGroupInput{
			ApplicationName: aws.String("app"), DeploymentGroupName: aws.String(tc.config), DeploymentConfigName: aws.String(tc.config),
			ServiceRoleArn:  aws.String("arn:aws:iam::123456789012:role/cd"),
			DeploymentStyle: &cdtypes.DeploymentStyle{DeploymentType: cdtypes.DeploymentTypeBlueGreen, DeploymentOption: cdtypes.DeploymentOptionWithTrafficControl},
		}))
		rev := appSpecRevision(spec)
		out, err := f.cd.CreateDeployment(f.ctx, &codedeploy.CreateDeploymentInput{ApplicationName: aws.String("app"), DeploymentGroupName: aws.String(tc.config), Revision: &rev})
		if err != nil {
			t.Fatalf("%s: CreateDeployment: %v, want it accepted", tc.config, err)
		}
		f.sb.Clock.Advance(time.Minute)
		d, err := f.cd.GetDeployment(f.ctx, &codedeploy.GetDeploymentInput{DeploymentId: out.DeploymentId})
		if err != nil {
			t.Fatal(err)
		}
		info := d.DeploymentInfo
		if info.Status != tc.want {
			t.Errorf("%s: %s %+v, want %s", tc.config, info.Status, info.ErrorInformation, tc.want)
			continue
		}
		want := "The deployment failed because the AppSpec file that specifies the AWS Lambda deployment configuration is missing or has an invalid configuration."
		if tc.want == cdtypes.DeploymentStatusFailed && (info.ErrorInformation == nil || info.ErrorInformation.Code != cdtypes.ErrorCodeInvalidLambdaConfiguration || aws.ToString(info.ErrorInformation.Message) != want) {
			t.Errorf("%s: error %+v, want INVALID_LAMBDA_CONFIGURATION %q", tc.config, info.ErrorInformation, want)
		}
	}
}

// TestLambdaHookInvocation: CodeDeploy invokes each hook function as the
// group's service role, with the DeploymentId and
// LifecycleEventHookExecutionId (in the call log); a service role with
// AWSCodeDeployRoleForLambda may invoke only functions named
// CodeDeployHook_* (AWS Managed Policy Reference), so another hook fails
// its event, as does a hook function that does not exist.
func TestLambdaHookInvocation(t *testing.T) {
	t.Parallel()
	f := newLambdaFixture(t)
	f.function("web")
	f.hookFunctions("CodeDeployHook_check", "check")
	uri, _ := f.image("v2")
	f.must(f.lambda.UpdateFunctionCode(f.ctx, &lambda.UpdateFunctionCodeInput{FunctionName: aws.String("web"), ImageUri: aws.String(uri), Publish: true}))
	f.sb.Clock.Advance(10 * time.Second)
	template := `{"Resources": {"Role": {"Type": "AWS::IAM::Role", "Properties": {"RoleName": "cd-lambda",
		"AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "codedeploy.amazonaws.com"}, "Action": "sts:AssumeRole"}]},
		"ManagedPolicyArns": ["arn:aws:iam::aws:policy/service-role/AWSCodeDeployRoleForLambda"]}}}}`
	if out, err := f.sb.CLI(t, "cloudformation", "create-stack", "--stack-name", "roles", "--template-body", template, "--capabilities", "CAPABILITY_NAMED_IAM"); err != nil {
		t.Fatalf("create-stack: %v\n%s", err, out)
	}
	f.must(f.cd.CreateApplication(f.ctx, &codedeploy.CreateApplicationInput{ApplicationName: aws.String("app"), ComputePlatform: cdtypes.ComputePlatformLambda}))
	f.must(f.cd.CreateDeploymentGroup(f.ctx, &codedeploy.CreateDeploymentGroupInput{
		ApplicationName: aws.String("app"), DeploymentGroupName: aws.String("live"), ServiceRoleArn: aws.String("arn:aws:iam::123456789012:role/cd-lambda"),
	}))
	deploy := func(hook, current, target string) *cdtypes.DeploymentInfo {
		t.Helper()
		spec := strings.NewReplacer("check-BeforeAllowTraffic", hook, "CurrentVersion: 1", "CurrentVersion: "+current, "TargetVersion: 2", "TargetVersion: "+target).
			Replace(lambdaAppSpec("BeforeAllowTraffic"))
		rev := appSpecRevision(spec)
		out, err := f.cd.CreateDeployment(f.ctx, &codedeploy.CreateDeploymentInput{ApplicationName: aws.String("app"), DeploymentGroupName: aws.String("live"), Revision: &rev})
		if err != nil {
			t.Fatal(err)
		}
		f.sb.Clock.Advance(time.Minute)
		d, err := f.cd.GetDeployment(f.ctx, &codedeploy.GetDeploymentInput{DeploymentId: out.DeploymentId})
		if err != nil {
			t.Fatal(err)
		}
		return d.DeploymentInfo
	}
	invocations := func() []awssim.Call {
		var calls []awssim.Call
		for _, c := range f.sb.Calls() {
			if c.Service == "lambda" && c.Operation == "Invoke" {
				calls = append(calls, c)
			}
		}
		return calls
	}

	d := deploy("CodeDeployHook_check", "1", "2")
	if d.Status != cdtypes.DeploymentStatusSucceeded {
		t.Fatalf("CodeDeployHook_check: %s %+v, want Succeeded", d.Status, d.ErrorInformation)
	}
	calls := invocations()
	if len(calls) != 1 || calls[0].Status != 200 || !strings.Contains(string(calls[0].Payload), `"DeploymentId":"`+aws.ToString(d.DeploymentId)+`"`) || !strings.Contains(string(calls[0].Payload), `"LifecycleEventHookExecutionId":"`) {
		t.Errorf("invocations %+v, want one, 200, with the DeploymentId and LifecycleEventHookExecutionId", calls)
	}

	d = deploy("check", "2", "1")
	if d.Status != cdtypes.DeploymentStatusFailed || d.ErrorInformation == nil || d.ErrorInformation.Code != cdtypes.ErrorCodeHookExecutionFailure {
		t.Fatalf("hook check: %s %+v, want Failed HOOK_EXECUTION_FAILURE", d.Status, d.ErrorInformation)
	}
	if calls := invocations(); len(calls) != 2 || calls[1].Status != 403 {
		t.Errorf("invocations %+v, want a second one refused (403)", calls)
	}

	// A hook function that does not exist fails its event too.
	d = deploy("CodeDeployHook_missing", "2", "1")
	if d.Status != cdtypes.DeploymentStatusFailed || d.ErrorInformation == nil || d.ErrorInformation.Code != cdtypes.ErrorCodeHookExecutionFailure {
		t.Fatalf("hook CodeDeployHook_missing: %s %+v, want Failed HOOK_EXECUTION_FAILURE", d.Status, d.ErrorInformation)
	}
	if calls := invocations(); len(calls) != 3 || calls[2].Status != 404 {
		t.Errorf("invocations %+v, want a third one not found (404)", calls)
	}
}
