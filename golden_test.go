package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim/awssimtest"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/config"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/pipeline"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/runs")

// goldenRun is one whole run of the action against a seeded sandbox.
type goldenRun struct {
	scenario string          // file under testdata/sandbox; empty: an empty sandbox
	extra    awssim.Scenario // applied after it
	image    bool            // push an image to ECR repository web and deploy it by the image input
	inputs   map[string]string
	// setup prepares the sandbox after the scenario and returns more inputs.
	setup func(t *testing.T, sb *awssimtest.Sandbox) map[string]string
}

// TestGoldenRuns runs the action in-process against the sandbox and compares
// what the workflow and AWS saw with testdata/runs/<name>.txt: exit code,
// outputs, annotations, job summary and the sandbox's calls, with what varies
// between runs masked (see mask). Rewrite the files with
// go test -run TestGoldenRuns -update .
func TestGoldenRuns(t *testing.T) {
	t.Parallel()
	runs := map[string]goldenRun{
		"server-success": {
			scenario: "server.yaml", image: true,
			inputs: map[string]string{
				"codedeploy-application": "web", "codedeploy-deployment-group": "bg",
				"s3-bucket": "web-bundles", "container-port": "8080", "health-check-path": "/healthz",
				"secrets": "API_TOKEN,web/token",
			},
		},
		"ecs-rollback": {
			scenario: "ecs.yaml", image: true,
			extra: awssim.Scenario{Lifecycle: []awssim.LifecycleFault{{
				Application: "api", DeploymentGroup: "linear", Event: "AfterAllowTestTraffic",
				Message: "smoke test: GET /healthz on the test listener returned 503",
			}}},
			inputs: map[string]string{
				"codedeploy-application": "api", "codedeploy-deployment-group": "linear",
				"secrets": "API_DB,api/db\nAPI_TOKEN,api/token", "parse-json-secrets": "true",
				"appspec": "testdata/appspecs/hooks.yaml",
			},
		},
		"lambda-success": {
			scenario: "lambda.yaml", setup: lambdaFunction,
			inputs: map[string]string{
				"codedeploy-application": "fn", "codedeploy-deployment-group": "canary",
				"lambda-function": "web", "appspec": "testdata/appspecs/lambda-hooks.yaml",
			},
		},
		"secrets-only": {
			extra: awssim.Scenario{Seed: []awssim.SeedCall{{
				Service: "secretsmanager", Operation: "CreateSecret",
				Input: map[string]any{"Name": "app/db", "SecretString": `{"user":"app","password":"db-VALUE-never-logged"}`},
			}}},
			inputs: map[string]string{"secrets": "DB,app/db", "parse-json-secrets": "true"},
		},
		"bad-input": {
			inputs: map[string]string{
				"secrets": "DB,prod/db\nab*", "ecr-repository": "team/app", "codedeploy-application": "app",
				"codedeploy-deployment-group": "app-prod", "timeout": "90x", "on-ready": "later",
			},
		},
	}
	for name, r := range runs {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got := r.record(t)
			path := filepath.Join("testdata", "runs", name+".txt")
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
				t.Errorf("the run differs from %s (run with -update to accept):\n%s", path, diffLines(string(want), got))
			}
		})
	}
}

// record runs the action and returns the run's record, masked.
func (r goldenRun) record(t *testing.T) string {
	t.Helper()
	// A day of simulated time per wall millisecond: every deployment has
	// reached its end by the driver's first poll.
	sb := awssimtest.Start(t, awssim.Options{TimeScale: 86400e3})
	if r.scenario != "" {
		sc, err := awssim.LoadScenario(filepath.Join("testdata", "sandbox", r.scenario))
		if err != nil {
			t.Fatal(err)
		}
		if err := sb.Apply(sc); err != nil {
			t.Fatal(err)
		}
	}
	if err := sb.Apply(r.extra); err != nil {
		t.Fatal(err)
	}
	inputs := r.inputs
	if r.image {
		inputs = map[string]string{"image": sb.PushImage(t, "web")}
		for k, v := range r.inputs {
			inputs[k] = v
		}
	}
	if r.setup != nil {
		inputs = maps.Clone(inputs)
		maps.Copy(inputs, r.setup(t, sb))
	}
	before := len(sb.Calls())

	dir := t.TempDir()
	ws, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	env := sb.Env()
	for k, v := range map[string]string{
		"GITHUB_ACTIONS":      "true",
		"GITHUB_OUTPUT":       filepath.Join(dir, "output"),
		"GITHUB_ENV":          filepath.Join(dir, "env"),
		"GITHUB_STEP_SUMMARY": filepath.Join(dir, "summary"),
		"GITHUB_WORKSPACE":    ws,
		"GITHUB_REPOSITORY":   "octo/app",
		"GITHUB_SHA":          "0123456789abcdef0123456789abcdef01234567",
	} {
		env[k] = v
	}
	for k, v := range inputs {
		env[config.InputKey(k)] = v
	}
	var stdout bytes.Buffer
	code := run(context.Background(), nil, pipeline.Env{Getenv: func(k string) string { return env[k] }, Stdout: &stdout})
	read := func(name string) string {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			t.Fatal(err)
		}
		return string(b)
	}

	var b strings.Builder
	fmt.Fprintf(&b, "== exit\n%d\n", code)
	b.WriteString("\n== outputs\n" + outputLines(t, read("output")))
	b.WriteString("\n== annotations\n")
	for _, line := range strings.Split(stdout.String(), "\n") {
		if strings.HasPrefix(line, "::error") || strings.HasPrefix(line, "::warning") || strings.HasPrefix(line, "::notice") {
			b.WriteString(line + "\n")
		}
	}
	b.WriteString("\n== summary\n" + read("summary"))
	b.WriteString("\n== calls\n" + callLines(sb.Calls()[before:]))
	return mask(b.String(), sb.Host)
}

// lambdaFunction makes the function web on fn:v1, publishes version 1 and
// points the alias live at it, and returns the image input: fn:v2.
func lambdaFunction(t *testing.T, sb *awssimtest.Sandbox) map[string]string {
	ctx := context.Background()
	api := lambda.NewFromConfig(sb.Config())
	_, err := api.CreateFunction(ctx, &lambda.CreateFunctionInput{
		FunctionName: aws.String("web"), PackageType: lambdatypes.PackageTypeImage,
		Role: aws.String("arn:aws:iam::123456789012:role/web"), Code: &lambdatypes.FunctionCode{ImageUri: aws.String(sb.PushImageTag(t, "fn", "v1"))},
	})
	if err == nil {
		_, err = api.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String("web")})
	}
	if err == nil {
		_, err = api.CreateAlias(ctx, &lambda.CreateAliasInput{FunctionName: aws.String("web"), Name: aws.String("live"), FunctionVersion: aws.String("1")})
	}
	if err != nil {
		t.Fatal(err)
	}
	return map[string]string{"image": sb.PushImageTag(t, "fn", "v2")}
}

// outputLines writes a GITHUB_OUTPUT file (NAME<<DELIMITER blocks) as
// name=value lines in the order written, continuation lines indented.
func outputLines(t *testing.T, file string) string {
	t.Helper()
	var b strings.Builder
	lines := strings.Split(file, "\n")
	for i := 0; i < len(lines); i++ {
		if lines[i] == "" {
			continue
		}
		name, delim, ok := strings.Cut(lines[i], "<<")
		if !ok {
			t.Fatalf("line %d of GITHUB_OUTPUT is not NAME<<DELIMITER: %q", i+1, lines[i])
		}
		end := slices.Index(lines[i+1:], delim)
		if end < 0 {
			t.Fatalf("no closing %s for %s in GITHUB_OUTPUT", delim, name)
		}
		b.WriteString(name + "=" + strings.Join(lines[i+1:i+1+end], "\n  ") + "\n")
		i += end + 1
	}
	return b.String()
}

// polled are the operations the driver repeats until a deployment moves.
var polled = map[string]bool{"codedeploy GetDeployment 200": true}

// callLines lists the calls as "service Operation status". How often the
// driver polls depends on the wall clock against the sandbox's, so a run of
// one or more consecutive polled calls is one line marked (repeated).
func callLines(calls []awssim.Call) string {
	var b strings.Builder
	prev := ""
	for _, c := range calls {
		line := fmt.Sprintf("%s %s %d", c.Service, c.Operation, c.Status)
		switch {
		case polled[line] && line == prev:
		case polled[line]:
			b.WriteString(line + " (repeated)\n")
		default:
			b.WriteString(line + "\n")
		}
		prev = line
	}
	return b.String()
}

var (
	deploymentID = regexp.MustCompile(`\bd-[0-9A-Z]{9}\b`)
	instanceID   = regexp.MustCompile(`\bi-[0-9a-f]{17}\b`)
	// The Server bundle's name is its content's hash, and its deploy.env
	// holds the image URI with the sandbox's port.
	bundleHash = regexp.MustCompile(`\bbundle-[0-9a-f]{64}\b`)
	// The timeline's times (milliseconds since the run's start) and the
	// scale of CodeDeploy's clock on it.
	ganttTimes = regexp.MustCompile(`(?m)^(    .+ :(?:crit, )?)\d+, \d+$`)
	ganttScale = regexp.MustCompile(`scaled by 1/\d+`)
	// The headline's and duration-seconds' wall durations.
	headline = regexp.MustCompile(`(?m)^(## .+ (?:in|after) )[0-9][0-9hm .]*s$`)
	seconds  = regexp.MustCompile(`(?m)^duration-seconds=\d+$`)
)

// mask replaces what differs between runs with placeholders: the sandbox's
// address, deployment ids (numbered by first appearance, so a rollback
// stays told apart), instance ids, the bundle hash and wall times.
func mask(s, host string) string {
	s = strings.ReplaceAll(s, host, "SANDBOX")
	ids := map[string]string{}
	s = deploymentID.ReplaceAllStringFunc(s, func(id string) string {
		if ids[id] == "" {
			ids[id] = fmt.Sprintf("d-ID%d", len(ids)+1)
		}
		return ids[id]
	})
	s = instanceID.ReplaceAllString(s, "i-ID")
	s = bundleHash.ReplaceAllString(s, "bundle-HASH")
	s = ganttTimes.ReplaceAllString(s, "${1}T, T")
	s = ganttScale.ReplaceAllString(s, "scaled by 1/N")
	s = headline.ReplaceAllString(s, "${1}DURATION")
	s = seconds.ReplaceAllString(s, "duration-seconds=N")
	return sortLifecycle(sortTargets(s))
}

// sortLifecycle sorts the timeline's lifecycle events, which the action
// lists in the order of their first target, by instance id; their times are
// masked, so their order says nothing.
func sortLifecycle(s string) string {
	start := strings.Index(s, "section Lifecycle events")
	if start < 0 {
		return s
	}
	start += strings.Index(s[start:], "\n") + 1
	end := start + strings.Index(s[start:], "```")
	lines := strings.SplitAfter(s[start:end], "\n")
	slices.Sort(lines)
	return s[:start] + strings.Join(lines, "") + s[end:]
}

// sortTargets sorts the summary's target sections ("#### ..." up to the
// next heading), which the action orders by instance id, random in the
// sandbox.
func sortTargets(s string) string {
	start := strings.Index(s, "\n### Targets\n")
	if start < 0 {
		return s
	}
	start += len("\n### Targets\n")
	end := start + strings.Index(s[start:], "\n### ")
	blocks := strings.SplitAfter(s[start:end], "\n#### ")
	// SplitAfter leaves each "#### " at the end of the block before it.
	for i := range blocks {
		blocks[i] = strings.TrimSuffix(blocks[i], "\n#### ")
	}
	head, targets := blocks[0], blocks[1:]
	slices.Sort(targets)
	return s[:start] + head + "\n#### " + strings.Join(targets, "\n#### ") + s[end:]
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
