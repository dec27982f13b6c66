package pipeline

import (
	"encoding/json"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim/awssimtest"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/exitcode"
)

// permission is one row of the README's IAM table: a stage's actions on
// one resource pattern, and those of them command plan needs. An action
// needed only sometimes is followed by a note in parentheses saying when.
type permission struct {
	stage    string
	actions  []string
	resource string // with <placeholders>
	plan     []string
}

var (
	tableAction   = regexp.MustCompile("`([a-z0-9-]+:[A-Za-z]+)`")
	tableResource = regexp.MustCompile("`([^`]+)`")
)

// readmePermissions parses the README's "IAM permissions" table.
func readmePermissions(t *testing.T) []permission {
	t.Helper()
	data, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(data), "## IAM permissions\n")
	if !ok {
		t.Fatal("README has no IAM permissions section")
	}
	section, _, _ = strings.Cut(section, "\n## ")
	var perms []permission
	for _, line := range strings.Split(section, "\n") {
		cells := strings.Split(strings.Trim(line, "| "), " | ")
		if len(cells) != 4 || !strings.HasPrefix(cells[0], "secrets") && !strings.HasPrefix(cells[0], "image") && !strings.HasPrefix(cells[0], "deploy") {
			continue
		}
		p := permission{stage: cells[0]}
		for _, m := range tableAction.FindAllStringSubmatch(cells[1], -1) {
			p.actions = append(p.actions, m[1])
		}
		if m := tableResource.FindStringSubmatch(cells[2]); m != nil {
			p.resource = m[1]
		}
		if len(p.actions) == 0 || p.resource == "" {
			t.Fatalf("README IAM row %q: no actions or no resource", line)
		}
		for _, m := range tableAction.FindAllStringSubmatch(cells[3], -1) {
			if !slices.Contains(p.actions, m[1]) {
				t.Errorf("README IAM row %q: plan needs %s, which is not among the row's actions", line, m[1])
			}
			p.plan = append(p.plan, m[1])
		}
		perms = append(perms, p)
	}
	if len(perms) == 0 {
		t.Fatal("README's IAM table has no rows")
	}
	return perms
}

// readmePolicy builds the IAM policy of the README's rows for the stages,
// each <placeholder> of a resource replaced by each of its values.
func readmePolicy(t *testing.T, perms []permission, stages []string, values map[string][]string, without string) *awssim.Policy {
	t.Helper()
	type statement struct {
		Effect   string
		Action   []string
		Resource []string
	}
	var doc struct {
		Version   string
		Statement []statement
	}
	doc.Version = "2012-10-17"
	for _, p := range perms {
		if !slices.Contains(stages, p.stage) {
			continue
		}
		resources := []string{p.resource}
		for name, vs := range values {
			var next []string
			for _, r := range resources {
				if !strings.Contains(r, "<"+name+">") {
					next = append(next, r)
					continue
				}
				for _, v := range vs {
					next = append(next, strings.ReplaceAll(r, "<"+name+">", v))
				}
			}
			resources = next
		}
		for _, r := range resources {
			if strings.Contains(r, "<") {
				t.Fatalf("resource %s: a placeholder without a value", r)
			}
		}
		actions := slices.DeleteFunc(slices.Clone(p.actions), func(a string) bool { return a == without })
		if len(actions) > 0 {
			doc.Statement = append(doc.Statement, statement{"Allow", actions, resources})
		}
	}
	data, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	policy, err := awssim.ParsePolicy(data)
	if err != nil {
		t.Fatalf("the README's policy: %v\n%s", err, data)
	}
	return policy
}

// sandboxValues are the placeholders' values common to the sandbox's scenarios.
var sandboxValues = map[string][]string{"region": {"us-east-1"}, "account": {awssim.Account}}

func withValues(extra map[string][]string) map[string][]string {
	m := map[string][]string{}
	for k, v := range sandboxValues {
		m[k] = v
	}
	for k, v := range extra {
		m[k] = v
	}
	return m
}

// iamRun is one run of the action under the README's policy.
type iamRun struct {
	name     string
	docker   bool
	scenario string // testdata/sandbox file; "" for an empty sandbox
	// sandbox, when set, makes the sandbox and the image instead (before the policy is set).
	sandbox func(t *testing.T) (*awssimtest.Sandbox, string)
	stages  []string
	values  map[string][]string
	// runs makes the runs, after the policy is set; image is pushed before.
	runs func(t *testing.T, sb *awssimtest.Sandbox, image string)
	// deployFirst, when set, runs before the policy is set (a plan needs
	// something live).
	deployFirst func(t *testing.T, sb *awssimtest.Sandbox, image string)
	plan        bool // the policy is the table's plan column
}

// planOnly is the table with each row's actions those of its plan column.
func planOnly(perms []permission) []permission {
	var out []permission
	for _, p := range perms {
		if len(p.plan) > 0 {
			p.actions = p.plan
			out = append(out, p)
		}
	}
	return out
}

var serverValues = withValues(map[string][]string{
	"secret": {"web/token"}, "repository": {"web"}, "application": {"web"}, "group": {"ready"},
	"bucket": {"web-bundles"}, "prefix": {"bluegreen-deploy"},
})

var iamRuns = []iamRun{
	{
		name: "secrets only", scenario: "server.yaml", stages: []string{"secrets"},
		values: withValues(map[string][]string{"secret": {"web/token"}}),
		runs: func(t *testing.T, sb *awssimtest.Sandbox, _ string) {
			mustRun(t, sb, map[string]string{"secrets": "API_TOKEN,web/token\nweb/t*"})
		},
	},
	{
		name: "build and push", docker: true, stages: []string{"image"},
		values: withValues(map[string][]string{"repository": {"team/app"}}),
		runs: func(t *testing.T, sb *awssimtest.Sandbox, _ string) {
			in := map[string]string{"ecr-repository": "team/app", "create-repository": "true", "context": "testdata/app", "image-tags": "v1"}
			mustRun(t, sb, in)
			in["image-tags"] = "v2"
			in["build-args"] = "REBUILD=1"
			mustRun(t, sb, in)
		},
	},
	{
		name: "server", scenario: "server.yaml", stages: []string{"secrets", "image", "deploy", "deploy, EC2/Server"},
		values: serverValues,
		runs: func(t *testing.T, sb *awssimtest.Sandbox, image string) {
			in := deployInputs(image, "ready")
			in["secrets"] = "API_TOKEN,web/token"
			in["on-ready"] = "pause"
			mustRun(t, sb, in)
			in["on-ready"] = "continue"
			in["on-active-deployment"] = "stop"
			mustRun(t, sb, in)
		},
	},
	{
		name: "ecs", scenario: "ecs.yaml", stages: []string{"secrets", "image", "deploy", "deploy, ECS"},
		values: withValues(map[string][]string{
			"secret": {"api/db", "api/token"}, "repository": {"web"}, "application": {"api"}, "group": {"linear"},
			"cluster": {"prod"}, "service": {"api"}, "role": {"api-task", "api-execution"},
		}),
		runs: func(t *testing.T, sb *awssimtest.Sandbox, image string) {
			mustRun(t, sb, ecsInputs(image, "linear"))
		},
	},
	{
		name: "ecs-native", scenario: "ecs-native.yaml", stages: []string{"secrets", "image", "deploy, ECS-native"},
		values: withValues(map[string][]string{
			"secret": {"api/db"}, "repository": {"web"}, "cluster": {"prod"}, "service": {"api-pause"}, "role": {"api-task", "api-execution"},
			"family": {"api"},
		}),
		runs: func(t *testing.T, sb *awssimtest.Sandbox, image string) {
			mustRun(t, sb, nativeInputs(image, "api-pause")) // continues the PAUSE hook
			in := nativeInputs(image, "api-pause")
			in["on-ready"] = "pause"
			_, out, _ := runActionEnv(t, sb, in, runEnv(100, 1)) // a run: its revision is tagged, and checked (supersede-check)
			mustRun(t, sb, map[string]string{"command": "stop", "deployment-id": out["deployment-id"]})
		},
	},
	{
		name: "targets in two regions", docker: true, stages: []string{"image", "image, targets in other regions", "deploy", "deploy, EC2/Server"},
		sandbox: func(t *testing.T) (*awssimtest.Sandbox, string) {
			_, regions := awssimtest.StartRegions(t, "us-east-1", "eu-west-1")
			for _, sb := range regions {
				applyScenario(t, sb, "server.yaml")
			}
			twoRegions.Store(regions["eu-west-1"])
			return regions["us-east-1"], ""
		},
		values: withValues(map[string][]string{
			"region": {"us-east-1", "eu-west-1"}, "repository": {"web"}, "application": {"web"}, "group": {"bg"},
			"bucket": {"web-bundles"}, "prefix": {"bluegreen-deploy"},
		}),
		runs: func(t *testing.T, sb *awssimtest.Sandbox, _ string) {
			twoRegions.Load().SetPolicy(sb.Policy())
			in := fleetInputs("", `
- {aws-region: us-east-1, codedeploy-application: web, codedeploy-deployment-group: bg}
- {wave: 2, aws-region: eu-west-1, codedeploy-application: web, codedeploy-deployment-group: bg}
`)
			delete(in, "image")
			in["ecr-repository"], in["create-repository"], in["context"], in["image-tags"] = "web", "true", "testdata/app", "iam-two-regions"
			mustRun(t, sb, in)
		},
	},
	{
		name: "lambda", stages: []string{"image", "deploy", "deploy, Lambda"},
		sandbox: func(t *testing.T) (*awssimtest.Sandbox, string) {
			return lambdaSandbox(t, awssim.DefaultTimeScale, false)
		},
		values: withValues(map[string][]string{"repository": {"fn"}, "application": {"fn"}, "group": {"canary"}, "function": {"web"}}),
		runs: func(t *testing.T, sb *awssimtest.Sandbox, image string) {
			mustRun(t, sb, lambdaInputs(image, "canary"))
		},
	},
}

// planRuns plan a Server, an ECS, an ECS-native and a Lambda deploy under
// the plan column alone, each after a deploy.
var planRuns = []iamRun{
	{
		name: "plan server", scenario: "server.yaml", plan: true, stages: []string{"secrets", "image", "deploy", "deploy, EC2/Server"},
		values: withValues(map[string][]string{
			"secret": {"web/token"}, "repository": {"web"}, "application": {"web"}, "group": {"bg"},
			"bucket": {"web-bundles"}, "prefix": {"bluegreen-deploy"},
		}),
		deployFirst: func(t *testing.T, sb *awssimtest.Sandbox, image string) {
			mustRun(t, sb, deployInputs(image, "bg"))
			sb.PushImageTag(t, "web", "v2")
		},
		runs: func(t *testing.T, sb *awssimtest.Sandbox, image string) {
			in := deployInputs(sb.Host+"/web:v2", "bg")
			in["command"], in["secrets"] = "plan", "API_TOKEN,web/token\nweb/t*"
			mustRun(t, sb, in)
		},
	},
	{
		name: "plan ecs", scenario: "ecs.yaml", plan: true, stages: []string{"image", "deploy", "deploy, ECS"},
		values: withValues(map[string][]string{"repository": {"web"}, "application": {"api"}, "group": {"linear"}, "cluster": {"prod"}, "service": {"api"}}),
		deployFirst: func(t *testing.T, sb *awssimtest.Sandbox, image string) {
			mustRun(t, sb, ecsInputs(image, "linear"))
		},
		runs: func(t *testing.T, sb *awssimtest.Sandbox, image string) {
			in := ecsInputs(image, "linear")
			in["command"] = "plan"
			delete(in, "secrets")
			delete(in, "parse-json-secrets")
			mustRun(t, sb, in)
		},
	},
	{
		name: "plan ecs-native", scenario: "ecs-native.yaml", plan: true, stages: []string{"secrets", "image", "deploy, ECS-native"},
		values: withValues(map[string][]string{"secret": {"api/db"}, "repository": {"web"}, "cluster": {"prod"}, "service": {"api-native"}}),
		deployFirst: func(t *testing.T, sb *awssimtest.Sandbox, image string) {
			mustRun(t, sb, nativeInputs(image, "api-native"))
		},
		runs: func(t *testing.T, sb *awssimtest.Sandbox, image string) {
			in := nativeInputs(image, "api-native")
			in["command"] = "plan"
			mustRun(t, sb, in)
		},
	},
	{
		name: "plan lambda", plan: true, stages: []string{"image", "deploy", "deploy, Lambda"},
		sandbox: func(t *testing.T) (*awssimtest.Sandbox, string) {
			return lambdaSandbox(t, awssim.DefaultTimeScale, false)
		},
		values: withValues(map[string][]string{"repository": {"fn"}, "application": {"fn"}, "group": {"canary"}, "function": {"web"}}),
		runs: func(t *testing.T, sb *awssimtest.Sandbox, image string) {
			in := lambdaInputs(image, "canary")
			in["command"] = "plan"
			mustRun(t, sb, in)
		},
	},
}

// twoRegions is the second region of the run "targets in two regions".
var twoRegions atomic.Pointer[awssimtest.Sandbox]

// iamExempt are the table's actions no sandbox run calls, and why.
var iamExempt = map[string]string{
	"ecr:GetDownloadUrlForLayer":             "read only by a build on an engine without the cache's layers (TestImageBuildCache's case); these runs share one engine",
	"codedeploy:RegisterApplicationRevision": "CodeDeploy checks it itself on CreateDeployment; the sandbox does not",
}

func mustRun(t *testing.T, sb *awssimtest.Sandbox, inputs map[string]string) {
	t.Helper()
	if code, _, log := runAction(t, sb, inputs); code != exitcode.OK {
		t.Fatalf("exit %d under the README's policy, want 0; log:\n%s", code, log)
	}
}

// TestREADMEPermissions runs secrets-only, build-and-push, Server and ECS
// deploys under exactly the README's IAM table, and checks that each action
// of the table is called by some run (or is exempt, with a reason).
func TestREADMEPermissions(t *testing.T) {
	t.Parallel()
	perms := readmePermissions(t)
	var mu sync.Mutex
	called, skipped := map[string]bool{}, false
	t.Run("runs", func(t *testing.T) {
		for _, r := range append(slices.Clone(iamRuns), planRuns...) {
			t.Run(r.name, func(t *testing.T) {
				t.Parallel()
				if r.docker {
					mu.Lock()
					skipped = true // until the engine is found
					mu.Unlock()
					requireDocker(t)
					mu.Lock()
					skipped = false
					mu.Unlock()
				}
				var sb *awssimtest.Sandbox
				var image string
				switch {
				case r.sandbox != nil:
					sb, image = r.sandbox(t)
				case r.scenario != "":
					sb = seededSandbox(t, r.scenario, awssim.DefaultTimeScale)
					image = sb.PushImage(t, "web")
				default:
					sb = awssimtest.Start(t, awssim.Options{})
				}
				if r.deployFirst != nil {
					r.deployFirst(t, sb, image)
				}
				policyPerms := perms
				if r.plan {
					policyPerms = planOnly(perms)
				}
				sb.SetPolicy(readmePolicy(t, policyPerms, r.stages, r.values, ""))
				r.runs(t, sb, image)
				mu.Lock()
				defer mu.Unlock()
				for _, c := range sb.Calls() {
					for _, a := range c.IAMActions {
						called[a] = true
					}
				}
			})
		}
	})
	if t.Failed() || skipped {
		return
	}
	for _, p := range perms {
		if _, ok := iamUntestedStages[p.stage]; ok {
			continue // logged by TestRolePolicyIsREADMETable
		}
		for _, a := range p.actions {
			if why, ok := iamExempt[a]; ok {
				t.Logf("%s: exempt: %s", a, why)
				continue
			}
			if !called[a] {
				t.Errorf("README lists %s (stage %s) but no run called it", a, p.stage)
			}
		}
	}
}
