package codedeploy_test

import (
	"archive/zip"
	"bytes"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	cdtypes "github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim/awssimtest"
)

var instanceID = regexp.MustCompile(`^i-[0-9a-f]{17}$`)

func TestServerBlueGreenReadyContinueTerminationWait(t *testing.T) {
	t.Parallel()
	f := newCDFixture(t)
	f.serverGroup("web", blueGreen(60, 30), false)
	id := f.deploy("web", f.bundle("a.zip"))

	if d := f.get(id); d.Status != cdtypes.DeploymentStatusCreated || d.StartTime != nil {
		t.Errorf("right after create: status %s startTime %v, want Created and no start", d.Status, d.StartTime)
	}
	_, err := f.cd.ListDeploymentTargets(f.ctx, &codedeploy.ListDeploymentTargetsInput{DeploymentId: aws.String(id)})
	if code, _ := awssimtest.ErrorCode(t, err); code != "DeploymentNotStartedException" {
		t.Errorf("ListDeploymentTargets before start: got %s, want DeploymentNotStartedException", code)
	}

	d := f.until(id, 10*time.Second, status(cdtypes.DeploymentStatusReady))
	if o := d.DeploymentOverview; o.Ready != 2 || o.Pending != 2 {
		t.Errorf("overview at Ready = %+v, want Ready 2 (green) and Pending 2 (blue)", o)
	}
	green := f.targets(id, map[string][]string{"ServerInstanceLabel": {"Green"}})
	blue := f.targets(id, map[string][]string{"ServerInstanceLabel": {"Blue"}})
	if len(green) != 2 || len(blue) != 2 || !instanceID.MatchString(green[0]) {
		t.Fatalf("targets: green %v blue %v, want two each with EC2 instance ids", green, blue)
	}
	if got := f.targets(id, map[string][]string{"TargetStatus": {"Ready"}}); !slices.Equal(got, green) {
		t.Errorf("Ready targets = %v, want the green ones %v", got, green)
	}
	g := f.target(id, green[0]).InstanceTarget
	wantEvents := "ApplicationStop=Succeeded DownloadBundle=Succeeded BeforeInstall=Succeeded Install=Succeeded AfterInstall=Succeeded ApplicationStart=Succeeded ValidateService=Succeeded BeforeAllowTraffic=Pending AllowTraffic=Pending AfterAllowTraffic=Pending"
	if got := eventStatuses(g.LifecycleEvents); got != wantEvents || g.InstanceLabel != cdtypes.TargetLabelGreen || g.Status != cdtypes.TargetStatusReady {
		t.Errorf("green target at Ready: %s %s %s, want Green Ready %s", g.InstanceLabel, g.Status, got, wantEvents)
	}

	_, err = f.cd.ContinueDeployment(f.ctx, &codedeploy.ContinueDeploymentInput{DeploymentId: aws.String(id), DeploymentWaitType: cdtypes.DeploymentWaitTypeTerminationWait})
	if code, _ := awssimtest.ErrorCode(t, err); code != "DeploymentIsNotInReadyStateException" {
		t.Errorf("ContinueDeployment(TERMINATION_WAIT) at Ready: got %s, want DeploymentIsNotInReadyStateException", code)
	}
	f.ok(f.cd.ContinueDeployment(f.ctx, &codedeploy.ContinueDeploymentInput{DeploymentId: aws.String(id), DeploymentWaitType: cdtypes.DeploymentWaitTypeReadyWait}))
	_, err = f.cd.ContinueDeployment(f.ctx, &codedeploy.ContinueDeploymentInput{DeploymentId: aws.String(id)})
	if code, _ := awssimtest.ErrorCode(t, err); code != "DeploymentIsNotInReadyStateException" {
		t.Errorf("second ContinueDeployment: got %s, want DeploymentIsNotInReadyStateException", code)
	}

	d = f.until(id, 10*time.Second, func(d *cdtypes.DeploymentInfo) bool { return d.InstanceTerminationWaitTimeStarted })
	if d.Status != cdtypes.DeploymentStatusInProgress || d.DeploymentOverview.Succeeded != 4 {
		t.Errorf("in termination wait: status %s overview %+v, want InProgress with 4 targets Succeeded", d.Status, d.DeploymentOverview)
	}
	if got := eventStatuses(f.target(id, blue[1]).InstanceTarget.LifecycleEvents); got != "BeforeBlockTraffic=Succeeded BlockTraffic=Succeeded AfterBlockTraffic=Succeeded" {
		t.Errorf("blue target events = %s, want the BlockTraffic events Succeeded", got)
	}
	f.sb.Clock.Advance(10 * time.Minute) // well inside the 30 minute wait
	if got := f.get(id).Status; got != cdtypes.DeploymentStatusInProgress {
		t.Errorf("10 minutes into the termination wait: %s, want InProgress", got)
	}
	f.ok(f.cd.ContinueDeployment(f.ctx, &codedeploy.ContinueDeploymentInput{DeploymentId: aws.String(id), DeploymentWaitType: cdtypes.DeploymentWaitTypeTerminationWait}))
	d = f.until(id, time.Second, status(cdtypes.DeploymentStatusSucceeded))
	if d.CompleteTime == nil || d.ErrorInformation != nil {
		t.Errorf("succeeded deployment: completeTime %v errorInformation %+v", d.CompleteTime, d.ErrorInformation)
	}
	_, err = f.cd.ContinueDeployment(f.ctx, &codedeploy.ContinueDeploymentInput{DeploymentId: aws.String(id)})
	if code, _ := awssimtest.ErrorCode(t, err); code != "DeploymentAlreadyCompletedException" {
		t.Errorf("ContinueDeployment after success: got %s, want DeploymentAlreadyCompletedException", code)
	}

	// The green fleet is the next deployment's blue one.
	next := f.deploy("web", f.bundle("b.zip"))
	f.until(next, 10*time.Second, status(cdtypes.DeploymentStatusReady))
	if got := f.targets(next, map[string][]string{"ServerInstanceLabel": {"Blue"}}); !slices.Equal(got, green) {
		t.Errorf("next deployment's blue targets = %v, want the previous green ones %v", got, green)
	}
}

func TestDeploymentTimers(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name       string
		bg         *cdtypes.BlueGreenDeploymentConfiguration
		advance    time.Duration // once InProgress; Ready and the termination wait start about 2 minutes in
		wantStatus cdtypes.DeploymentStatus
		wantCode   cdtypes.ErrorCode
	}{
		{"ready wait times out", blueGreen(10, 0), 13 * time.Minute, cdtypes.DeploymentStatusStopped, cdtypes.ErrorCodeTimeout},
		{"ready wait still open", blueGreen(10, 0), 9 * time.Minute, cdtypes.DeploymentStatusReady, ""},
		{"termination wait ends", blueGreen(0, 5), 10 * time.Minute, cdtypes.DeploymentStatusSucceeded, ""},
		{"termination wait still open", blueGreen(0, 5), 4 * time.Minute, cdtypes.DeploymentStatusInProgress, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newCDFixture(t)
			f.serverGroup("web", tc.bg, false)
			id := f.deploy("web", f.bundle("a.zip"))
			f.until(id, time.Second, status(cdtypes.DeploymentStatusInProgress))
			f.sb.Clock.Advance(tc.advance)
			d := f.get(id)
			var code cdtypes.ErrorCode
			if d.ErrorInformation != nil {
				code = d.ErrorInformation.Code
			}
			if d.Status != tc.wantStatus || code != tc.wantCode {
				t.Errorf("after %v: %s %q, want %s %q", tc.advance, d.Status, code, tc.wantStatus, tc.wantCode)
			}
		})
	}
}

func TestHookFailureRollsBack(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		ecs      bool
		fault    awssim.LifecycleFault
		wantCode cdtypes.ErrorCode
		wantDiag cdtypes.Diagnostics
	}{
		{
			name:     "Server ValidateService",
			fault:    awssim.LifecycleFault{DeploymentGroup: "web", Event: "ValidateService", LogTail: "curl: (7) Failed to connect", Count: 1},
			wantCode: cdtypes.ErrorCodeHealthConstraints,
			wantDiag: cdtypes.Diagnostics{ErrorCode: cdtypes.LifecycleErrorCodeScriptFailed, ScriptName: aws.String("scripts/health.sh"),
				Message: aws.String("Script at specified location: scripts/health.sh run as user root failed with exit code 1"), LogTail: aws.String("curl: (7) Failed to connect")},
		},
		{
			name:     "ECS AfterAllowTestTraffic",
			ecs:      true,
			fault:    awssim.LifecycleFault{Application: "svc", DeploymentGroup: "svc", Event: "AfterAllowTestTraffic", ErrorCode: "ScriptTimedOut", Message: "hook timed out", Count: 1},
			wantCode: cdtypes.ErrorCodeHookExecutionFailure,
			wantDiag: cdtypes.Diagnostics{ErrorCode: cdtypes.LifecycleErrorCodeScriptTimedOut, ScriptName: aws.String("check-svc"), Message: aws.String("hook timed out")},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newCDFixture(t, awssim.Scenario{Lifecycle: []awssim.LifecycleFault{tc.fault}})
			name, target := "web", ""
			var rev *cdtypes.RevisionLocation
			if tc.ecs {
				name, target = "svc", "c-svc:svc"
				rev = f.ecsGroup(name, "CodeDeployDefault.ECSAllAtOnce", nil, true)
			} else {
				f.serverGroup(name, blueGreen(0, 0), true)
				rev = f.bundle("a.zip")
			}
			id := f.deploy(name, rev)
			d := f.until(id, 5*time.Second, status(cdtypes.DeploymentStatusFailed))
			if d.ErrorInformation == nil || d.ErrorInformation.Code != tc.wantCode {
				t.Errorf("errorInformation = %+v, want code %s", d.ErrorInformation, tc.wantCode)
			}
			if target == "" {
				target = f.targets(id, map[string][]string{"TargetStatus": {"Failed"}})[0]
			}
			dt := f.target(id, target)
			var events []cdtypes.LifecycleEvent
			if tc.ecs {
				events = dt.EcsTarget.LifecycleEvents
			} else {
				events = dt.InstanceTarget.LifecycleEvents
			}
			i := slices.IndexFunc(events, func(ev cdtypes.LifecycleEvent) bool { return ev.Status == cdtypes.LifecycleEventStatusFailed })
			if i < 0 || *events[i].LifecycleEventName != tc.fault.Event {
				t.Fatalf("events %s, want %s Failed", eventStatuses(events), tc.fault.Event)
			}
			if got := *events[i].Diagnostics; got.ErrorCode != tc.wantDiag.ErrorCode || aws.ToString(got.ScriptName) != aws.ToString(tc.wantDiag.ScriptName) ||
				aws.ToString(got.Message) != aws.ToString(tc.wantDiag.Message) || aws.ToString(got.LogTail) != aws.ToString(tc.wantDiag.LogTail) {
				t.Errorf("diagnostics = %s %q %q %q, want %s %q %q %q", got.ErrorCode, aws.ToString(got.ScriptName), aws.ToString(got.Message), aws.ToString(got.LogTail),
					tc.wantDiag.ErrorCode, aws.ToString(tc.wantDiag.ScriptName), aws.ToString(tc.wantDiag.Message), aws.ToString(tc.wantDiag.LogTail))
			}
			if events[len(events)-1].Status != cdtypes.LifecycleEventStatusSkipped {
				t.Errorf("last event %s, want Skipped", events[len(events)-1].Status)
			}

			rb := f.checkRollback(id, d)
			if tc.ecs {
				svc := f.service("c-svc", "svc")
				if len(svc.TaskSets) != 1 || !strings.HasSuffix(*svc.TaskDefinition, ":1") || *svc.TaskSets[0].Status != "PRIMARY" {
					t.Errorf("service after rollback: %s with %d task sets, want svc:1 with one PRIMARY", *svc.TaskDefinition, len(svc.TaskSets))
				}
				if w := f.target(rb, target).EcsTarget.TaskSetsInfo; w[0].TrafficWeight != 100 {
					t.Errorf("rollback task sets = %+v, want blue at 100", w)
				}
			}

			// The fault had a count of 1: the next deployment succeeds.
			next := f.deploy(name, rev)
			f.until(next, 10*time.Second, status(cdtypes.DeploymentStatusSucceeded))
		})
	}
}

// checkRollback checks that a rollback deployment of d exists, links back
// and succeeds, and returns its id.
func (f *cdFixture) checkRollback(id string, d *cdtypes.DeploymentInfo) string {
	f.t.Helper()
	if d.RollbackInfo == nil || d.RollbackInfo.RollbackDeploymentId == nil {
		f.t.Fatalf("rollbackInfo = %+v, want a rollback deployment id", d.RollbackInfo)
	}
	rb := *d.RollbackInfo.RollbackDeploymentId
	r := f.until(rb, 5*time.Second, status(cdtypes.DeploymentStatusSucceeded))
	if r.Creator != cdtypes.DeploymentCreatorCodeDeployRollback || r.RollbackInfo == nil || aws.ToString(r.RollbackInfo.RollbackTriggeringDeploymentId) != id {
		f.t.Errorf("rollback deployment: creator %s rollbackInfo %+v, want codeDeployRollback triggered by %s", r.Creator, r.RollbackInfo, id)
	}
	return rb
}

func TestStopWithRollback(t *testing.T) {
	t.Parallel()
	f := newCDFixture(t)
	f.serverGroup("web", blueGreen(60, 0), false)
	id := f.deploy("web", f.bundle("a.zip"))
	f.until(id, 10*time.Second, status(cdtypes.DeploymentStatusReady))
	out, err := f.cd.StopDeployment(f.ctx, &codedeploy.StopDeploymentInput{DeploymentId: aws.String(id), AutoRollbackEnabled: aws.Bool(true)})
	if err != nil || out.Status != cdtypes.StopStatusPending {
		t.Fatalf("StopDeployment: %v %+v, want status Pending", err, out)
	}
	if d := f.get(id); d.Status != cdtypes.DeploymentStatusReady || d.RollbackInfo != nil {
		t.Errorf("right after StopDeployment: %s rollbackInfo %+v, want still Ready, no rollback yet", d.Status, d.RollbackInfo)
	}
	f.ok(f.cd.StopDeployment(f.ctx, &codedeploy.StopDeploymentInput{DeploymentId: aws.String(id), AutoRollbackEnabled: aws.Bool(true)}))
	f.sb.Clock.Advance(5 * time.Second)
	d := f.get(id)
	if d.Status != cdtypes.DeploymentStatusStopped || d.ErrorInformation.Code != cdtypes.ErrorCodeManualStop {
		t.Errorf("stopped deployment: %s %+v, want Stopped MANUAL_STOP", d.Status, d.ErrorInformation)
	}
	rb := f.checkRollback(id, d)
	blue := f.targets(rb, map[string][]string{"ServerInstanceLabel": {"Blue"}})
	if got := eventStatuses(f.target(rb, blue[0]).InstanceTarget.LifecycleEvents); got != "BeforeAllowTraffic=Succeeded AllowTraffic=Succeeded AfterAllowTraffic=Succeeded" {
		t.Errorf("rollback's blue target events = %s, want traffic allowed back", got)
	}
	_, err = f.cd.StopDeployment(f.ctx, &codedeploy.StopDeploymentInput{DeploymentId: aws.String(id)})
	if code, _ := awssimtest.ErrorCode(t, err); code != "DeploymentAlreadyCompletedException" {
		t.Errorf("second StopDeployment: got %s, want DeploymentAlreadyCompletedException", code)
	}
}

func TestRollbackIsNotRolledBack(t *testing.T) {
	t.Parallel()
	f := newCDFixture(t)
	f.serverGroup("web", blueGreen(60, 0), true)
	id := f.deploy("web", f.bundle("a.zip"))
	f.until(id, 10*time.Second, status(cdtypes.DeploymentStatusReady))
	f.ok(f.cd.StopDeployment(f.ctx, &codedeploy.StopDeploymentInput{DeploymentId: aws.String(id), AutoRollbackEnabled: aws.Bool(true)}))
	f.sb.Clock.Advance(5 * time.Second)
	rb := aws.ToString(f.get(id).RollbackInfo.RollbackDeploymentId)
	f.ok(f.cd.StopDeployment(f.ctx, &codedeploy.StopDeploymentInput{DeploymentId: aws.String(rb), AutoRollbackEnabled: aws.Bool(true)}))
	f.sb.Clock.Advance(5 * time.Second)
	r := f.get(rb)
	if r.Status != cdtypes.DeploymentStatusStopped || r.RollbackInfo == nil || r.RollbackInfo.RollbackDeploymentId != nil {
		t.Errorf("stopped rollback: %s rollbackInfo %+v, want Stopped and no rollback of its own", r.Status, r.RollbackInfo)
	}
	out, err := f.cd.ListDeployments(f.ctx, &codedeploy.ListDeploymentsInput{ApplicationName: aws.String("web"), DeploymentGroupName: aws.String("web")})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Deployments) != 2 {
		t.Errorf("deployments = %v, want the stopped one and its rollback only", out.Deployments)
	}
}

func TestHangUntilStopped(t *testing.T) {
	t.Parallel()
	f := newCDFixture(t, awssim.Scenario{Hangs: []awssim.Hang{{DeploymentGroup: "web", Event: "Install"}}})
	f.serverGroup("web", blueGreen(0, 0), true)
	id := f.deploy("web", f.bundle("a.zip"))
	f.until(id, time.Second, status(cdtypes.DeploymentStatusInProgress))
	f.sb.Clock.Advance(6 * time.Hour)
	d := f.get(id)
	green := f.targets(id, map[string][]string{"ServerInstanceLabel": {"Green"}})
	events := f.target(id, green[0]).InstanceTarget.LifecycleEvents
	if d.Status != cdtypes.DeploymentStatusInProgress || events[3].Status != cdtypes.LifecycleEventStatusInProgress {
		t.Errorf("hung deployment after 6h: %s, events %s, want InProgress at Install", d.Status, eventStatuses(events))
	}
	f.ok(f.cd.StopDeployment(f.ctx, &codedeploy.StopDeploymentInput{DeploymentId: aws.String(id), AutoRollbackEnabled: aws.Bool(false)}))
	f.sb.Clock.Advance(5 * time.Second)
	if d := f.get(id); d.Status != cdtypes.DeploymentStatusStopped || d.RollbackInfo != nil {
		t.Errorf("after stop: %s rollbackInfo %+v, want Stopped without rollback", d.Status, d.RollbackInfo)
	}
}

func TestBadBundleFailsAtDownloadBundle(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, key, want string }{
		{"missing object", "missing.zip", "does not exist: s3://bundles/missing.zip"},
		{"no appspec.yml", "empty.zip", "did not find an AppSpec file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newCDFixture(t)
			f.serverGroup("web", blueGreen(0, 0), false)
			f.bundle("a.zip") // creates the bucket
			var empty bytes.Buffer
			if err := zip.NewWriter(&empty).Close(); err != nil {
				t.Fatal(err)
			}
			f.ok(f.s3.PutObject(f.ctx, &s3.PutObjectInput{Bucket: aws.String("bundles"), Key: aws.String("empty.zip"), Body: bytes.NewReader(empty.Bytes())}))
			id := f.deploy("web", s3Revision(tc.key))
			d := f.until(id, 5*time.Second, status(cdtypes.DeploymentStatusFailed))
			if d.RollbackInfo != nil {
				t.Errorf("rollbackInfo = %+v, want none without auto-rollback", d.RollbackInfo)
			}
			tg := f.target(id, f.targets(id, map[string][]string{"ServerInstanceLabel": {"Green"}})[0]).InstanceTarget
			ev := tg.LifecycleEvents[1]
			if *ev.LifecycleEventName != "DownloadBundle" || ev.Status != cdtypes.LifecycleEventStatusFailed || !strings.Contains(aws.ToString(ev.Diagnostics.Message), tc.want) {
				t.Errorf("event %s %s %q, want DownloadBundle Failed with %q", *ev.LifecycleEventName, ev.Status, aws.ToString(ev.Diagnostics.Message), tc.want)
			}
		})
	}
}

func TestBatchGetDeploymentTargets(t *testing.T) {
	t.Parallel()
	f := newCDFixture(t)
	f.serverGroup("web", blueGreen(0, 0), false)
	id := f.deploy("web", f.bundle("a.zip"))
	f.until(id, time.Second, status(cdtypes.DeploymentStatusInProgress))
	ids := f.targets(id, nil)
	out, err := f.cd.BatchGetDeploymentTargets(f.ctx, &codedeploy.BatchGetDeploymentTargetsInput{DeploymentId: aws.String(id), TargetIds: ids})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.DeploymentTargets) != 4 || out.DeploymentTargets[0].DeploymentTargetType != cdtypes.DeploymentTargetTypeInstanceTarget {
		t.Errorf("BatchGetDeploymentTargets = %d targets, want 4 instance targets", len(out.DeploymentTargets))
	}
	for _, tc := range []struct {
		ids  []string
		want string
	}{
		{[]string{"i-00000000000000000"}, "DeploymentTargetDoesNotExistException"},
		{slices.Repeat(ids[:1], 26), "DeploymentTargetListSizeExceededException"},
	} {
		_, err := f.cd.BatchGetDeploymentTargets(f.ctx, &codedeploy.BatchGetDeploymentTargetsInput{DeploymentId: aws.String(id), TargetIds: tc.ids})
		if code, _ := awssimtest.ErrorCode(t, err); code != tc.want {
			t.Errorf("BatchGetDeploymentTargets(%d ids): got %s, want %s", len(tc.ids), code, tc.want)
		}
	}
}

func TestInPlaceOneAtATime(t *testing.T) {
	t.Parallel()
	f := newCDFixture(t)
	f.ok(f.cd.CreateApplication(f.ctx, &codedeploy.CreateApplicationInput{ApplicationName: aws.String("web")}))
	f.ok(f.cd.CreateDeploymentGroup(f.ctx, &codedeploy.CreateDeploymentGroupInput{
		ApplicationName: aws.String("web"), DeploymentGroupName: aws.String("web"),
		ServiceRoleArn: aws.String("arn:aws:iam::123456789012:role/codedeploy"), AutoScalingGroups: []string{"asg"},
		DeploymentStyle:  &cdtypes.DeploymentStyle{DeploymentType: cdtypes.DeploymentTypeInPlace, DeploymentOption: cdtypes.DeploymentOptionWithTrafficControl},
		LoadBalancerInfo: &cdtypes.LoadBalancerInfo{TargetGroupInfoList: []cdtypes.TargetGroupInfo{{Name: aws.String("tg-web")}}},
	}))
	id := f.deploy("web", f.bundle("a.zip"))
	d := f.until(id, 5*time.Second, func(d *cdtypes.DeploymentInfo) bool { return d.DeploymentOverview.Succeeded == 1 })
	if d.Status != cdtypes.DeploymentStatusInProgress || d.DeploymentOverview.Pending+d.DeploymentOverview.InProgress != 1 || *d.DeploymentConfigName != "CodeDeployDefault.OneAtATime" {
		t.Errorf("halfway: %s %+v with %s, want InProgress, one instance done and one to go, OneAtATime", d.Status, d.DeploymentOverview, *d.DeploymentConfigName)
	}
	f.until(id, 5*time.Second, status(cdtypes.DeploymentStatusSucceeded))
	for _, target := range f.targets(id, nil) {
		tg := f.target(id, target).InstanceTarget
		if tg.InstanceLabel != "" || len(tg.LifecycleEvents) != 13 || tg.Status != cdtypes.TargetStatusSucceeded {
			t.Errorf("in-place target %s: label %q, %d events, %s; want no label, 13 events, Succeeded", target, tg.InstanceLabel, len(tg.LifecycleEvents), tg.Status)
		}
	}
}
