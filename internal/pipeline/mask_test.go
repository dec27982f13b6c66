package pipeline

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim/awssimtest"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/config"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/exitcode"
)

// shortSecret is a JSON secret whose values are short enough to occur
// inside ids, statuses, URIs and numbers.
const shortSecret = `{"a":"1","b":"true","c":"d"}`

// runUnderRunner runs the whole action as the runner would (GITHUB_ACTIONS
// and its files set), in the repository's workspace.
func runUnderRunner(t *testing.T, sb *awssimtest.Sandbox, inputs map[string]string) runnerFiles {
	t.Helper()
	return runWithFiles(t, sb, inputs, "true")
}

// runWithFiles is runUnderRunner with GITHUB_ACTIONS set to actions.
func runWithFiles(t *testing.T, sb *awssimtest.Sandbox, inputs map[string]string, actions string) runnerFiles {
	t.Helper()
	dir := t.TempDir()
	env := sb.Env()
	for k, v := range map[string]string{
		"GITHUB_OUTPUT":       filepath.Join(dir, "output"),
		"GITHUB_ENV":          filepath.Join(dir, "env"),
		"GITHUB_STEP_SUMMARY": filepath.Join(dir, "summary"),
		"GITHUB_WORKSPACE":    workspace(t),
		"GITHUB_REPOSITORY":   "octo/app",
		"GITHUB_SHA":          "0123456789abcdef0123456789abcdef01234567",
		"GITHUB_ACTIONS":      actions,
		"DOCKER_HOST":         os.Getenv("DOCKER_HOST"),
	} {
		env[k] = v
	}
	for k, v := range inputs {
		env[config.InputKey(k)] = v
	}
	var stdout bytes.Buffer
	code := Run(context.Background(), Env{Getenv: func(k string) string { return env[k] }, Stdout: &stdout})
	read := func(name string) string {
		b, _ := os.ReadFile(filepath.Join(dir, name))
		return string(b)
	}
	return runnerFiles{code: code, stdout: stdout.String(), outputs: read("output"), env: read("env"), summary: read("summary")}
}

// TestShortSecretValuesLeaveOutputsAlone: a secret whose values are "1",
// "true" and "d" is masked for the runner, and the action's outputs (ids,
// statuses, URIs, image-pushed=true) are exactly what they are; the summary
// is intact too.
func TestShortSecretValuesLeaveOutputsAlone(t *testing.T) {
	t.Parallel()
	requireDocker(t)
	sb := deploySandbox(t, secretsScenario("us-east-1", map[string]any{"app/short": shortSecret}))
	inputs := deployInputs("", "bg")
	delete(inputs, "image")
	for k, v := range map[string]string{
		"secrets": "S,app/short", "parse-json-secrets": "true",
		"ecr-repository": "short/app", "create-repository": "true", "context": "testdata/app",
		"bundle": "testdata/bundles/web",
	} {
		inputs[k] = v
	}
	a := runUnderRunner(t, sb, inputs)
	if a.code != exitcode.OK {
		t.Fatalf("exit %d, want 0; stdout:\n%s", a.code, a.stdout)
	}
	for _, v := range []string{"1", "true", "d"} {
		if !strings.Contains(a.stdout, "::add-mask::"+v+"\n") {
			t.Errorf("no ::add-mask::%s for the runner", v)
		}
	}
	out := runnerFileVars(t, a.outputs)
	digest := out["image-digest"]
	want := map[string]*regexp.Regexp{
		"deployment-id":     regexp.MustCompile(`^d-[A-Z0-9]{9}$`),
		"deployment-status": regexp.MustCompile(`^Succeeded$`),
		"image-pushed":      regexp.MustCompile(`^true$`),
		"image-digest":      regexp.MustCompile(`^sha256:[0-9a-f]{64}$`),
		"image-uri":         regexp.MustCompile(`^` + regexp.QuoteMeta(sb.Host+"/short/app@"+digest) + `$`),
		"image-tags":        regexp.MustCompile(`^0123456789abcdef0123456789abcdef01234567$`),
		"secrets":           regexp.MustCompile(`^S_A,S_B,S_C$`),
		"duration-seconds":  regexp.MustCompile(`^[0-9]+$`),
	}
	for name, re := range want {
		if !re.MatchString(out[name]) {
			t.Errorf("output %s = %q, want %s", name, out[name], re)
		}
	}
	if !strings.Contains(out["deployment-url"], "/deployments/"+out["deployment-id"]+"?region=us-east-1") {
		t.Errorf("deployment-url = %q, want a link to %s", out["deployment-url"], out["deployment-id"])
	}
	for name, v := range out {
		if strings.Contains(v, "***") {
			t.Errorf("output %s = %q was rewritten", name, v)
		}
	}
	for _, want := range []string{"[" + out["deployment-id"] + "](", "**Status:** Succeeded", "`" + out["image-uri"] + "`", "**Pushed:** yes"} {
		if !strings.Contains(a.summary, want) {
			t.Errorf("summary without %q:\n%s", want, a.summary)
		}
	}
	if strings.Contains(a.summary, "***") || strings.Contains(a.summary, `\*\*\*`) {
		t.Errorf("summary rewritten:\n%s", a.summary)
	}
}

// TestShortSecretValuesScrubbedFromFreeText: when a failing hook's log tail
// and message quote the secret's values, the summary and error-message show
// *** for them as whole tokens, and the ids and statuses stay exact. Outside
// the runner, where nothing masks the log, the log shows none either.
func TestShortSecretValuesScrubbedFromFreeText(t *testing.T) {
	t.Parallel()
	for _, actions := range []string{"true", ""} {
		t.Run("GITHUB_ACTIONS="+actions, func(t *testing.T) {
			t.Parallel()
			scrubbedFromFreeText(t, actions)
		})
	}
}

func scrubbedFromFreeText(t *testing.T, actions string) {
	sb := deploySandbox(t,
		secretsScenario("us-east-1", map[string]any{"app/short": shortSecret}),
		awssim.Scenario{Lifecycle: []awssim.LifecycleFault{{
			DeploymentGroup: "bg", Event: "ValidateService", Script: "scripts/health.sh",
			Message: "health check saw flag=true",
			LogTail: "[stdout]S_A=1\n[stdout]S_B=true S_C=d\n[stderr]curl: (22) The requested URL returned error: 503",
		}}})
	inputs := deployInputs(sb.PushImage(t, "web"), "bg")
	inputs["secrets"] = "S,app/short"
	inputs["parse-json-secrets"] = "true"
	inputs["bundle"] = "testdata/bundles/web"
	a := runWithFiles(t, sb, inputs, actions)
	if a.code != exitcode.Failed {
		t.Fatalf("exit %d, want %d; stdout:\n%s", a.code, exitcode.Failed, a.stdout)
	}
	out := runnerFileVars(t, a.outputs)
	if !regexp.MustCompile(`^d-[A-Z0-9]{9}$`).MatchString(out["deployment-id"]) || out["deployment-status"] != "Failed" ||
		!regexp.MustCompile(`^d-[A-Z0-9]{9}$`).MatchString(out["rollback-deployment-id"]) {
		t.Errorf("deployment-id %q, status %q, rollback %q; want exact ids and Failed",
			out["deployment-id"], out["deployment-status"], out["rollback-deployment-id"])
	}
	texts := []string{a.summary, out["error-message"]}
	if actions == "" {
		if strings.Contains(a.stdout, "::add-mask::") {
			t.Errorf("::add-mask:: printed outside the runner:\n%s", a.stdout)
		}
		texts = append(texts, a.stdout)
	}
	for _, text := range texts {
		for _, want := range []string{"S_A=***", "S_B=*** S_C=***", "flag=", "returned error: 503", out["deployment-id"]} {
			if !strings.Contains(strings.ReplaceAll(text, `\*`, "*"), want) { // the summary escapes * in the message
				t.Errorf("want %q in:\n%s", want, text)
			}
		}
		for _, leak := range []string{"=1", "=true", "=d", "flag=true"} {
			if strings.Contains(text, leak) {
				t.Errorf("%q (a secret value) in:\n%s", leak, text)
			}
		}
	}
}
