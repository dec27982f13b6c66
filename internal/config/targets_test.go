package config_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/config"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/platform/codedeploy"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/platform/ecsnative"
)

// both are the platforms the action ships, in its order.
var both = []config.Platform{codedeploy.Inputs, ecsnative.Inputs}

// example is the targets input of issue 26.
const example = `
- wave: 1
  aws-region: eu-west-1
  codedeploy-application: app
  codedeploy-deployment-group: api-canary
- wave: 2
  aws-region: eu-west-1
  ecs-cluster: prod
  ecs-service: worker
- wave: 2
  name: us-api
  aws-region: us-east-1
  codedeploy-application: app
  codedeploy-deployment-group: api
  task-definition: deploy/us-task.json
  environment: production-us
`

// targetsWorkspace is workspace with deploy/us-task.json too.
func targetsWorkspace(t *testing.T) string {
	t.Helper()
	ws := workspace(t)
	if err := os.MkdirAll(filepath.Join(ws, "deploy"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(ws, "deploy", "us-task.json"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	return ws
}

// step is a step's inputs around a targets input.
var step = map[string]string{
	"image":           "123456789012.dkr.ecr.eu-west-1.amazonaws.com/app:v1",
	"task-definition": "taskdef.json",
	"container-name":  "web",
	"environment":     "production",
	"on-ready":        "pause",
}

func TestTargetsExample(t *testing.T) {
	t.Parallel()
	ws := targetsWorkspace(t)
	c, err := config.Load(env(ws, merge(step, map[string]string{"targets": example, "AWS_REGION": "ap-south-1"})), both)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if c.Platform != "" || !c.DeployEnabled() || !c.NeedsAWS() || !c.Deploys() {
		t.Errorf("platform %q, deploy enabled %v, needs AWS %v, deploys %v; want \"\", true, true, true", c.Platform, c.DeployEnabled(), c.NeedsAWS(), c.Deploys())
	}
	want := []struct {
		name, region, platform, taskDef, env string
		wave                                 int
	}{
		{"eu-west-1/api-canary", "eu-west-1", "codedeploy", "taskdef.json", "production", 1},
		{"eu-west-1/worker", "eu-west-1", "ecs-native", "taskdef.json", "production", 2},
		{"us-api", "us-east-1", "codedeploy", "deploy/us-task.json", "production-us", 2},
	}
	if len(c.Targets) != len(want) {
		t.Fatalf("%d targets, want %d: %+v", len(c.Targets), len(want), c.Targets)
	}
	for i, w := range want {
		got := c.Targets[i]
		if got.Name != w.name || got.Region != w.region || got.Platform != w.platform || got.Wave != w.wave || got.Environment != w.env {
			t.Errorf("target %d = %s %s %s wave %d env %s; want %s %s %s wave %d env %s", i+1,
				got.Name, got.Region, got.Platform, got.Wave, got.Environment, w.name, w.region, w.platform, w.wave, w.env)
		}
		if want := filepath.Join(ws, w.taskDef); got.Deploy.TaskDefinition != want {
			t.Errorf("target %d task-definition = %q, want %q", i+1, got.Deploy.TaskDefinition, want)
		}
		if got.Deploy.ContainerName != "web" || got.Deploy.OnReady != config.ReadyPause || !got.Deploy.Wait {
			t.Errorf("target %d: container %q, on-ready %q, wait %v; want the step's web, pause, true", i+1, got.Deploy.ContainerName, got.Deploy.OnReady, got.Deploy.Wait)
		}
	}
	if d := c.Targets[0].Deploy; d.Application != "app" || d.DeploymentGroup != "api-canary" || d.Own["ecs-cluster"] != "" {
		t.Errorf("target 1 deploy = %+v, want app/api-canary and no ECS inputs", d)
	}
	if own := c.Targets[1].Deploy.Own; own["ecs-cluster"] != "prod" || own["ecs-service"] != "worker" || c.Targets[1].Deploy.Application != "" {
		t.Errorf("target 2 deploy = %+v, want ECS prod/worker and no application", c.Targets[1].Deploy)
	}
	one := c.Target(c.Targets[2])
	if one.AWS.Region != "us-east-1" || one.Platform != "codedeploy" || one.GitHub.Environment != "production-us" || one.Targets != nil || one.Deploy.DeploymentGroup != "api" {
		t.Errorf("Target(us-api): region %q platform %q environment %q targets %v group %q", one.AWS.Region, one.Platform, one.GitHub.Environment, one.Targets, one.Deploy.DeploymentGroup)
	}
}

// TestTargetsDefaults: wave defaults to 1, the region and role to the
// step's, an empty value to the input's default rather than the step's,
// and a step's CodeDeploy-only input reaches only CodeDeploy entries.
func TestTargetsDefaults(t *testing.T) {
	t.Parallel()
	ws := targetsWorkspace(t)
	role := "arn:aws:iam::123456789012:role/deploy"
	targets := `
- codedeploy-application: app
  codedeploy-deployment-group: g
  role-to-assume: arn:aws:iam::123456789012:role/other
- ecs-cluster: c
  ecs-service: arn:aws:ecs:eu-west-1:123456789012:service/c/svc
  task-definition: ""
`
	c, err := config.Load(env(ws, merge(step, map[string]string{"targets": targets, "role-to-assume": role, "s3-bucket": "bundles"})), both)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	a, b := c.Targets[0], c.Targets[1]
	if a.Wave != 1 || a.Region != "eu-west-1" || a.RoleToAssume != "arn:aws:iam::123456789012:role/other" || b.RoleToAssume != role {
		t.Errorf("wave %d region %q roles %q, %q; want 1, the step's eu-west-1, the entry's role then the step's", a.Wave, a.Region, a.RoleToAssume, b.RoleToAssume)
	}
	if b.Name != "eu-west-1/svc" {
		t.Errorf("name %q, want eu-west-1/svc (the ARN's last part)", b.Name)
	}
	if b.Deploy.TaskDefinition != "" || a.Deploy.TaskDefinition != filepath.Join(ws, "taskdef.json") {
		t.Errorf("task-definition %q, %q; want the step's, then none", a.Deploy.TaskDefinition, b.Deploy.TaskDefinition)
	}
	if a.Deploy.S3Bucket != "bundles" || b.Deploy.S3Bucket != "" {
		t.Errorf("s3-bucket %q, %q; want the step's for CodeDeploy only", a.Deploy.S3Bucket, b.Deploy.S3Bucket)
	}
}

// TestTargetsMergeKeys: an entry may take another's keys through a YAML
// anchor and merge key, its own keys winning wherever written.
func TestTargetsMergeKeys(t *testing.T) {
	t.Parallel()
	ws := targetsWorkspace(t)
	targets := `
- &api
  name: eu-api
  aws-region: eu-west-1
  codedeploy-application: app
  codedeploy-deployment-group: api
- name: us-api
  <<: [*api, {wave: 3, environment: other}]
  aws-region: us-east-1
  wave: 2
`
	c, err := config.Load(env(ws, merge(step, map[string]string{"targets": targets})), both)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if len(c.Targets) != 2 {
		t.Fatalf("%d targets, want 2", len(c.Targets))
	}
	us := c.Targets[1]
	if us.Name != "us-api" || us.Region != "us-east-1" || us.Wave != 2 || us.Environment != "other" || us.Deploy.DeploymentGroup != "api" {
		t.Errorf("merged entry = %s %s wave %d env %s group %s; want us-api us-east-1 wave 2 env other group api", us.Name, us.Region, us.Wave, us.Environment, us.Deploy.DeploymentGroup)
	}
}

func TestTargetsInvalid(t *testing.T) {
	t.Parallel()
	ws := targetsWorkspace(t)
	group := "  codedeploy-application: app\n  codedeploy-deployment-group: g\n"
	tests := []struct {
		name    string
		targets string
		more    map[string]string // the step's inputs over step
		want    []string          // each in the error, once
	}{
		{"not YAML", "- a: [", nil, []string{`input "targets": is not YAML: yaml: line 1:`}},
		{"not a list", "a: b", nil, []string{`input "targets": is a mapping (line 1), not a YAML list of targets`}},
		{"empty list", "[]", nil, []string{`input "targets": is an empty list`}},
		{"entry not a mapping", "- foo\n- codedeploy-application: a\n  codedeploy-deployment-group: g\n", nil,
			[]string{`input "targets": entry 1: is a single value ("foo") (line 1), not a mapping of keys to values`}},
		{"list value", "- task-definition: [a, b]\n" + group, nil,
			[]string{`input "targets": entry 1 (eu-west-1/g): key "task-definition" (line 1): is a list, not a single value`}},
		{"key twice", "- ecs-cluster: c\n  ecs-service: s\n  ecs-service: t\n", nil,
			[]string{`input "targets": entry 1 (eu-west-1/s): key "ecs-service" (line 3) is given twice`}},
		{"unknown key", "- ecs-cluster: c\n  ecs-service: s\n  ecs-servce: t\n", nil,
			[]string{`input "targets": entry 1 (eu-west-1/s): key "ecs-servce" (line 3) is not a key of an entry; the keys are wave, name, environment, aws-region, role-to-assume, codedeploy-application,`}},
		{"step-wide key", "-" + group[1:] + "  on-ready: pause\n  secrets: a/b\n", nil,
			[]string{`input "targets": entry 1 (eu-west-1/g): key "on-ready" (line 3): is a step-wide input`,
				`input "targets": entry 1 (eu-west-1/g): key "secrets" (line 4): is a step-wide input`}},
		{"merge key of a scalar", "- <<: 5\n" + group, nil,
			[]string{`input "targets": entry 1 (eu-west-1/g): line 1: the merge key << takes a mapping or a list of them, not a single value ("5")`}},
		{"merged key not a value", "- &a {codedeploy-application: app, codedeploy-deployment-group: [g]}\n- <<: *a\n  name: b\n", nil,
			[]string{`input "targets": entry 2 (b): key "codedeploy-deployment-group" (line 1): is a list, not a single value`}},
		{"wave 0", "- wave: 0\n" + group, nil, []string{`input "targets": entry 1 (eu-west-1/g): key "wave" (line 1): "0" is not a whole number of 1 or more`}},
		{"hostile name", "- name: \"a\\n::error::x\"\n" + group, nil,
			[]string{`input "targets": entry 1 ("a\n::error::x"): key "name" (line 1): "a\n::error::x" is not a target name`}},
		{"environment with a newline", "- environment: \"prod\\n::error::x\"\n" + group, nil,
			[]string{`input "targets": entry 1 (eu-west-1/g): key "environment" (line 1): "prod\n::error::x" holds a control character`}},
		{"wave words", "- name: a\n  wave: first\n" + group, nil, []string{`input "targets": entry 1 (a): key "wave" (line 2): "first" is not a whole number`}},
		{"no platform", "- aws-region: eu-west-1\n- name: x\n", nil, []string{
			`input "targets": entry 1: chooses no platform: give codedeploy-application and codedeploy-deployment-group, or ecs-cluster and ecs-service`,
			`input "targets": entry 2 (x): chooses no platform`}},
		{"platform's check", "- ecs-cluster: prod\n", nil,
			[]string{`input "targets": entry 1 (eu-west-1/prod): input "ecs-service": ecs-cluster and ecs-service go together`}},
		{"missing file", "- task-definition: nope.json\n" + group, nil,
			[]string{`input "targets": entry 1 (eu-west-1/g): input "task-definition": "nope.json" does not exist in the workspace`}},
		{"outside the workspace", "- appspec: /etc/passwd\n" + group, nil,
			[]string{`input "targets": entry 1 (eu-west-1/g): input "appspec": "/etc/passwd" is outside the workspace`}},
		{"bad region", "- aws-region: Europe\n" + group, nil,
			[]string{`input "targets": entry 1 (Europe/g): input "aws-region": "Europe" is not an AWS region`}},
		{"bad role", "- role-to-assume: deployer\n" + group, nil,
			[]string{`input "targets": entry 1 (eu-west-1/g): input "role-to-assume": "deployer" is not an IAM role ARN`}},
		{"bad port", "- container-port: 0\n" + group, nil,
			[]string{`input "targets": entry 1 (eu-west-1/g): input "container-port": "0" is not a whole number from 1 to 65535`}},
		{"another platform's input", "- ecs-cluster: c\n  ecs-service: s\n  s3-bucket: b\n", nil,
			[]string{`input "targets": entry 1 (eu-west-1/s): input "s3-bucket": is for codedeploy`}},
		{"names twice", "- name: a\n" + group + "- name: a\n  ecs-cluster: c\n  ecs-service: s\n", nil,
			[]string{`input "targets": entry 2 (a): name "a" is also entry 1 (a)'s: give each entry its own name`}},
		{"target twice", "- name: a\n" + group + "- name: b\n" + group, nil,
			[]string{`input "targets": entry 2 (b): deploys to the same target as entry 1 (a) (codedeploy-application "app", codedeploy-deployment-group "g" in eu-west-1)`}},
		{"step's platform input", "-" + group[1:], map[string]string{"ecs-service": "s", "codedeploy-application": "app"}, []string{
			`input "ecs-service": chooses a target's platform: with targets, put it in an entry of targets`,
			`input "codedeploy-application": chooses a target's platform`}},
		{"step's input refused by entries", "- ecs-cluster: c\n  ecs-service: a\n- ecs-cluster: c\n  ecs-service: b\n-" + group[1:], map[string]string{"description": "x"},
			[]string{`input "description": is for CodeDeploy; ECS service deployments have no description (inherited by targets entry 1 (eu-west-1/a), entry 2 (eu-west-1/b): give it in the entries it is for instead, or set it to "" in these)`}},
		{"step's missing file", "- ecs-cluster: c\n  ecs-service: a\n-" + group[1:], map[string]string{"task-definition": "nope.json"},
			[]string{`input "task-definition": "nope.json" does not exist in the workspace`}},
		{"step's bad container name", "- ecs-cluster: c\n  ecs-service: a\n-" + group[1:], map[string]string{"container-name": "a b"},
			[]string{`input "container-name": "a b" is not a container name`}},
		{"step's CodeDeploy input with no CodeDeploy entry", "- ecs-cluster: c\n  ecs-service: a\n", map[string]string{"s3-bucket": "b"},
			[]string{`input "s3-bucket": is for codedeploy (codedeploy-application and codedeploy-deployment-group), and no entry of targets chooses codedeploy`}},
		{"entry's choice against the step's input", "- bundle: bundle\n  s3-bucket: b\n" + group, nil,
			[]string{`input "task-definition": is for ECS and bundle is for EC2/Server: give one (inherited by targets entry 1 (eu-west-1/g):`}},
		{"plan checks entries too", "- ecs-cluster: prod\n  ecs-service: s\n  container-port: 0\n", map[string]string{"command": "plan"},
			[]string{`input "targets": entry 1 (eu-west-1/s): input "container-port": "0" is not a whole number from 1 to 65535`}},
		{"no image", "-" + group[1:], map[string]string{"image": ""}, []string{`input "image": a deployment needs an image`}},
		{"Lambda image of another region", "- lambda-function: fn\n  task-definition: \"\"\n  aws-region: us-east-1\n" + group, nil,
			[]string{`input "image": "123456789012.dkr.ecr.eu-west-1.amazonaws.com/app:v1" is in eu-west-1's ECR and Lambda runs only images of its own region (us-east-1): give an image in us-east-1, or ecr-repository to build one there (inherited by targets entry 1 (us-east-1/g)`}},
		{"every problem at once", "- wave: -1\n" + group + "- ecs-cluster: c\n  ecs-service: s\n  timeout: soon\n- name: n\n", nil, []string{
			`entry 1 (eu-west-1/g): key "wave"`,
			`entry 2 (eu-west-1/s): input "timeout": "soon" is not a duration`,
			`entry 3 (n): chooses no platform`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := config.Load(env(ws, merge(merge(step, tt.more), map[string]string{"targets": tt.targets})), both)
			if err == nil {
				t.Fatalf("Load succeeded, want %q", tt.want)
			}
			for _, w := range tt.want {
				if n := strings.Count(err.Error(), w); n != 1 {
					t.Errorf("%q is in the error %d times, want once; error:\n%v", w, n, err)
				}
			}
		})
	}
}

func TestCommandTargets(t *testing.T) {
	t.Parallel()
	ws := targetsWorkspace(t)
	ecsARN := "arn:aws:ecs:us-west-2:123456789012:service-deployment/c/s/x1"
	type want struct{ name, id, platform, region, env string }
	tests := []struct {
		name   string
		inputs map[string]string
		want   []want
	}{
		{"regions from ARN, prefix and step", map[string]string{"deployment-id": `{"eu-west-1/api": "d-ABCDEF123", "worker": "` + ecsARN + `", "api": "d-ABCDEF124"}`},
			[]want{{"eu-west-1/api", "d-ABCDEF123", "codedeploy", "eu-west-1", ""}, {"worker", ecsARN, "ecs-native", "us-west-2", ""}, {"api", "d-ABCDEF124", "codedeploy", "ap-south-1", ""}}},
		{"region and environment from targets", map[string]string{"deployment-id": `{"us-api": "d-ABCDEF123", "eu-west-1/worker": "d-ABCDEF124"}`, "targets": example, "environment": "prod"},
			[]want{{"us-api", "d-ABCDEF123", "codedeploy", "us-east-1", "production-us"}, {"eu-west-1/worker", "d-ABCDEF124", "codedeploy", "eu-west-1", "prod"}}},
		{"no step region", map[string]string{"deployment-id": `{"us-east-1/api": "d-ABCDEF123"}`, "AWS_REGION": ""},
			[]want{{"us-east-1/api", "d-ABCDEF123", "codedeploy", "us-east-1", ""}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := config.Load(env(ws, merge(map[string]string{"command": "stop", "AWS_REGION": "ap-south-1"}, tt.inputs)), both)
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if c.Platform != "" || len(c.Targets) != len(tt.want) {
				t.Fatalf("platform %q, targets %+v; want \"\" and %d", c.Platform, c.Targets, len(tt.want))
			}
			for i, w := range tt.want {
				got := c.Targets[i]
				if g := (want{got.Name, got.DeploymentID, got.Platform, got.Region, got.Environment}); g != w {
					t.Errorf("target %d = %+v, want %+v", i+1, g, w)
				}
				if one := c.Target(got); one.DeploymentID != w.id || one.InputFor("deploy") != `deployment-id "`+w.id+`"` {
					t.Errorf("Target(%s): deployment-id %q, InputFor %q", w.name, one.DeploymentID, one.InputFor("deploy"))
				}
			}
		})
	}
}

func TestCommandTargetsInvalid(t *testing.T) {
	t.Parallel()
	ws := targetsWorkspace(t)
	tests := map[string]struct {
		id, want string
		more     map[string]string
	}{
		"not JSON":     {`{"a": "d-ABCDEF123"`, `input "deployment-id": is not one deployment id nor a JSON object of target names to deployment ids`, nil},
		"not a string": {`{"a": 1}`, `input "deployment-id": is not one deployment id nor a JSON object of target names to deployment ids (e.g. {"eu-west-1/api": "d-A1B2C3D4E"}): key "a": the deployment id is not a string`, nil},
		"key twice":    {`{"a": "d-ABCDEF123", "a": "d-ABCDEF124"}`, `key "a" is given twice`, nil},
		"trailing":     {`{"a": "d-ABCDEF123"} x`, `more follows the JSON object`, nil},
		"empty":        {`{}`, `input "deployment-id": is an empty JSON object`, nil},
		"bad id":       {`{"a": "d-ABCDEF123", "b": "d-1"}`, `input "deployment-id": key "b": "d-1" is not a CodeDeploy deployment id`, nil},
		"hostile key":  {`{"a\n::error::x": "d-ABCDEF123"}`, `input "deployment-id": key "a\n::error::x" is not a target name`, nil},
		"no region":    {`{"api": "d-ABCDEF123"}`, `input "deployment-id": key "api": no region: give aws-region, or name the target <region>/...`, map[string]string{"AWS_REGION": ""}},
		"bad targets":  {`{"api": "d-ABCDEF123"}`, `input "targets": entry 1: key "bogus" (line 1) is not a key of an entry`, map[string]string{"targets": "- bogus: 1"}},
		"with deploy":  {`{"api": "d-ABCDEF123"}`, `input "deployment-id": is only used with command continue, stop or status`, map[string]string{"command": "deploy", "image": step["image"]}},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, err := config.Load(env(ws, merge(map[string]string{"command": "status", "deployment-id": tt.id}, tt.more)), both)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Load error %v, want one holding %q", err, tt.want)
			}
		})
	}
}

// TestSingleTargetLeavesTargetsNil: the single-target inputs and a plain
// deployment-id fill Platform, not Targets.
func TestSingleTargetLeavesTargetsNil(t *testing.T) {
	t.Parallel()
	ws := targetsWorkspace(t)
	for _, inputs := range []map[string]string{
		merge(step, map[string]string{"ecs-cluster": "c", "ecs-service": "s"}),
		{"command": "status", "deployment-id": "d-ABCDEF123"},
	} {
		c, err := config.Load(env(ws, inputs), both)
		if err != nil {
			t.Fatalf("Load: %v", err)
		}
		if c.Targets != nil || c.Platform == "" {
			t.Errorf("targets %+v, platform %q; want nil and a platform", c.Targets, c.Platform)
		}
	}
}

func TestTargetsStepWide(t *testing.T) {
	two := "- {wave: 1, aws-region: sa-east-1, ecs-cluster: c, ecs-service: a}\n- {wave: 2, aws-region: us-east-1, ecs-cluster: c, ecs-service: b}"
	for _, tc := range []struct {
		name   string
		inputs map[string]string
		want   string // an error's text, or "" for none
		region string
	}{
		{"the first target's region is the step's", map[string]string{"targets": two, "AWS_REGION": ""}, "", "sa-east-1"},
		{"AWS_REGION is the step's", map[string]string{"targets": two}, "", "eu-west-1"},
		{"the step's region stays", map[string]string{"targets": two, "aws-region": "ap-south-1"}, "", "ap-south-1"},
		{"wait false across waves", map[string]string{"targets": two, "wait": "false"}, `input "wait": is false: with targets in 2 waves`, ""},
		{"wait false in one wave", map[string]string{"targets": "- {aws-region: sa-east-1, ecs-cluster: c, ecs-service: a}", "wait": "false"}, "", "eu-west-1"},
		{"plan", map[string]string{"targets": two, "command": "plan", "AWS_REGION": ""}, "", "sa-east-1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := merge(tc.inputs, map[string]string{"image": "123456789012.dkr.ecr.eu-west-1.amazonaws.com/app:v1"})
			c, err := config.Load(env(t.TempDir(), in), both)
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("Load: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("Load: %v, want an error with %q", err, tc.want)
			case tc.want == "" && c.AWS.Region != tc.region:
				t.Errorf("aws-region %q, want %q", c.AWS.Region, tc.region)
			}
		})
	}
}

// FuzzTargets: whatever the targets input holds, and whatever a JSON
// deployment-id for command status holds, Load refuses it with problems
// each on a line of its own naming an input, or gives targets whose names
// are names (they start log lines) and, deploying, whose waves count from 1.
func FuzzTargets(f *testing.F) {
	ids := []string{`{"eu-west-1/api": "d-ABCDEF123", "worker": "arn:aws:ecs:us-west-2:123456789012:service-deployment/c/s/x1"}`, `{"a\n": 1}`, `d-ABCDEF123`, `{}`}
	for i, s := range []string{example, "- <<: [*a]\n", "- &a {ecs-cluster: c, ecs-service: s}\n- <<: *a\n  name: \"x\\ny\"\n", "- name: a\n  wave: 2\n  ecs-cluster: c\n  ecs-service: s\n"} {
		f.Add(s, ids[i])
	}
	ws := workspace(f)
	f.Fuzz(func(t *testing.T, targets, id string) {
		for _, inputs := range []map[string]string{
			merge(step, map[string]string{"targets": targets}),
			{"command": "status", "deployment-id": id},
		} {
			c, err := config.Load(env(ws, inputs), both)
			if err != nil {
				for _, line := range strings.Split(err.Error(), "\n") {
					if !strings.HasPrefix(line, `input "`) {
						t.Fatalf("a line of the error does not name an input: %q", line)
					}
				}
				continue
			}
			for _, tg := range c.Targets {
				if tg.Name == "" || strings.ContainsFunc(tg.Name, func(r rune) bool { return r <= ' ' || r == 0x7f }) || c.Takes() && tg.Wave < 1 {
					t.Fatalf("target %q wave %d", tg.Name, tg.Wave)
				}
			}
		}
	})
}
