package e2e

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"gopkg.in/yaml.v3"
)

// TestWorkflows runs each workflow in testdata/workflows with act: the action
// is the image built from the Dockerfile, `uses: ./` from the repository, and
// AWS is a sandbox on loopback. It checks the steps' results and outputs as
// act reports them, and the deployments as the sandbox ended them.
func TestWorkflows(t *testing.T) {
	actBin, root := needAct(t)

	// Output wants are regular expressions; REGISTRY stands for the sandbox's.
	const (
		deploymentID = `^d-[A-Z0-9]{9}$`
		imageURI     = `^REGISTRY/team/web@sha256:[0-9a-f]{64}$`
	)
	tests := []struct {
		workflow string
		job      string
		steps    map[string]string
		outputs  map[string]map[string]string
		// status is the final status in the sandbox of the deployments that
		// steps output, by "step.output".
		status map[string]string
		// scenario seeds the sandbox instead of scenarioFile.
		scenario string
		// serviceDeployments is the final status of the ECS service
		// deployments (ARNs) that steps output, by "step.output".
		serviceDeployments map[string]string
	}{
		{
			workflow: "server.yml",
			job:      "success",
			steps:    map[string]string{"deploy": "success", "check": "success"},
			outputs: map[string]map[string]string{"deploy": {
				"deployment-id":     deploymentID,
				"deployment-status": `^Succeeded$`,
				"image-uri":         imageURI,
				"image-pushed":      `^true$`,
				"secrets":           `(^|,)DB_PASSWORD(,|$)`,
				"revision-location": `^s3://web-bundles/`,
			}},
			status: map[string]string{"deploy.deployment-id": "Succeeded"},
		},
		{
			workflow: "ecs.yml",
			job:      "success",
			steps:    map[string]string{"deploy": "success"},
			outputs: map[string]map[string]string{"deploy": {
				"deployment-id":       deploymentID,
				"deployment-status":   `^Succeeded$`,
				"image-uri":           imageURI,
				"task-definition-arn": `:task-definition/api:2$`,
			}},
			status: map[string]string{"deploy.deployment-id": "Succeeded"},
		},
		{
			workflow: "pause-continue.yml",
			job:      "success",
			steps:    map[string]string{"deploy": "success", "smoke": "success", "continue": "success"},
			outputs: map[string]map[string]string{
				"deploy":   {"deployment-id": deploymentID, "deployment-status": `^Ready$`},
				"continue": {"deployment-id": deploymentID, "deployment-status": `^Succeeded$`},
			},
			status: map[string]string{"continue.deployment-id": "Succeeded"},
		},
		{
			workflow: "ecs-native.yml",
			job:      "success",
			scenario: "testdata/sandbox/ecs-native.yaml",
			steps:    map[string]string{"deploy": "success"},
			outputs: map[string]map[string]string{"deploy": {
				"deployment-id":       `^arn:aws:ecs:us-east-1:123456789012:service-deployment/prod/api-native/[0-9]+$`,
				"deployment-status":   `^Succeeded$`,
				"image-uri":           `^REGISTRY/team/api@sha256:[0-9a-f]{64}$`,
				"task-definition-arn": `:task-definition/api:2$`,
			}},
			serviceDeployments: map[string]string{"deploy.deployment-id": "SUCCESSFUL"},
		},
		{
			workflow: "failing.yml",
			job:      "failure",
			steps:    map[string]string{"deploy": "failure", "report": "success"},
			outputs: map[string]map[string]string{
				"deploy": {
					"deployment-id":          deploymentID,
					"deployment-status":      `^Failed$`,
					"error-code":             `^HEALTH_CONSTRAINTS$`, // what CodeDeploy says on EC2
					"error-message":          `(?s)ValidateService on i-.*scripts/health.sh.*Connection refused`,
					"rollback-deployment-id": deploymentID,
				},
				"report": {"code": `^HEALTH_CONSTRAINTS$`},
			},
			status: map[string]string{"deploy.deployment-id": "Failed", "deploy.rollback-deployment-id": "Succeeded"},
		},
	}
	for _, tt := range tests {
		t.Run(strings.TrimSuffix(tt.workflow, ".yml"), func(t *testing.T) {
			t.Parallel()
			file := scenarioFile
			if tt.scenario != "" {
				file = tt.scenario
			}
			sb := sandbox(t, file)
			ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
			defer cancel()
			act := Act{Bin: actBin, Dir: root, Env: sb.Env()}
			run, log := runAct(ctx, t, act, filepath.Join(root, "testdata/workflows", tt.workflow))
			if run.Job != tt.job {
				t.Errorf("job result = %q, want %q", run.Job, tt.job)
			}
			for step, want := range tt.steps {
				if got := run.Steps[step]; got != want {
					t.Errorf("step %s result = %q, want %q", step, got, want)
				}
			}
			for step, outputs := range tt.outputs {
				for name, pattern := range outputs {
					re := regexp.MustCompile(strings.ReplaceAll(pattern, "REGISTRY", regexp.QuoteMeta(sb.Host)))
					if got, ok := run.Outputs[step][name]; !ok || !re.MatchString(got) {
						t.Errorf("steps.%s.outputs.%s = %q (set: %t), want a match for %s", step, name, got, ok, re)
					}
				}
			}
			cd := codedeploy.NewFromConfig(sb.Config())
			for output, want := range tt.status {
				step, name, _ := strings.Cut(output, ".")
				id := run.Outputs[step][name]
				out, err := cd.GetDeployment(ctx, &codedeploy.GetDeploymentInput{DeploymentId: aws.String(id)})
				if err != nil {
					t.Errorf("GetDeployment(%q) from steps.%s: %v", id, output, err)
					continue
				}
				if got := string(out.DeploymentInfo.Status); got != want {
					t.Errorf("deployment %s (steps.%s) ended %s in the sandbox, want %s", id, output, got, want)
				}
			}
			for output, want := range tt.serviceDeployments {
				step, name, _ := strings.Cut(output, ".")
				arn := run.Outputs[step][name]
				out, err := ecs.NewFromConfig(sb.Config()).DescribeServiceDeployments(ctx, &ecs.DescribeServiceDeploymentsInput{ServiceDeploymentArns: []string{arn}})
				if err != nil || len(out.ServiceDeployments) != 1 {
					t.Errorf("DescribeServiceDeployments(%q) from steps.%s: %v", arn, output, err)
					continue
				}
				if got := string(out.ServiceDeployments[0].Status); got != want {
					t.Errorf("service deployment %s (steps.%s) ended %s in the sandbox, want %s", arn, output, got, want)
				}
			}
			for _, value := range []string{"demo-user-0", "demo-password-1", "demo-token-2", "db-VALUE-never-in-taskdef"} {
				if strings.Contains(log, value) {
					t.Errorf("a secret value (%s) is in act's log", value)
				}
				for step, summary := range run.Summaries {
					if strings.Contains(summary, value) {
						t.Errorf("a secret value (%s) is in step %s's job summary", value, step)
					}
				}
				for step, outputs := range run.Outputs {
					for name, got := range outputs {
						if strings.Contains(got, value) {
							t.Errorf("a secret value (%s) is in steps.%s.outputs.%s", value, step, name)
						}
					}
				}
			}
		})
	}
}

// TestReadLog reads a log act v0.2.87 wrote with --json.
func TestReadLog(t *testing.T) {
	t.Parallel()
	const log = `{"level":"info","msg":"Using docker host 'unix:///var/run/docker.sock'"}
{"job":"a.yml/j","msg":"  ✅  Success - Set up job","step":"Set up job","stepResult":"success","stepid":["--setup-job"]}
{"job":"a.yml/j","msg":"hi\n","raw_output":true,"stage":"Main","step":"run","stepID":["s"]}
{"job":"a.yml/j","msg":"  ⚙  Summary - # Deployed","command":"summary","content":"# Deployed\n","stage":"Main","stepID":["s"]}
{"job":"a.yml/j","msg":"  ✅  Success - Main run","stage":"Main","stepID":["s"],"stepResult":"success"}
{"arg":"1","command":"set-output","job":"a.yml/j","msg":"  ⚙  ::set-output:: x=1","name":"x","stage":"Main","stepID":["s"]}
{"arg":"v","command":"set-output","msg":"  ⚙  ::set-output:: y=v","name":"y","stage":"Main","stepID":["comp","inner"]}
{"job":"a.yml/j","msg":"  ❌  Failure - Post run","stage":"Post","stepID":["s"],"stepResult":"failure"}
{"job":"a.yml/j","jobResult":"success","msg":"🏁  Job succeeded"}
`
	var text bytes.Buffer
	run, err := ReadLog(strings.NewReader(log), &text)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := run.Outputs["s"]["x"], "1"; got != want || len(run.Outputs) != 1 {
		t.Errorf("outputs = %v, want only s.x = %q", run.Outputs, want)
	}
	if got, want := run.Steps["s"], "success"; got != want || len(run.Steps) != 1 {
		t.Errorf("steps = %v, want only s = %q (the main stage)", run.Steps, want)
	}
	if got, want := run.Summaries["s"], "# Deployed\n"; got != want {
		t.Errorf("summary = %q, want %q", got, want)
	}
	if run.Job != "success" {
		t.Errorf("job = %q, want success", run.Job)
	}
	if !strings.Contains(text.String(), "| hi\n") {
		t.Errorf("text log = %q, want the raw output line as | hi", text.String())
	}
	if _, err := ReadLog(strings.NewReader("not json\n"), &text); err == nil {
		t.Error("ReadLog(not json) = nil error, want one")
	}
}

// TestRenameWorkflow checks that each run gets its own workflow name (act's
// container names) and otherwise the same workflow.
func TestRenameWorkflow(t *testing.T) {
	t.Parallel()
	tests := []struct {
		file, content, wantPrefix string
	}{
		{"named.yml", "name: server\non: workflow_dispatch\njobs:\n  deploy:\n    runs-on: ubuntu-latest\n", "server-"},
		{"unnamed.yml", "on: workflow_dispatch\njobs:\n  deploy:\n    runs-on: ubuntu-latest\n", "unnamed-"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			src := filepath.Join(t.TempDir(), tt.file)
			if err := os.WriteFile(src, []byte(tt.content), 0o644); err != nil {
				t.Fatal(err)
			}
			var names []string
			for range 2 {
				copied, err := renameWorkflow(src, t.TempDir())
				if err != nil {
					t.Fatal(err)
				}
				data, err := os.ReadFile(copied)
				if err != nil {
					t.Fatal(err)
				}
				var wf struct {
					Name string
					On   string
					Jobs map[string]struct {
						RunsOn string `yaml:"runs-on"`
					}
				}
				if err := yaml.Unmarshal(data, &wf); err != nil {
					t.Fatalf("copied workflow: %v\n%s", err, data)
				}
				if !strings.HasPrefix(wf.Name, tt.wantPrefix) || wf.On != "workflow_dispatch" || wf.Jobs["deploy"].RunsOn != "ubuntu-latest" {
					t.Errorf("copied workflow = %+v, want name %s..., the same trigger and job", wf, tt.wantPrefix)
				}
				names = append(names, wf.Name)
			}
			if names[0] == names[1] {
				t.Errorf("two copies are both named %q, want different names", names[0])
			}
		})
	}
}
