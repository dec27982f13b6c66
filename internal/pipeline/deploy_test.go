package pipeline

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/exitcode"
)

func TestDeployFullPipelineSucceeds(t *testing.T) {
	t.Parallel()
	requireDocker(t)
	sb := deploySandbox(t)
	sb.Clock.SetScale(120) // slow enough to see the termination wait with 1 s polls
	inputs := deployInputs("", "bg")
	delete(inputs, "image")
	inputs["ecr-repository"] = "web"
	inputs["create-repository"] = "true"
	inputs["context"] = "testdata/app"
	inputs["secrets"] = "API_TOKEN,web/token"
	inputs["description"] = "release"

	code, out, log := runAction(t, sb, inputs)
	if code != exitcode.OK {
		t.Fatalf("exit %d, want 0; log:\n%s", code, log)
	}
	for k, want := range map[string]string{"deployment-status": "Succeeded", "secrets": "API_TOKEN"} {
		if out[k] != want {
			t.Errorf("output %s = %q, want %q", k, out[k], want)
		}
	}
	for _, k := range []string{"deployment-id", "deployment-url", "revision-location", "duration-seconds", "image-uri"} {
		if out[k] == "" {
			t.Errorf("output %s is empty", k)
		}
	}
	if out["rollback-deployment-id"] != "" {
		t.Errorf("rollback-deployment-id = %q, want none", out["rollback-deployment-id"])
	}
	for _, want := range []string{"ValidateService Succeeded", "Green i-", "Blue i-", "termination wait"} {
		if !strings.Contains(log, want) {
			t.Errorf("log lacks %q:\n%s", want, log)
		}
	}
	bs := bundles(t, sb)
	if len(bs) != 1 {
		t.Fatalf("got %d bundles in S3, want 1", len(bs))
	}
	env := bs[0]["deploy.env"]
	if bs[0]["appspec.yml"] == "" || !strings.Contains(env, "IMAGE_URI='"+out["image-uri"]+"'") ||
		!strings.Contains(env, "SECRET_ARN_API_TOKEN='arn:aws:secretsmanager:") {
		t.Errorf("bundle lacks appspec.yml, the image by digest or the secret reference; deploy.env:\n%s", env)
	}
	for name, body := range bs[0] {
		if strings.Contains(body, "tok-VALUE-never-in-s3") {
			t.Errorf("bundle file %s holds the secret's value", name)
		}
	}
	info := deploymentInfo(t, sb, out["deployment-id"])
	if d := aws.ToString(info.DeploymentInfo.Description); !strings.HasPrefix(d, "release (commit 0123456789ab") {
		t.Errorf("description = %q, want the input with the commit", d)
	}
}

func TestDeployPauseAtReadyThenContinue(t *testing.T) {
	t.Parallel()
	sb := deploySandbox(t)
	inputs := deployInputs(sb.PushImage(t, "web"), "ready")
	inputs["on-ready"] = "pause"
	code, out, log := runAction(t, sb, inputs)
	if code != exitcode.OK || out["deployment-status"] != "Ready" {
		t.Fatalf("pause: exit %d, status %q; want 0, Ready; log:\n%s", code, out["deployment-status"], log)
	}
	code, out, log = runAction(t, sb, map[string]string{"command": "continue", "deployment-id": out["deployment-id"]})
	if code != exitcode.OK || out["deployment-status"] != "Succeeded" {
		t.Fatalf("continue: exit %d, status %q; want 0, Succeeded; log:\n%s", code, out["deployment-status"], log)
	}
	code, out, log = runAction(t, sb, map[string]string{"command": "status", "deployment-id": out["deployment-id"]})
	if code != exitcode.OK || out["deployment-status"] != "Succeeded" {
		t.Fatalf("status: exit %d, status %q; want 0, Succeeded; log:\n%s", code, out["deployment-status"], log)
	}
}

func TestDeployStopCommand(t *testing.T) {
	t.Parallel()
	sb := deploySandbox(t)
	inputs := deployInputs(sb.PushImage(t, "web"), "ready")
	inputs["on-ready"] = "pause"
	code, out, log := runAction(t, sb, inputs)
	if code != exitcode.OK {
		t.Fatalf("pause: exit %d; log:\n%s", code, log)
	}
	code, out, log = runAction(t, sb, map[string]string{"command": "stop", "deployment-id": out["deployment-id"]})
	if code != exitcode.OK || out["deployment-status"] != "Stopped" || out["rollback-deployment-id"] == "" {
		t.Fatalf("stop: exit %d, status %q, rollback %q; want 0, Stopped, a rollback; log:\n%s", code, out["deployment-status"], out["rollback-deployment-id"], log)
	}
}

func TestDeployHookFailure(t *testing.T) {
	t.Parallel()
	sb := deploySandbox(t, awssim.Scenario{Lifecycle: []awssim.LifecycleFault{{
		DeploymentGroup: "bg", Event: "ValidateService", Script: "scripts/health.sh",
		Message: "Script at specified location: scripts/health.sh run as user root failed with exit code 22",
		LogTail: "[stderr]curl: (22) The requested URL returned error: 503",
	}}})
	inputs := deployInputs(sb.PushImage(t, "web"), "bg")
	inputs["bundle"] = "testdata/bundles/web"
	code, out, log := runAction(t, sb, inputs)
	if code != exitcode.Failed {
		t.Fatalf("exit %d, want %d; log:\n%s", code, exitcode.Failed, log)
	}
	if out["rollback-deployment-id"] == "" || out["deployment-status"] != "Failed" {
		t.Errorf("status %q, rollback %q; want Failed with a rollback", out["deployment-status"], out["rollback-deployment-id"])
	}
	// Outside Actions outputs print one line each: the message's first line
	// names the script; the log tail follows on the next lines.
	if !strings.Contains(out["error-message"], "scripts/health.sh") || out["error-code"] == "" {
		t.Errorf("error-code %q, error-message %q; want a code and the script", out["error-code"], out["error-message"])
	}
	if !strings.Contains(log, "::error file=testdata/bundles/web/scripts/health.sh::") || !strings.Contains(log, "returned error: 503") {
		t.Errorf("no error annotation on the script with the log tail:\n%s", log)
	}
}

func TestDeployBadBundleMakesNoAWSCall(t *testing.T) {
	t.Parallel()
	sb := deploySandbox(t)
	inputs := deployInputs("127.0.0.1:1/web@sha256:"+strings.Repeat("a", 64), "bg")
	inputs["bundle"] = "testdata/bundles/escape"
	before := len(sb.Calls())
	code, _, log := runAction(t, sb, inputs)
	if code != exitcode.Failed || !strings.Contains(log, "::error file=testdata/bundles/escape/appspec.yml,line=5::") {
		t.Errorf("exit %d, want %d with an annotation on appspec.yml line 5; log:\n%s", code, exitcode.Failed, log)
	}
	if n := len(sb.Calls()) - before; n != 0 {
		t.Errorf("made %d AWS calls, want none", n)
	}
}

// TestDeployInPlaceGroup: an in-place group without traffic control gets
// the single-host blue/green bundle (its hooks simulated here; inplace_test.go
// runs them).
func TestDeployInPlaceGroup(t *testing.T) {
	t.Parallel()
	sb := deploySandbox(t)
	inputs := deployInputs(sb.PushImage(t, "web"), "inplace")
	inputs["proxy-image"] = "registry.example.com/caddy:2.11"
	code, _, log := runAction(t, sb, inputs)
	if code != exitcode.OK {
		t.Fatalf("exit %d, want %d; log:\n%s", code, exitcode.OK, log)
	}
	all := bundles(t, sb)
	if len(all) != 1 {
		t.Fatalf("got %d bundles, want 1", len(all))
	}
	b := all[0]
	if b["scripts/switch.sh"] == "" || !strings.Contains(b["deploy.env"], "PROXY_IMAGE='registry.example.com/caddy:2.11'") {
		t.Errorf("the bundle has no switch.sh or not the proxy image; deploy.env:\n%s", b["deploy.env"])
	}
}

func TestDeployTimeout(t *testing.T) {
	t.Parallel()
	sb := deploySandbox(t, awssim.Scenario{Hangs: []awssim.Hang{{DeploymentGroup: "bg", Event: "BeforeInstall"}}})
	inputs := deployInputs(sb.PushImage(t, "web"), "bg")
	inputs["timeout"] = "5m" // on the sandbox's clock: half a second at 600x
	code, out, log := runAction(t, sb, inputs)
	if code != exitcode.Failed || out["error-code"] != "TIMEOUT" || out["deployment-status"] != "Stopped" || out["rollback-deployment-id"] == "" {
		t.Errorf("exit %d, error-code %q, status %q, rollback %q; want %d, TIMEOUT, Stopped, a rollback; log:\n%s",
			code, out["error-code"], out["deployment-status"], out["rollback-deployment-id"], exitcode.Failed, log)
	}
}

func TestDeployActiveDeploymentFail(t *testing.T) {
	t.Parallel()
	sb := deploySandbox(t)
	image := sb.PushImage(t, "web")
	inputs := deployInputs(image, "ready")
	inputs["on-ready"] = "pause"
	code, first, log := runAction(t, sb, inputs)
	if code != exitcode.OK {
		t.Fatalf("first: exit %d; log:\n%s", code, log)
	}
	inputs["on-active-deployment"] = "fail"
	code, _, log = runAction(t, sb, inputs)
	if code != exitcode.Failed || !strings.Contains(log, first["deployment-id"]) {
		t.Errorf("second: exit %d, want %d naming %s; log:\n%s", code, exitcode.Failed, first["deployment-id"], log)
	}
}

// TestDeployPlatformInputsBeforeBuild checks that an input the group's
// platform needs is missing is reported after the read-only group lookup,
// before secrets are fetched or anything is built, pushed or created.
func TestDeployPlatformInputsBeforeBuild(t *testing.T) {
	t.Parallel()
	sb := deploySandbox(t)
	inputs := deployInputs("", "bg")
	delete(inputs, "image")
	delete(inputs, "container-port")
	inputs["ecr-repository"] = "web"
	inputs["context"] = "testdata/app"
	inputs["secrets"] = "web/token"
	code, out, log := runAction(t, sb, inputs)
	if code != exitcode.Failed || !strings.Contains(log, `input "container-port": is required to generate the default bundle`) || out["error-code"] != "INVALID_INPUT" {
		t.Errorf("exit %d, error-code %q; want %d, INVALID_INPUT naming container-port; log:\n%s", code, out["error-code"], exitcode.Failed, log)
	}
	for _, c := range sb.Calls() {
		if c.Service != "codedeploy" || c.Operation != "GetDeploymentGroup" {
			t.Errorf("call %s %s; want only the group lookup", c.Service, c.Operation)
		}
	}
}
