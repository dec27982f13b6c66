package codedeploy_test

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
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

// execFixture is a sandbox whose Server hooks run on this host, and a
// folder (out) the test's hook scripts write to.
type execFixture struct {
	*cdFixture
	root, out string
}

func newExecFixture(t *testing.T) *execFixture {
	t.Helper()
	sb := awssimtest.Start(t, awssim.Options{})
	root := t.TempDir()
	if err := sb.Apply(awssim.Scenario{Agent: awssim.AgentExec, AgentRoot: root}); err != nil {
		t.Fatal(err)
	}
	cfg := sb.Config()
	f := &cdFixture{
		t: t, ctx: context.Background(), sb: sb,
		cd: codedeploy.NewFromConfig(cfg),
		s3: s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true }),
	}
	if _, err := f.s3.CreateBucket(f.ctx, &s3.CreateBucketInput{Bucket: aws.String("bundles")}); err != nil {
		t.Fatal(err)
	}
	return &execFixture{cdFixture: f, root: root, out: t.TempDir()}
}

// group creates application and group name: in-place without traffic
// control, or blue/green copying the Auto Scaling group.
func (f *execFixture) group(name string, blueGreenStyle, rollback bool) {
	f.t.Helper()
	if blueGreenStyle {
		f.serverGroup(name, blueGreen(0, 0), rollback)
		return
	}
	f.ok(f.cd.CreateApplication(f.ctx, &codedeploy.CreateApplicationInput{ApplicationName: aws.String(name)}))
	f.ok(f.cd.CreateDeploymentGroup(f.ctx, &codedeploy.CreateDeploymentGroupInput{
		ApplicationName: aws.String(name), DeploymentGroupName: aws.String(name),
		ServiceRoleArn: aws.String("arn:aws:iam::123456789012:role/codedeploy"), AutoScalingGroups: []string{"asg-" + name},
		AutoRollbackConfiguration: autoRollback(rollback),
	}))
}

// hookScript logs "<version> <event>" to out/events and runs body.
func (f *execFixture) hookScript(version, body string) string {
	return fmt.Sprintf("#!/bin/sh\necho \"%s $LIFECYCLE_EVENT\" >>%s/events\n%s\n", version, f.out, body)
}

// revision uploads a zip bundle of files (path -> content; scripts/* are
// executable) with the appspec and returns its revision.
func (f *execFixture) revision(key, appspec string, files map[string]string) *cdtypes.RevisionLocation {
	f.t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	files["appspec.yml"] = appspec
	for name, body := range files {
		h := &zip.FileHeader{Name: name, Method: zip.Deflate}
		h.SetMode(0o644)
		if strings.HasPrefix(name, "scripts/") {
			h.SetMode(0o755)
		}
		w, err := zw.CreateHeader(h)
		if err != nil {
			f.t.Fatal(err)
		}
		f.ok(w.Write([]byte(body)))
	}
	if err := zw.Close(); err != nil {
		f.t.Fatal(err)
	}
	f.ok(f.s3.PutObject(f.ctx, &s3.PutObjectInput{Bucket: aws.String("bundles"), Key: aws.String(key), Body: bytes.NewReader(buf.Bytes())}))
	return s3Revision(key)
}

// hooksAppSpec runs scripts/<event>.sh for every event in events, with a
// 120 s timeout (hooks that call the AWS CLI take long on a loaded machine),
// and copies app/ to dest.
func hooksAppSpec(dest string, events ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "version: 0.0\nos: linux\nfiles:\n  - source: app\n    destination: %s\npermissions:\n  - object: %s\n    mode: 640\n    type: [file]\nhooks:\n", dest, dest)
	for _, e := range events {
		fmt.Fprintf(&b, "  %s:\n    - location: scripts/%s.sh\n      timeout: 120\n", e, e)
	}
	return b.String()
}

// version returns a bundle of an app whose every hook logs itself; bodies
// replace some hooks' bodies.
func (f *execFixture) version(key, v string, bodies map[string]string) *cdtypes.RevisionLocation {
	events := []string{"ApplicationStop", "BeforeInstall", "AfterInstall", "ApplicationStart", "ValidateService", "BeforeAllowTraffic", "AfterAllowTraffic", "BeforeBlockTraffic", "AfterBlockTraffic"}
	files := map[string]string{"app/version": v + "\n"}
	for _, e := range events {
		files["scripts/"+e+".sh"] = f.hookScript(v, bodies[e])
	}
	return f.revision(key, hooksAppSpec(filepath.Join(f.out, "app"), events...), files)
}

// wait polls the deployment in real time until it ends.
func (f *execFixture) wait(id string) *cdtypes.DeploymentInfo {
	f.t.Helper()
	deadline := time.Now().Add(3 * time.Minute)
	for time.Now().Before(deadline) {
		switch d := f.get(id); d.Status {
		case cdtypes.DeploymentStatusSucceeded, cdtypes.DeploymentStatusFailed, cdtypes.DeploymentStatusStopped:
			return d
		}
		time.Sleep(20 * time.Millisecond)
	}
	f.t.Fatalf("deployment %s did not end within 3 minutes: %s", id, f.get(id).Status)
	return nil
}

// events returns the hook runs logged so far, and forgets them.
func (f *execFixture) events() string {
	f.t.Helper()
	data, err := os.ReadFile(filepath.Join(f.out, "events"))
	if err != nil && !os.IsNotExist(err) {
		f.t.Fatal(err)
	}
	os.Remove(filepath.Join(f.out, "events"))
	return strings.Join(strings.Split(strings.TrimSpace(string(data)), "\n"), ", ")
}

// only returns the target's one instance's lifecycle events.
func (f *execFixture) only(id string, label cdtypes.TargetLabel) cdtypes.InstanceTarget {
	f.t.Helper()
	for _, tid := range f.targets(id, nil) {
		if tg := f.target(id, tid).InstanceTarget; tg.InstanceLabel == label {
			return *tg
		}
	}
	f.t.Fatalf("deployment %s has no %q instance", id, label)
	return cdtypes.InstanceTarget{}
}

func TestExecBlueGreenRunsHooksOnThisHost(t *testing.T) {
	t.Parallel()
	f := newExecFixture(t)
	f.group("web", true, false)
	env := fmt.Sprintf("env | sort >%s/env", f.out)
	id := f.deploy("web", f.version("v1.zip", "v1", map[string]string{"BeforeInstall": env}))
	if d := f.wait(id); d.Status != cdtypes.DeploymentStatusSucceeded {
		t.Fatalf("v1: %s %+v, want Succeeded", d.Status, d.ErrorInformation)
	}
	if got, want := f.events(), "v1 BeforeInstall, v1 AfterInstall, v1 ApplicationStart, v1 ValidateService, v1 BeforeAllowTraffic, v1 AfterAllowTraffic"; got != want {
		t.Errorf("v1 hooks ran: %s\nwant (no ApplicationStop or BlockTraffic hooks: nothing was installed before) %s", got, want)
	}
	if n := len(f.targets(id, nil)); n != 2 {
		t.Errorf("v1 has %d targets, want 2 (one green, one blue: this host)", n)
	}
	g, err := f.cd.GetDeploymentGroup(f.ctx, &codedeploy.GetDeploymentGroupInput{ApplicationName: aws.String("web"), DeploymentGroupName: aws.String("web")})
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(f.out, "env"))
	if err != nil {
		t.Fatal(err)
	}
	// The agent's variables (HookExecutor's child_envs, CommandExecutor's
	// get_s3_envs; no BUNDLE_VERSION or BUNDLE_ETAG when the revision names
	// none) and no AWS settings: a script finds the instance role through
	// the instance metadata service, as on EC2.
	for _, want := range []string{
		"LIFECYCLE_EVENT=BeforeInstall", "DEPLOYMENT_ID=" + id, "APPLICATION_NAME=web", "DEPLOYMENT_GROUP_NAME=web",
		"DEPLOYMENT_GROUP_ID=" + *g.DeploymentGroupInfo.DeploymentGroupId, "BUNDLE_BUCKET=bundles", "BUNDLE_KEY=v1.zip",
	} {
		if !strings.Contains(string(data), "\n"+want) && !strings.HasPrefix(string(data), want) {
			t.Errorf("hook environment lacks %s:\n%s", want, data)
		}
	}
	for _, unwanted := range []string{"AWS_", "BUNDLE_VERSION=", "BUNDLE_ETAG="} {
		if strings.Contains(string(data), "\n"+unwanted) || strings.HasPrefix(string(data), unwanted) {
			t.Errorf("hook environment has %s, which the agent does not set:\n%s", unwanted, data)
		}
	}
	app := filepath.Join(f.out, "app", "version")
	if info, err := os.Stat(app); err != nil || info.Mode().Perm() != 0o640 {
		t.Errorf("installed file %s: %v, err %v; want mode 0640 from permissions", app, info, err)
	}
	archive := filepath.Join(f.root, *g.DeploymentGroupInfo.DeploymentGroupId, id, "deployment-archive", "appspec.yml")
	if _, err := os.Stat(archive); err != nil {
		t.Errorf("deployment archive: %v", err)
	}

	id2 := f.deploy("web", f.version("v2.zip", "v2", nil))
	if d := f.wait(id2); d.Status != cdtypes.DeploymentStatusSucceeded {
		t.Fatalf("v2: %s %+v, want Succeeded", d.Status, d.ErrorInformation)
	}
	// The replacement instance is a new copy of the Auto Scaling group:
	// no last install, so no ApplicationStop (HookExecutor's
	// LastSuccessfulOrIgnore; the AppSpec hook availability table).
	if got, want := f.events(), "v2 BeforeInstall, v2 AfterInstall, v2 ApplicationStart, v2 ValidateService, v2 BeforeAllowTraffic, v2 AfterAllowTraffic, v1 BeforeBlockTraffic, v1 AfterBlockTraffic"; got != want {
		t.Errorf("v2 hooks ran: %s\nwant (no ApplicationStop on the replacement; the blue instance's hooks from v1) %s", got, want)
	}
	// Each deployment's script output goes to its own logs/scripts.log,
	// v1's BlockTraffic scripts' too (create_script_log_file_if_needed).
	gid := *g.DeploymentGroupInfo.DeploymentGroupId
	log1, _ := os.ReadFile(filepath.Join(f.root, gid, id, "logs", "scripts.log"))
	log2, _ := os.ReadFile(filepath.Join(f.root, gid, id2, "logs", "scripts.log"))
	if !strings.Contains(string(log2), "LifecycleEvent - AfterBlockTraffic") || !strings.Contains(string(log2), "LifecycleEvent - BeforeInstall") {
		t.Errorf("v2's logs/scripts.log lacks its BeforeInstall or AfterBlockTraffic:\n%s", log2)
	}
	if strings.Contains(string(log1), "BlockTraffic") || !strings.Contains(string(log1), "LifecycleEvent - BeforeInstall") {
		t.Errorf("v1's logs/scripts.log has v2's BlockTraffic scripts or lacks its own:\n%s", log1)
	}
	if data, _ := os.ReadFile(app); string(data) != "v2\n" {
		t.Errorf("installed version = %q, want v2 (v1's files removed first, as the agent does)", data)
	}
}

func TestExecHookFailures(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("x", 99)
	for _, tc := range []struct {
		name, body, code, message string
		tail                      []string
		took                      time.Duration
		short                     bool // a 1 s timeout
	}{
		{
			name: "exit 1", body: "echo checking; echo 'health check failed' >&2; exit 1", code: "ScriptFailed",
			message: "Script at specified location: scripts/ValidateService.sh failed with exit code 1",
			tail:    []string{"LifecycleEvent - ValidateService\n", "Script - scripts/ValidateService.sh\n", "[stdout]checking\n", "[stderr]health check failed\n"},
		},
		{
			name: "timeout", body: "echo waiting; sleep 30", code: "ScriptTimedOut",
			message: "Script at specified location: scripts/ValidateService.sh failed to complete in 1 seconds",
			tail:    []string{"[stdout]waiting\n"}, took: 10 * time.Second, short: true,
		},
		{
			// HookExecutor's execute_script: the script exits, but a process
			// it left holds its stdout past the timeout (OUTPUTS_LEFT_OPEN,
			// which LifecycleErrorCode has no name for).
			name: "output left open", body: "echo started; sleep 5 &", code: "UnknownError",
			message: "Script at specified location: scripts/ValidateService.sh failed to close STDOUT",
			tail:    []string{"[stdout]started\n"}, took: 4 * time.Second, short: true,
		},
		{
			name: "long output", body: fmt.Sprintf("for i in $(seq 1 100); do echo \"$i %s\"; done; exit 3", long), code: "ScriptFailed",
			message: "Script at specified location: scripts/ValidateService.sh failed with exit code 3",
			tail:    []string{"[stdout]100 " + long + "\n"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newExecFixture(t)
			f.group("web", false, false)
			files := map[string]string{"app/version": "v1\n", "scripts/ValidateService.sh": f.hookScript("v1", tc.body)}
			spec := strings.Replace(hooksAppSpec(filepath.Join(f.out, "app"), "ValidateService"), "timeout: 120", "timeout: 1", 1)
			if !tc.short {
				spec = hooksAppSpec(filepath.Join(f.out, "app"), "ValidateService")
			}
			start := time.Now()
			id := f.deploy("web", f.revision("v1.zip", spec, files))
			d := f.wait(id)
			if took := time.Since(start); tc.took > 0 && took > tc.took {
				t.Errorf("the deployment took %s, want under %s", took, tc.took)
			}
			if d.Status != cdtypes.DeploymentStatusFailed {
				t.Fatalf("status %s, want Failed", d.Status)
			}
			ev := f.only(id, "").LifecycleEvents[6]
			if *ev.LifecycleEventName != "ValidateService" || ev.Status != cdtypes.LifecycleEventStatusFailed || ev.Diagnostics == nil {
				t.Fatalf("event %s %s %+v, want ValidateService Failed with diagnostics", *ev.LifecycleEventName, ev.Status, ev.Diagnostics)
			}
			dg := ev.Diagnostics
			if string(dg.ErrorCode) != tc.code || *dg.ScriptName != "scripts/ValidateService.sh" || *dg.Message != tc.message {
				t.Errorf("diagnostics %s %s %q, want %s scripts/ValidateService.sh %q", dg.ErrorCode, *dg.ScriptName, *dg.Message, tc.code, tc.message)
			}
			if len(*dg.LogTail) > 2048 {
				t.Errorf("logTail has %d characters, want at most 2048", len(*dg.LogTail))
			}
			for _, want := range tc.tail {
				if !strings.Contains(*dg.LogTail, want) {
					t.Errorf("logTail lacks %q:\n%s", want, *dg.LogTail)
				}
			}
		})
	}
}

func TestExecInPlaceRollsBackToLastGoodRevision(t *testing.T) {
	t.Parallel()
	f := newExecFixture(t)
	f.group("web", false, true)
	for _, v := range []string{"v1", "v2"} {
		id := f.deploy("web", f.version(v+".zip", v, nil))
		if d := f.wait(id); d.Status != cdtypes.DeploymentStatusSucceeded {
			t.Fatalf("%s: %s %+v, want Succeeded", v, d.Status, d.ErrorInformation)
		}
		if n := len(f.targets(id, nil)); n != 1 {
			t.Errorf("%s has %d targets, want 1: an in-place group's one instance", v, n)
		}
	}
	if got, want := f.events(), "v1 BeforeInstall, v1 AfterInstall, v1 ApplicationStart, v1 ValidateService, v1 ApplicationStop, v2 BeforeInstall, v2 AfterInstall, v2 ApplicationStart, v2 ValidateService"; got != want {
		t.Errorf("v1 then v2 ran: %s\nwant %s", got, want)
	}

	id := f.deploy("web", f.version("v3.zip", "v3", map[string]string{"ValidateService": "exit 1"}))
	d := f.wait(id)
	if d.Status != cdtypes.DeploymentStatusFailed || d.RollbackInfo == nil || d.RollbackInfo.RollbackDeploymentId == nil {
		t.Fatalf("v3: %s rollback %+v, want Failed and rolled back", d.Status, d.RollbackInfo)
	}
	rb := f.wait(*d.RollbackInfo.RollbackDeploymentId)
	if rb.Status != cdtypes.DeploymentStatusSucceeded || *rb.Revision.S3Location.Key != "v2.zip" {
		t.Errorf("rollback: %s of %s, want Succeeded redeploying v2.zip", rb.Status, *rb.Revision.S3Location.Key)
	}
	// The agent records an install as successful when Install ends, so the
	// rollback stops v3 with v3's own ApplicationStop.
	if got, want := f.events(), "v2 ApplicationStop, v3 BeforeInstall, v3 AfterInstall, v3 ApplicationStart, v3 ValidateService, v3 ApplicationStop, v2 BeforeInstall, v2 AfterInstall, v2 ApplicationStart, v2 ValidateService"; got != want {
		t.Errorf("v3 and its rollback ran: %s\nwant %s", got, want)
	}
	if data, _ := os.ReadFile(filepath.Join(f.out, "app", "version")); string(data) != "v2\n" {
		t.Errorf("installed version after the rollback = %q, want v2", data)
	}
}

// TestExecHookUsesInstanceRole: a hook's AWS CLI reaches the sandbox with
// the instance role's credentials from the instance metadata service
// (botocore's InstanceMetadataProvider), and has no region: a call that
// needs one fails, as on EC2 where the agent sets none.
func TestExecHookUsesInstanceRole(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("aws"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("the AWS CLI is not installed")
		}
		t.Skip("the AWS CLI is not installed")
	}
	f := newExecFixture(t)
	f.group("web", false, false)
	body := fmt.Sprintf("aws configure list >%[1]s/configure.txt; aws s3 cp s3://bundles/v1.zip %[1]s/copy.zip && ! aws deploy list-applications 2>%[1]s/region.err", f.out)
	id := f.deploy("web", f.version("v1.zip", "v1", map[string]string{"AfterInstall": body}))
	if d := f.wait(id); d.Status != cdtypes.DeploymentStatusSucceeded {
		ev := f.only(id, "").LifecycleEvents
		t.Fatalf("%s, want Succeeded; events %s, AfterInstall %+v", d.Status, eventStatuses(ev), ev[4].Diagnostics)
	}
	if _, err := os.Stat(filepath.Join(f.out, "copy.zip")); err != nil {
		t.Errorf("the hook's aws s3 cp: %v", err)
	}
	if data, _ := os.ReadFile(filepath.Join(f.out, "region.err")); !strings.Contains(string(data), "You must specify a region") {
		t.Errorf("the hook's aws deploy list-applications without a region: %q, want the CLI's \"You must specify a region\"", data)
	}
	if data, _ := os.ReadFile(filepath.Join(f.out, "configure.txt")); !strings.Contains(string(data), "iam-role") {
		t.Errorf("aws configure list in the hook:\n%s\nwant the credentials' type iam-role (the instance metadata service)", data)
	}
}

func TestExecStopEndsTheRunningScript(t *testing.T) {
	t.Parallel()
	f := newExecFixture(t)
	f.group("web", false, false)
	late := filepath.Join(f.out, "late")
	id := f.deploy("web", f.version("v1.zip", "v1", map[string]string{"BeforeInstall": "sleep 20; touch " + late}))
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(f.events(), "v1 BeforeInstall") {
		if time.Now().After(deadline) {
			t.Fatal("BeforeInstall did not start")
		}
		f.get(id) // the engine advances on calls
		time.Sleep(20 * time.Millisecond)
	}
	start := time.Now()
	f.ok(f.cd.StopDeployment(f.ctx, &codedeploy.StopDeploymentInput{DeploymentId: aws.String(id)}))
	if d := f.wait(id); d.Status != cdtypes.DeploymentStatusStopped {
		t.Errorf("status %s, want Stopped", d.Status)
	}
	time.Sleep(time.Second)
	if _, err := os.Stat(late); err == nil {
		t.Error("the script went on after StopDeployment")
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("stopping took %s, want under 5s", took)
	}
}

func TestExecScenarioFile(t *testing.T) {
	t.Parallel()
	sc, err := awssim.LoadScenario(filepath.Join("..", "..", "..", "testdata", "sandbox", "exec.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	sb := awssimtest.Start(t, awssim.Options{})
	if err := sb.Apply(sc); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(sb.AgentRoot()) })
	if root := sb.AgentRoot(); root == "" {
		t.Error("exec.yaml: the agent is not exec")
	}
	if err := sb.SetAgent("ssh", ""); err == nil || !strings.Contains(err.Error(), `agent "ssh"`) {
		t.Errorf("SetAgent(ssh) = %v, want an error naming it", err)
	}
}

func TestExecGitHubRevisionFailsAtDownloadBundle(t *testing.T) {
	t.Parallel()
	f := newExecFixture(t)
	f.group("web", false, false)
	out, err := f.cd.CreateDeployment(f.ctx, &codedeploy.CreateDeploymentInput{
		ApplicationName: aws.String("web"), DeploymentGroupName: aws.String("web"),
		Revision: &cdtypes.RevisionLocation{RevisionType: cdtypes.RevisionLocationTypeGitHub, GitHubLocation: &cdtypes.GitHubLocation{Repository: aws.String("o/r"), CommitId: aws.String("abc")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	d := f.wait(*out.DeploymentId)
	ev := f.only(*out.DeploymentId, "").LifecycleEvents[1]
	if d.Status != cdtypes.DeploymentStatusFailed || *ev.LifecycleEventName != "DownloadBundle" || ev.Diagnostics == nil || ev.Diagnostics.ErrorCode != cdtypes.LifecycleErrorCodeUnknownError {
		t.Errorf("%s, %s %s %+v; want Failed at DownloadBundle with UnknownError", d.Status, *ev.LifecycleEventName, ev.Status, ev.Diagnostics)
	}
}

func TestExecInstallRefusesAnExistingFile(t *testing.T) {
	t.Parallel()
	f := newExecFixture(t)
	f.group("web", false, false)
	existing := filepath.Join(f.out, "app", "version")
	if err := os.MkdirAll(filepath.Dir(existing), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(existing, []byte("mine\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	id := f.deploy("web", f.version("v1.zip", "v1", nil))
	d := f.wait(id)
	ev := f.only(id, "").LifecycleEvents[3]
	want := "The deployment failed because a specified file already exists at this location: " + existing
	if d.Status != cdtypes.DeploymentStatusFailed || *ev.LifecycleEventName != "Install" || ev.Diagnostics == nil || *ev.Diagnostics.Message != want {
		t.Errorf("%s, %s %s %+v; want Failed at Install: %s", d.Status, *ev.LifecycleEventName, ev.Status, ev.Diagnostics, want)
	}
	if data, _ := os.ReadFile(existing); string(data) != "mine\n" {
		t.Errorf("the existing file now holds %q, want it untouched (fileExistsBehavior DISALLOW)", data)
	}
}

// TestExecInstallAsTheAgent: the agent's Installer plans every copy before
// it copies anything, the AppSpec's file_exists_behavior wins over the
// deployment's, and permissions apply only to what the install copied or
// made, a missing object being skipped (installer.rb,
// generate_instructions; install_instruction.rb, find_matches).
func TestExecInstallAsTheAgent(t *testing.T) {
	t.Parallel()
	f := newExecFixture(t)
	f.group("web", false, false)
	app := filepath.Join(f.out, "app")
	if err := os.MkdirAll(app, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"version", "mine"} {
		if err := os.WriteFile(filepath.Join(app, name), []byte("mine\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	files := func() map[string]string { return map[string]string{"app/a-new": "new\n", "app/version": "v1\n"} }
	spec := fmt.Sprintf("version: 0.0\nos: linux\nfiles:\n  - source: app\n    destination: %s\n", app)

	id := f.deploy("web", f.revision("v1.zip", spec, files()))
	if d := f.wait(id); d.Status != cdtypes.DeploymentStatusFailed {
		t.Fatalf("DISALLOW (the default) over an existing file: %s, want Failed", d.Status)
	}
	if _, err := os.Stat(filepath.Join(app, "a-new")); err == nil {
		t.Error("app/a-new was copied before the conflict on app/version was found; the agent plans first")
	}

	spec += fmt.Sprintf("file_exists_behavior: OVERWRITE\npermissions:\n  - object: %s\n    mode: 640\n    type: [file]\n  - object: %s\n    mode: 600\n", app, filepath.Join(f.out, "missing"))
	id = f.deploy("web", f.revision("v2.zip", spec, files()))
	if d := f.wait(id); d.Status != cdtypes.DeploymentStatusSucceeded {
		ev := f.only(id, "").LifecycleEvents
		t.Fatalf("file_exists_behavior OVERWRITE in the AppSpec: %s, want Succeeded; events %s, Install %+v", d.Status, eventStatuses(ev), ev[3].Diagnostics)
	}
	if data, _ := os.ReadFile(filepath.Join(app, "version")); string(data) != "v1\n" {
		t.Errorf("app/version = %q, want v1 (overwritten)", data)
	}
	for name, want := range map[string]os.FileMode{"version": 0o640, "a-new": 0o640, "mine": 0o644} {
		if info, err := os.Stat(filepath.Join(app, name)); err != nil || info.Mode().Perm() != want {
			t.Errorf("app/%s: %v (err %v), want mode %o", name, info, err, want)
		}
	}
}

// TestExecBlueGreenRollbackHooks: a blue/green rollback runs the original
// instances' AllowTraffic hooks from their revision and the replacement
// instances' BlockTraffic hooks from the rolled-back one (HookExecutor's
// rollback mapping; the AppSpec hook availability table).
func TestExecBlueGreenRollbackHooks(t *testing.T) {
	t.Parallel()
	f := newExecFixture(t)
	f.group("web", true, true)
	id := f.deploy("web", f.version("v1.zip", "v1", nil))
	if d := f.wait(id); d.Status != cdtypes.DeploymentStatusSucceeded {
		t.Fatalf("v1: %s %+v, want Succeeded", d.Status, d.ErrorInformation)
	}
	f.events()
	id = f.deploy("web", f.version("v2.zip", "v2", map[string]string{"ValidateService": "exit 1"}))
	d := f.wait(id)
	if d.Status != cdtypes.DeploymentStatusFailed || d.RollbackInfo == nil || d.RollbackInfo.RollbackDeploymentId == nil {
		t.Fatalf("v2: %s rollback %+v, want Failed and rolled back", d.Status, d.RollbackInfo)
	}
	if rb := f.wait(*d.RollbackInfo.RollbackDeploymentId); rb.Status != cdtypes.DeploymentStatusSucceeded {
		t.Fatalf("rollback: %s, want Succeeded", rb.Status)
	}
	if got, want := f.events(), "v2 BeforeInstall, v2 AfterInstall, v2 ApplicationStart, v2 ValidateService, v1 BeforeAllowTraffic, v1 AfterAllowTraffic, v2 BeforeBlockTraffic, v2 AfterBlockTraffic"; got != want {
		t.Errorf("v2 and its rollback ran: %s\nwant %s", got, want)
	}
}
