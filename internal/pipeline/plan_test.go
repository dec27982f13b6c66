package pipeline

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/ecr"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim/awssimtest"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/exitcode"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/image"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/plan"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/taskdiff"
)

// readOnly are the operations that change nothing, by their name.
var readOnly = regexp.MustCompile(`^(Get|Describe|List|BatchGet|Head)`)

// runPlan runs command plan with inputs and returns the exit code, the
// plan-json output read back, the changes output and the log; it fails the
// test if the plan made any call that is not a read.
func runPlan(t *testing.T, sb *awssimtest.Sandbox, inputs map[string]string) (int, *planJSONOut, string, string) {
	t.Helper()
	before := len(sb.Calls())
	in := map[string]string{"command": "plan"}
	for k, v := range inputs {
		in[k] = v
	}
	code, out, log := runAction(t, sb, in)
	for _, c := range sb.Calls()[before:] {
		if !readOnly.MatchString(c.Operation) {
			t.Errorf("the plan called %s %s, which changes something", c.Service, c.Operation)
		}
	}
	var p *planJSONOut
	if out["plan-json"] != "" {
		p = &planJSONOut{}
		if err := json.Unmarshal([]byte(out["plan-json"]), p); err != nil {
			t.Fatalf("plan-json is not JSON: %v\n%s", err, out["plan-json"])
		}
	}
	return code, p, out["changes"], log
}

// planJSONOut is the plan-json output as a consumer reads it.
type planJSONOut struct {
	Target      plan.Target
	Changes     bool
	Secrets     []plan.Secret
	Image       *plan.Image
	Live        []plan.Fact
	Differences []plan.Change
	Diffs       []plan.Diff
	Rollout     *struct {
		Config, Strategy string
		Total            int `json:"totalSeconds"`
	}
	Warnings []string
	Targets  []struct {
		Name string
		Wave int
		Plan planJSONOut
	}
}

func (p *planJSONOut) live(label string) string {
	for _, f := range p.Live {
		if f.Label == label {
			return f.Value
		}
	}
	return ""
}

// TestPlanECS plans deploys to an ECS group whose service runs image v1:
// the same image changes nothing; a new one changes the task definition's
// image line only; a file that adds a variable adds that line too. No plan
// makes a call that changes anything.
func TestPlanECS(t *testing.T) {
	t.Parallel()
	sb := seededSandbox(t, "ecs.yaml", awssim.DefaultTimeScale)
	v1 := sb.PushImage(t, "web")
	v2 := sb.PushImageTag(t, "web", "v2")
	base := map[string]string{"codedeploy-application": "api", "codedeploy-deployment-group": "linear", "secrets": "API_TOKEN,api/token"}
	with := func(extra map[string]string) map[string]string {
		m := map[string]string{}
		for _, in := range []map[string]string{base, extra} {
			for k, v := range in {
				m[k] = v
			}
		}
		return m
	}
	deployIn := with(map[string]string{"image": v1, "task-definition": "testdata/taskdefs/api.json"})
	if code, _, log := runAction(t, sb, deployIn); code != exitcode.OK {
		t.Fatalf("the deploy of v1: exit %d\n%s", code, log)
	}
	imageLine := func(image string) string { return `      "image": "` + image + `",` }

	t.Run("the live image: no changes", func(t *testing.T) {
		code, p, changes, log := runPlan(t, sb, with(map[string]string{"image": v1, "task-definition": "testdata/taskdefs/api.json"}))
		if code != exitcode.OK || changes != "false" || p == nil || p.Changes || len(p.Diffs) != 0 || len(p.Differences) != 0 {
			t.Fatalf("exit %d, changes %q, plan %+v; want 0 and no changes\n%s", code, changes, p, log)
		}
		if p.live("image") != v1 || p.Image.URI != v1 || p.Image.Action != plan.ImageExisting {
			t.Errorf("live image %q, image %+v; want %s live and resolved", p.live("image"), p.Image, v1)
		}
	})
	t.Run("a new image: the image line", func(t *testing.T) {
		code, p, changes, log := runPlan(t, sb, with(map[string]string{"image": sb.Host + "/web:v2"}))
		if code != exitcode.OK || changes != "true" || p == nil {
			t.Fatalf("exit %d, changes %q; want 0, true\n%s", code, changes, log)
		}
		if want := []plan.Change{{What: "image", Live: v1, Next: v2}}; !reflect.DeepEqual(p.Differences, want) {
			t.Errorf("differences %+v, want %+v", p.Differences, want)
		}
		if len(p.Diffs) != 1 {
			t.Fatalf("diffs %+v, want the task definition's", p.Diffs)
		}
		removed, added := taskdiff.Changed(p.Diffs[0].Unified)
		if !reflect.DeepEqual(removed, []string{imageLine(v1)}) || !reflect.DeepEqual(added, []string{imageLine(v2)}) {
			t.Errorf("the task definition diff removes %q and adds %q, want only the image line:\n%s", removed, added, p.Diffs[0].Unified)
		}
		if r := p.Rollout; r == nil || r.Config != "CodeDeployDefault.ECSLinear10PercentEvery1Minutes" || r.Total != 15*60 {
			t.Errorf("rollout %+v, want ECSLinear10PercentEvery1Minutes in 15m", r)
		}
		if len(p.Secrets) != 1 || p.Secrets[0].Status != plan.SecretFound || p.Secrets[0].Env != "API_TOKEN" {
			t.Errorf("secrets %+v, want api/token found as API_TOKEN", p.Secrets)
		}
		if strings.Contains(log, "Registered") || strings.Contains(log, "Deployment d-") {
			t.Errorf("the plan's log reads like a deploy:\n%s", log)
		}
	})
	t.Run("a build: named, not done", func(t *testing.T) {
		code, p, changes, log := runPlan(t, sb, with(map[string]string{"ecr-repository": "web", "image-tags": "9f3c2ab", "context": "testdata/app"}))
		if code != exitcode.OK || changes != "true" || p == nil {
			t.Fatalf("exit %d, changes %q\n%s", code, changes, log)
		}
		want := plan.Image{Action: plan.ImageBuild, Repository: sb.Host + "/web", Tags: []string{"9f3c2ab"}, Dockerfile: "testdata/app/Dockerfile", Context: "testdata/app"}
		if !reflect.DeepEqual(*p.Image, want) {
			t.Errorf("image %+v, want %+v", *p.Image, want)
		}
		if want := (plan.Change{What: "image", Live: v1, Next: sb.Host + "/web:9f3c2ab"}); len(p.Differences) != 1 || p.Differences[0] != want {
			t.Errorf("differences %+v, want %+v", p.Differences, want)
		}
	})
	t.Run("the file adds a variable", func(t *testing.T) {
		code, p, changes, log := runPlan(t, sb, with(map[string]string{"image": v2, "task-definition": "testdata/taskdefs/api-feature.json"}))
		if code != exitcode.OK || changes != "true" || p == nil || len(p.Diffs) != 1 {
			t.Fatalf("exit %d, changes %q, plan %+v\n%s", code, changes, p, log)
		}
		removed, added := taskdiff.Changed(p.Diffs[0].Unified)
		want := []string{`        {"name": "FEATURE_X", "value": "on"},`, imageLine(v2)}
		if !reflect.DeepEqual(removed, []string{imageLine(v1)}) || !reflect.DeepEqual(added, want) {
			t.Errorf("the task definition diff removes %q and adds %q, want the image line and FEATURE_X:\n%s", removed, added, p.Diffs[0].Unified)
		}
	})
}

// TestPlanLambdaAndServer plans a new image for a Lambda alias and a Server
// group after a deploy of the first one: each plan names the live and the
// new image digests and changes nothing.
func TestPlanLambdaAndServer(t *testing.T) {
	t.Parallel()
	t.Run("lambda", func(t *testing.T) {
		t.Parallel()
		sb, v2 := lambdaSandbox(t, awssim.DefaultTimeScale, false)
		repo, _, _ := strings.Cut(v2, "@")
		v1 := resolveTag(t, sb, "fn", "v1")
		code, p, changes, log := runPlan(t, sb, lambdaInputs(repo+":v2", "canary"))
		if code != exitcode.OK || changes != "true" || p == nil {
			t.Fatalf("exit %d, changes %q\n%s", code, changes, log)
		}
		want := []plan.Change{{What: "image", Live: v1, Next: v2}, {What: "alias live", Live: "version 1", Next: "a new version of function web"}}
		if !reflect.DeepEqual(p.Differences, want) {
			t.Errorf("differences %+v, want %+v", p.Differences, want)
		}
		if r := p.Rollout; r == nil || r.Strategy != "canary: 10%, the rest after 5m" {
			t.Errorf("rollout %+v, want the canary", r)
		}
		code, p, changes, log = runPlan(t, sb, lambdaInputs(v1, "canary"))
		if code != exitcode.OK || changes != "false" || p == nil || len(p.Differences) != 0 {
			t.Errorf("the live image: exit %d, changes %q, plan %+v\n%s", code, changes, p, log)
		}
	})
	t.Run("server", func(t *testing.T) {
		t.Parallel()
		sb := seededSandbox(t, "server.yaml", awssim.DefaultTimeScale)
		v1 := sb.PushImage(t, "web")
		v2 := sb.PushImageTag(t, "web", "v2")
		if code, _, log := runAction(t, sb, deployInputs(v1, "bg")); code != exitcode.OK {
			t.Fatalf("the deploy of v1: exit %d\n%s", code, log)
		}
		code, p, changes, log := runPlan(t, sb, deployInputs(v2, "bg"))
		if code != exitcode.OK || changes != "true" || p == nil {
			t.Fatalf("exit %d, changes %q\n%s", code, changes, log)
		}
		if p.live("image") != v1 || len(p.Differences) != 2 || p.Differences[0] != (plan.Change{What: "image", Live: v1, Next: v2}) {
			t.Errorf("live image %q, differences %+v; want %s → %s and the revision", p.live("image"), p.Differences, v1, v2)
		}
		if len(p.Diffs) != 1 || p.Diffs[0].Title != "bundle deploy.env" {
			t.Fatalf("diffs %+v, want deploy.env's", p.Diffs)
		}
		removed, added := taskdiff.Changed(p.Diffs[0].Unified)
		if !reflect.DeepEqual(removed, []string{"IMAGE_URI='" + v1 + "'"}) || !reflect.DeepEqual(added, []string{"IMAGE_URI='" + v2 + "'"}) {
			t.Errorf("deploy.env's diff removes %q, adds %q; want only IMAGE_URI", removed, added)
		}
		code, p, changes, log = runPlan(t, sb, deployInputs(v1, "bg"))
		if code != exitcode.OK || changes != "false" || p == nil || len(p.Diffs) != 0 {
			t.Errorf("the live image: exit %d, changes %q, plan %+v\n%s", code, changes, p, log)
		}
	})
}

// resolveTag is repo:tag's URI by digest, as ECR has it.
func resolveTag(t *testing.T, sb *awssimtest.Sandbox, repo, tag string) string {
	t.Helper()
	img, err := image.Resolve(context.Background(), ecr.NewFromConfig(sb.Config()), sb.Host+"/"+repo+":"+tag)
	if err != nil {
		t.Fatal(err)
	}
	return img.URI()
}

// TestPlanComment runs the plan twice on a pull_request event with a
// github-token: the first run posts the plan as a comment on the pull
// request, the second edits that comment instead of adding one.
func TestPlanComment(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	type comment struct {
		ID   int64  `json:"id"`
		Body string `json:"body"`
	}
	comments := []*comment{{ID: 1, Body: "LGTM"}}
	var calls []string
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		calls = append(calls, r.Method+" "+r.URL.Path)
		var in comment
		json.NewDecoder(r.Body).Decode(&in)
		switch {
		case r.Method == http.MethodGet && r.URL.Path == "/repos/octo/app/issues/7/comments":
			json.NewEncoder(w).Encode(comments)
		case r.Method == http.MethodPost && r.URL.Path == "/repos/octo/app/issues/7/comments":
			c := &comment{ID: int64(100 + len(comments)), Body: in.Body}
			comments = append(comments, c)
			w.WriteHeader(http.StatusCreated)
			json.NewEncoder(w).Encode(c)
		case r.Method == http.MethodPatch && strings.HasPrefix(r.URL.Path, "/repos/octo/app/issues/comments/"):
			for _, c := range comments {
				if r.URL.Path == fmt.Sprintf("/repos/octo/app/issues/comments/%d", c.ID) {
					c.Body = in.Body
					json.NewEncoder(w).Encode(c)
					return
				}
			}
			http.NotFound(w, r)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(api.Close)
	event := filepath.Join(t.TempDir(), "event.json")
	if err := os.WriteFile(event, []byte(`{"action": "synchronize", "pull_request": {"number": 7}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"GITHUB_API_URL": api.URL, "GITHUB_EVENT_NAME": "pull_request", "GITHUB_EVENT_PATH": event}

	sb := seededSandbox(t, "ecs.yaml", awssim.DefaultTimeScale)
	v1 := sb.PushImage(t, "web")
	in := map[string]string{"command": "plan", "image": v1, "codedeploy-application": "api", "codedeploy-deployment-group": "linear",
		"github-token": "ghs_token", "environment": "production"}
	for run := 1; run <= 2; run++ {
		if code, _, log := runActionEnv(t, sb, in, env); code != exitcode.OK {
			t.Fatalf("plan run %d: exit %d\n%s", run, code, log)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	want := []string{
		"GET /repos/octo/app/issues/7/comments", "POST /repos/octo/app/issues/7/comments",
		"GET /repos/octo/app/issues/7/comments", "PATCH /repos/octo/app/issues/comments/101",
	}
	if !reflect.DeepEqual(calls, want) {
		t.Errorf("GitHub API calls %q, want %q", calls, want)
	}
	if len(comments) != 2 || !strings.HasPrefix(comments[1].Body, "<!-- bluegreen-deploy plan: production -->\n### Plan: ECS CodeDeploy deployment group `api/linear` → production") {
		t.Errorf("comments %+v, want LGTM and the plan marked for production", comments)
	}
}

// TestPlanRefused: a plan under the README's plan column without
// ecs:DescribeTaskDefinition cannot be made; it exits 1 naming the action
// and the input that needed it, having changed nothing.
func TestPlanRefused(t *testing.T) {
	t.Parallel()
	sb := seededSandbox(t, "ecs.yaml", awssim.DefaultTimeScale)
	image := sb.PushImage(t, "web")
	in := map[string]string{"image": image, "codedeploy-application": "api", "codedeploy-deployment-group": "linear"}
	if code, _, log := runAction(t, sb, in); code != exitcode.OK {
		t.Fatalf("the deploy: exit %d\n%s", code, log)
	}
	values := withValues(map[string][]string{"repository": {"web"}, "application": {"api"}, "group": {"linear"}, "cluster": {"prod"}, "service": {"api"}})
	sb.SetPolicy(readmePolicy(t, planOnly(readmePermissions(t)), []string{"image", "deploy", "deploy, ECS"}, values, "ecs:DescribeTaskDefinition"))
	in["command"] = "plan"
	before := len(sb.Calls())
	code, out, log := runAction(t, sb, in)
	if code != exitcode.Failed {
		t.Fatalf("exit %d, want 1\n%s", code, log)
	}
	if msg := out["error-message"]; !strings.Contains(msg, "not authorized to perform: ecs:DescribeTaskDefinition") || !strings.Contains(msg, "needed by the deploy stage") {
		t.Errorf("error-message %q, want the refused action and the stage", msg)
	}
	if out["plan"] != "" || out["changes"] != "" {
		t.Errorf("a plan that could not be made set plan %q, changes %q", out["plan"], out["changes"])
	}
	for _, c := range sb.Calls()[before:] {
		if !readOnly.MatchString(c.Operation) {
			t.Errorf("the refused plan called %s %s", c.Service, c.Operation)
		}
	}
}

// TestPlanJSONWithinLimit: a plan whose diff would overflow the plan-json
// output keeps its shape and leaves the diff's text to the Markdown.
func TestPlanJSONWithinLimit(t *testing.T) {
	t.Parallel()
	p := &plan.Plan{Diffs: []plan.Diff{{Title: "task definition api", Unified: strings.Repeat("+  \"x\": 1,\n", 3000)}}}
	data := planJSON(p)
	var got planJSONOut
	if err := json.Unmarshal(data, &got); err != nil || len(data) > maxPlanJSON {
		t.Fatalf("plan-json of %d bytes, %v", len(data), err)
	}
	if !got.Changes || len(got.Diffs) != 1 || got.Diffs[0].Title != "task definition api" || !strings.Contains(got.Diffs[0].Unified, "left out") {
		t.Errorf("plan-json %s", data)
	}
	if small := planJSON(&plan.Plan{}); !strings.Contains(string(small), `"changes":false`) {
		t.Errorf("a small plan's JSON %s", small)
	}
}

// TestPlanECSNative plans deploys to the ECS-native BLUE_GREEN service
// api-native after a deploy of v1: v2 changes the image line only, v1
// changes nothing, and no plan makes a call that changes anything.
func TestPlanECSNative(t *testing.T) {
	t.Parallel()
	sb := nativeSandbox(t, awssim.DefaultTimeScale)
	v1 := sb.PushImage(t, "web")
	v2 := sb.PushImageTag(t, "web", "v2")
	if code, _, log := runAction(t, sb, nativeInputs(v1, "api-native")); code != exitcode.OK {
		t.Fatalf("the deploy of v1: exit %d\n%s", code, log)
	}
	code, p, changes, log := runPlan(t, sb, nativeInputs(v2, "api-native"))
	if code != exitcode.OK || changes != "true" || p == nil || len(p.Diffs) != 1 {
		t.Fatalf("exit %d, changes %q, plan %+v\n%s", code, changes, p, log)
	}
	if p.Target.Platform != "ECS-native" || p.live("image") != v1 || len(p.Differences) != 1 || p.Differences[0] != (plan.Change{What: "image", Live: v1, Next: v2}) {
		t.Errorf("target %+v, live image %q, differences %+v; want %s → %s", p.Target, p.live("image"), p.Differences, v1, v2)
	}
	imageLine := func(image string) string { return `      "image": "` + image + `",` }
	if removed, added := taskdiff.Changed(p.Diffs[0].Unified); !reflect.DeepEqual(removed, []string{imageLine(v1)}) || !reflect.DeepEqual(added, []string{imageLine(v2)}) {
		t.Errorf("the task definition diff removes %q and adds %q, want only the image line:\n%s", removed, added, p.Diffs[0].Unified)
	}
	if r := p.Rollout; r == nil || r.Config != "BLUE_GREEN" || r.Strategy != "blue/green: all at once" || r.Total != 6*60 {
		t.Errorf("rollout %+v, want BLUE_GREEN with its 5m bake: 6m", r)
	}
	code, p, changes, log = runPlan(t, sb, nativeInputs(v1, "api-native"))
	if code != exitcode.OK || changes != "false" || p == nil || len(p.Diffs) != 0 {
		t.Errorf("the live image: exit %d, changes %q, plan %+v\n%s", code, changes, p, log)
	}
}
