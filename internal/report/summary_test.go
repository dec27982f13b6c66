package report

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/summaries")

// t0 is when every test run starts.
var t0 = time.Date(2026, 3, 14, 9, 26, 53, 0, time.UTC)

func at(seconds float64) time.Time {
	return t0.Add(time.Duration(seconds * float64(time.Second)))
}

func testImage(pushed bool) *Image {
	return &Image{
		URI:    "123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop/web@sha256:0f4e5b6c7d8e9fa0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4",
		Digest: "sha256:0f4e5b6c7d8e9fa0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4",
		Tags:   []string{"9f3c2ab", "latest"},
		Pushed: pushed,
	}
}

func serverEvents(status string, from float64) []Event {
	names := []string{"ApplicationStop", "DownloadBundle", "BeforeInstall", "Install", "AfterInstall", "ApplicationStart", "ValidateService"}
	events := make([]Event, len(names))
	for i, n := range names {
		start := from + float64(i)*4
		events[i] = Event{Name: n, Status: "Succeeded", Start: at(start), End: at(start + 3.5)}
	}
	if status != "Succeeded" {
		events[4].Status = status
		events[5] = Event{Name: events[5].Name, Status: "Skipped"}
		events[6] = Event{Name: events[6].Name, Status: "Skipped"}
	}
	return events
}

func TestMarkdown(t *testing.T) {
	t.Parallel()
	for name, res := range summaryCases() {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got := Markdown(res)
			path := filepath.Join("..", "..", "testdata", "summaries", name+".md")
			if *update {
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("reading the golden file (run with -update to write it): %v", err)
			}
			if got != string(want) {
				t.Errorf("Markdown() differs from %s (run with -update to accept):\n%s", path, diffLines(string(want), got))
			}
		})
	}
}

// summaryCases are the runs the summaries' tests render, by golden file name.
func summaryCases() map[string]*Result {
	return map[string]*Result{
		"several-targets": severalTargets(),
		"deployed-server": {
			Outcome: OutcomeDeployed, Start: t0, End: at(205),
			Secrets: []string{"DB_PASSWORD", "STRIPE_KEY"},
			Image:   testImage(true),
			Deploy: &Deployment{
				ID: "d-A1B2C3D4E", URL: consoleURL("eu-west-1", "d-A1B2C3D4E"),
				Service: "CodeDeploy", Where: where("shop", "web-prod", "CodeDeployDefault.OneAtATime", "Server"),
				Status: "Succeeded", What: what("", "", "s3://shop-revisions/web/5d41402abc4b2a76.zip"),
				Targets: []Target{
					{ID: "i-0a1b2c3d4e5f60718", Label: "Green", Status: "Succeeded", Events: append(serverEvents("Succeeded", 70),
						Event{Name: "BeforeAllowTraffic", Status: "Succeeded", Start: at(100), End: at(101)},
						Event{Name: "AllowTraffic", Status: "Succeeded", Start: at(101), End: at(131)},
						Event{Name: "AfterAllowTraffic", Status: "Succeeded", Start: at(131), End: at(132)},
					)},
					{ID: "i-0f9e8d7c6b5a40312", Label: "Blue", Status: "Succeeded", Events: []Event{
						{Name: "BeforeBlockTraffic", Status: "Succeeded", Start: at(132), End: at(133)},
						{Name: "BlockTraffic", Status: "Succeeded", Start: at(133), End: at(163)},
						{Name: "AfterBlockTraffic", Status: "Succeeded", Start: at(163), End: at(164)},
					}},
				},
			},
			Timeline: []Span{
				{Name: "secrets", Start: at(0.2), End: at(0.9)},
				{Name: "build", Start: at(1), End: at(48)},
				{Name: "push", Start: at(48), End: at(61)},
				{Name: "deployment: install", Start: at(68), End: at(100)},
				{Name: "traffic shift", Start: at(100), End: at(132)},
				{Name: "termination wait", Start: at(164), End: at(204)},
			},
			GitHub: &GitHubDeployment{ID: 1234567, Environment: "production", URL: "https://shop.example.com", State: "success"},
		},
		"rolled-back-ecs": {
			Outcome: OutcomeRolledBack, Start: t0, End: at(142),
			Image: testImage(false),
			Err:   errors.New("deployment d-B2C3D4E5F failed: HOOK_EXECUTION_FAILURE: lifecycle event AfterAllowTestTraffic failed"),
			Deploy: &Deployment{
				ID: "d-B2C3D4E5F", URL: consoleURL("us-east-1", "d-B2C3D4E5F"),
				Service: "CodeDeploy", Where: where("shop", "api-ecs", "CodeDeployDefault.ECSAllAtOnce", "ECS"),
				Status: "Failed", RollbackID: "d-C3D4E5F6G", ErrorCode: "HOOK_EXECUTION_FAILURE",
				ErrorMessage: "The deployment failed because one or more lifecycle event hooks failed.",
				What:         what("arn:aws:ecs:us-east-1:123456789012:task-definition/api:42", "", "sha256:7c4a8d09ca3762af61e59520943dc26494f8941b"),
				Targets: []Target{{ID: "shop-cluster:api", Status: "Failed", Events: []Event{
					{Name: "BeforeInstall", Status: "Succeeded", Start: at(20), End: at(21)},
					{Name: "Install", Status: "Succeeded", Start: at(21), End: at(80)},
					{Name: "AfterInstall", Status: "Succeeded", Start: at(80), End: at(82)},
					{Name: "AllowTestTraffic", Status: "Succeeded", Start: at(82), End: at(83)},
					{Name: "AfterAllowTestTraffic", Status: "Failed", Start: at(83), End: at(125)},
					{Name: "BeforeAllowTraffic", Status: "Skipped"},
					{Name: "AllowTraffic", Status: "Skipped"},
					{Name: "AfterAllowTraffic", Status: "Skipped"},
				}}},
				Failure: &Diagnostics{
					Target: "shop-cluster:api", Event: "AfterAllowTestTraffic", ErrorCode: "ScriptFailed",
					Script:  "arn:aws:lambda:us-east-1:123456789012:function:smoke-test",
					Message: "smoke test: GET /health returned 503 <Service Unavailable>",
					LogTail: "GET /health\n503 Service Unavailable\nretrying in 5s\nGET /health\n503 Service Unavailable\n```\ngave up after 6 tries",
					File:    "deploy/appspec.yml", Line: 12,
				},
			},
			Timeline: []Span{
				{Name: "deployment", Start: at(20), End: at(125)},
				{Name: "rollback", Start: at(125), End: at(141)},
			},
			GitHub: &GitHubDeployment{ID: 77, Environment: "staging", State: "failure"},
		},
		"build-failed": {
			Outcome: OutcomeFailed, Start: t0, End: at(23.4),
			Secrets:  []string{"NPM_TOKEN"},
			Err:      &FileError{File: "Dockerfile", Line: 7, Err: errors.New(`building the image: RUN npm ci: exit code 1`)},
			Timeline: []Span{{Name: "secrets", Start: at(0.1), End: at(0.6)}, {Name: "build", Start: at(0.7), End: at(23.3)}},
		},
		"paused-at-ready": {
			Outcome: OutcomePaused, Start: t0, End: at(95),
			Image: testImage(false),
			Deploy: &Deployment{
				ID: "d-D4E5F6G7H", URL: consoleURL("eu-central-1", "d-D4E5F6G7H"),
				Service: "CodeDeploy", Where: where("shop", "api-ecs", "CodeDeployDefault.ECSLinear10PercentEvery1Minutes", "ECS"),
				Status: "Ready",
				What:   what("arn:aws:ecs:eu-central-1:123456789012:task-definition/api:43", "", ""),
				Targets: []Target{{ID: "shop-cluster:api", Status: "Ready", Events: []Event{
					{Name: "BeforeInstall", Status: "Succeeded", Start: at(10), End: at(11)},
					{Name: "Install", Status: "Succeeded", Start: at(11), End: at(70)},
					{Name: "AfterInstall", Status: "Succeeded", Start: at(70), End: at(71)},
					{Name: "AllowTestTraffic", Status: "Succeeded", Start: at(71), End: at(72)},
					{Name: "AfterAllowTestTraffic", Status: "Succeeded", Start: at(72), End: at(94)},
					{Name: "BeforeAllowTraffic", Status: "Pending"},
				}}},
			},
			GitHub: &GitHubDeployment{ID: 78, Environment: "staging", URL: "https://staging.example.com", State: "success"},
		},
		"traffic-shifted": {
			Outcome: OutcomeShifted, Start: t0, End: at(80),
			Image: testImage(false),
			Deploy: &Deployment{
				ID: "d-G7H8I9J0K", URL: consoleURL("eu-central-1", "d-G7H8I9J0K"),
				Service: "CodeDeploy", Where: where("shop", "api-ecs", "CodeDeployDefault.ECSAllAtOnce", "ECS"),
				Status: StatusTrafficShifted, TerminationWaitEnds: at(3680),
				Targets: []Target{{ID: "shop-cluster:api", Status: "InProgress", Events: []Event{
					{Name: "Install", Status: "Succeeded", Start: at(10), End: at(60)},
					{Name: "AllowTraffic", Status: "Succeeded", Start: at(61), End: at(75)},
					{Name: "AfterAllowTraffic", Status: "InProgress", Start: at(76)},
				}}},
			},
		},
		"cancelled": {
			Outcome: OutcomeCancelled, Start: t0, End: at(61),
			Image: testImage(true),
			Err:   errors.New("watching deployment d-E5F6G7H8I: context canceled"),
			Deploy: &Deployment{
				ID: "d-E5F6G7H8I", URL: consoleURL("eu-west-1", "d-E5F6G7H8I"),
				Service: "CodeDeploy", Where: where("shop", "web-prod", "", "Server"),
				Status: "Stopped", RollbackID: "d-F6G7H8I9J",
				Targets: []Target{{ID: "i-0a1b2c3d4e5f60718", Label: "Green", Status: "InProgress", Events: []Event{
					{Name: "ApplicationStop", Status: "Succeeded", Start: at(40), End: at(41)},
					{Name: "DownloadBundle", Status: "InProgress", Start: at(41)},
				}}},
			},
			Timeline: []Span{{Name: "build", Start: at(1), End: at(30)}, {Name: "push", Start: at(30), End: at(38)}, {Name: "deployment", Start: at(39)}},
			GitHub:   &GitHubDeployment{ID: 79, Environment: "production", State: "error"},
		},
		"secrets-and-build-only": {
			Outcome: OutcomeDone, Start: t0, End: at(52.6),
			Secrets:  []string{"API_KEY", "DB_URL", "SENTRY_DSN"},
			Image:    testImage(true),
			Timeline: []Span{{Name: "secrets", Start: at(0.1), End: at(0.4)}, {Name: "build", Start: at(0.5), End: at(40)}, {Name: "push", Start: at(40), End: at(52.5)}},
		},
		"failed-without-rollback": {
			Outcome: OutcomeFailed, Start: t0, End: at(75),
			Err: errors.New("deployment d-J0K1L2M3N ended Failed: HOOK_EXECUTION_FAILURE: one or more lifecycle events failed (AfterInstall on Green i-0a1b2c3d4e5f60718, script scripts/health.sh, ScriptFailed)"),
			Deploy: &Deployment{
				ID: "d-J0K1L2M3N", Service: "CodeDeploy", Where: where("shop", "web-prod", "", "Server"), Status: "Failed", ErrorCode: "HOOK_EXECUTION_FAILURE",
				Targets: []Target{{ID: "i-0a1b2c3d4e5f60718", Label: "Green", Status: "Failed", Events: serverEvents("Failed", 10)}},
				Failure: &Diagnostics{
					Target: "Green i-0a1b2c3d4e5f60718", Event: "AfterInstall", ErrorCode: "ScriptFailed", Script: "scripts/health.sh",
					Message: "Script at specified location: scripts/health.sh run as user root failed with exit code 7",
					LogTail: "[stdout]checking http://localhost:8080/healthz\n[stderr]curl: (7) Failed to connect to localhost port 8080\n",
					File:    "deploy/scripts/health.sh",
				},
			},
		},
		"created-without-waiting": {
			Outcome: OutcomeDone, Start: t0, End: at(9.2),
			Image: testImage(false),
			Deploy: &Deployment{
				ID: "d-K1L2M3N4O", URL: consoleURL("eu-west-1", "d-K1L2M3N4O"),
				Service: "CodeDeploy", Where: where("shop", "web-prod", "", "Server"), Status: "Created",
				What: what("", "", "s3://shop-revisions/web/5d41402abc4b2a76.zip"),
			},
			Timeline: []Span{{Name: "revision", Start: at(0.3), End: at(8.7)}},
		},
		"secrets-only": {
			Outcome: OutcomeDone, Start: t0, End: at(0.8),
			Secrets: []string{"DB_PASSWORD"},
		},
		"timed-out": {
			Outcome: OutcomeTimedOut, Start: t0, End: at(1830),
			Err: errors.New("waiting for deployment d-G7H8I9J0K: timeout 30m0s: context deadline exceeded"),
			Deploy: &Deployment{
				ID: "d-G7H8I9J0K", URL: consoleURL("eu-west-1", "d-G7H8I9J0K"),
				Service: "CodeDeploy", Where: where("shop", "web-prod", "", "Server"), Status: "Stopped", RollbackID: "d-H8I9J0K1L",
			},
		},
	}
}

// diffLines shows the first differing line of want and got.
func diffLines(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < max(len(w), len(g)); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			return fmt.Sprintf("line %d:\n want: %s\n  got: %s", i+1, wl, gl)
		}
	}
	return ""
}

func TestDeploymentPhases(t *testing.T) {
	t.Parallel()
	d := &Deployment{Targets: []Target{
		{ID: "i-1", Events: []Event{{Name: "Install", Start: at(10), End: at(20)}, {Name: "AllowTraffic", Start: at(30), End: at(31)}, {Name: "ValidateService"}}},
		{ID: "i-2", Events: []Event{{Name: "Install", Start: at(5), End: at(25)}, {Name: "AllowTraffic", Start: at(32)}}},
	}}
	got := deploymentPhases(d)
	want := []Span{{Name: "Install", Start: at(5), End: at(25)}, {Name: "AllowTraffic", Start: at(30)}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("deploymentPhases() = %v, want %v", got, want)
	}
}

func TestFormatting(t *testing.T) {
	t.Parallel()
	durations := map[time.Duration]string{
		-time.Second:                          "0.0s",
		840 * time.Millisecond:                "0.8s",
		42*time.Second + 400*time.Millisecond: "42s",
		3*time.Minute + 5*time.Second:         "3m 05s",
		62*time.Minute + 40*time.Second:       "1h 03m",
	}
	for d, want := range durations {
		if got := formatDuration(d); got != want {
			t.Errorf("formatDuration(%v) = %q, want %q", d, got, want)
		}
	}
	spans := map[string]string{"": "", "d-1": "`d-1`", "a`b": "``a`b``", "`x": "`` `x ``", "two\nlines": "`two lines`"}
	for s, want := range spans {
		if got := codeSpan(s); got != want {
			t.Errorf("codeSpan(%q) = %q, want %q", s, got, want)
		}
	}
	if got, want := escape("a|b *c* <br> [x](y)"), `a\|b \*c\* &lt;br&gt; \[x\](y)`; got != want {
		t.Errorf("escape() = %q, want %q", got, want)
	}
	if got, want := ganttName("deployment: Baking #2;\nnow"), "deployment Baking 2 now"; got != want {
		t.Errorf("ganttName() = %q, want %q", got, want)
	}
}

// consoleURL is a CodeDeploy deployment's console link, as the codedeploy
// platform makes it.
func consoleURL(region, id string) string {
	return fmt.Sprintf("https://%s.console.aws.amazon.com/codesuite/codedeploy/deployments/%s?region=%s", region, id, region)
}

// where and what are a CodeDeploy deployment's facts, as the codedeploy
// platform gives them.
func where(app, group, config, platform string) []Fact {
	return []Fact{{Label: "Application", Value: app}, {Label: "Group", Value: group}, {Label: "Config", Value: config}, {Label: "Platform", Value: platform, Plain: true}}
}

func what(taskDefinition, lambdaVersion, revision string) []Fact {
	return []Fact{
		{Label: "Task definition", Value: taskDefinition, Output: "task-definition-arn"},
		{Label: "Lambda version", Value: lambdaVersion, Output: "lambda-version"},
		{Label: "Revision", Value: revision, Output: "revision-location"},
	}
}
