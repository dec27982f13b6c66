package config_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/config"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/platform/codedeploy"
)

// workspace makes a workspace with an app to build, a bundle and a task
// definition, and a symlink that leads out of it.
func workspace(t testing.TB) string {
	t.Helper()
	ws := t.TempDir()
	for _, dir := range []string{"app", "bundle"} {
		if err := os.MkdirAll(filepath.Join(ws, dir), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range []string{"app/Dockerfile", "bundle/appspec.yml", "taskdef.json"} {
		if err := os.WriteFile(filepath.Join(ws, f), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(os.TempDir(), filepath.Join(ws, "escape")); err != nil {
		t.Fatal(err)
	}
	return ws
}

// env returns a getenv over the inputs (by name) and config.GitHub variables.
func env(ws string, inputs map[string]string) func(string) string {
	m := map[string]string{
		"GITHUB_WORKSPACE": ws,
		"GITHUB_SHA":       "0123456789abcdef0123456789abcdef01234567",
		"AWS_REGION":       "eu-west-1",
	}
	for k, v := range inputs {
		if strings.HasPrefix(k, "GITHUB_") || strings.HasPrefix(k, "AWS_") || strings.HasPrefix(k, "DOCKER_") {
			m[k] = v
			continue
		}
		m[config.InputKey(k)] = v
	}
	return func(k string) string { return m[k] }
}

// merge returns base with more on top.
func merge(base map[string]string, more map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range base {
		out[k] = v
	}
	for k, v := range more {
		out[k] = v
	}
	return out
}

var (
	build  = map[string]string{"ecr-repository": "team/app", "context": "app"}
	deploy = map[string]string{"ecr-repository": "team/app", "context": "app", "codedeploy-application": "app", "codedeploy-deployment-group": "app-prod"}
)

func TestLoadValid(t *testing.T) {
	t.Parallel()
	ws := workspace(t)
	tests := []struct {
		name   string
		inputs map[string]string
		check  func(t *testing.T, c *config.Config)
	}{
		{"secrets only", map[string]string{"secrets": "DB,prod/db\nprod/app/*\narn:aws:secretsmanager:us-west-2:123456789012:secret:x-AbCdEf", "parse-json-secrets": "true"}, func(t *testing.T, c *config.Config) {
			if !c.SecretsEnabled() || c.BuildEnabled() || c.DeployEnabled() {
				t.Errorf("stages = %v %v %v, want secrets only", c.SecretsEnabled(), c.BuildEnabled(), c.DeployEnabled())
			}
			want := []config.SecretSpec{{Alias: "DB", ID: "prod/db"}, {ID: "prod/app/", Prefix: true}, {ID: "arn:aws:secretsmanager:us-west-2:123456789012:secret:x-AbCdEf"}}
			if len(c.Secrets.Specs) != len(want) {
				t.Fatalf("specs = %+v, want %+v", c.Secrets.Specs, want)
			}
			for i := range want {
				if c.Secrets.Specs[i] != want[i] {
					t.Errorf("spec %d = %+v, want %+v", i, c.Secrets.Specs[i], want[i])
				}
			}
			if got := c.Secrets.Specs[2].Region(); got != "us-west-2" {
				t.Errorf("ARN region = %q, want us-west-2", got)
			}
			if !c.Secrets.ParseJSON {
				t.Error("ParseJSON = false, want true")
			}
		}},
		{"plan", merge(build, map[string]string{"command": "plan", "codedeploy-application": "web", "codedeploy-deployment-group": "prod", "s3-bucket": "web-bundles"}), func(t *testing.T, c *config.Config) {
			if c.Command != config.CommandPlan || !c.Takes() || !c.DeployEnabled() || c.Deploys() || !c.NeedsAWS() {
				t.Errorf("command %q: takes %v, deploy enabled %v, deploys %v, needs AWS %v; want plan, true, true, false, true",
					c.Command, c.Takes(), c.DeployEnabled(), c.Deploys(), c.NeedsAWS())
			}
		}},
		{"build with defaults", build, func(t *testing.T, c *config.Config) {
			if got, want := c.Image.Tags, []string{"0123456789abcdef0123456789abcdef01234567"}; len(got) != 1 || got[0] != want[0] {
				t.Errorf("tags = %v, want %v (the commit SHA)", got, want)
			}
			if c.Build.Dockerfile != filepath.Join(ws, "app", "Dockerfile") {
				t.Errorf("dockerfile = %q, want app/Dockerfile in the workspace", c.Build.Dockerfile)
			}
			if !c.Image.SkipExisting || c.Image.CreateRepository || c.Build.NoCache {
				t.Errorf("skip-existing/create-repository/no-cache = %v/%v/%v, want true/false/false", c.Image.SkipExisting, c.Image.CreateRepository, c.Build.NoCache)
			}
		}},
		{"build args and tags", merge(build, map[string]string{"image-tags": "v1, latest\nrc", "build-args": "A=1\nB=x=y", "labels": "team=core"}), func(t *testing.T, c *config.Config) {
			if got := strings.Join(c.Image.Tags, " "); got != "v1 latest rc" {
				t.Errorf("tags = %q, want v1 latest rc", got)
			}
			if len(c.Build.Args) != 2 || c.Build.Args[1] != (config.KeyValue{"B", "x=y"}) {
				t.Errorf("build args = %v", c.Build.Args)
			}
		}},
		{"deploy everything", merge(deploy, map[string]string{"timeout": "45m", "on-ready": "pause", "on-active-deployment": "stop", "container-port": "8080", "bundle": "bundle", "s3-bucket": "my-bundles", "wait": "True", "health-check-timeout": "90s"}), func(t *testing.T, c *config.Config) {
			d := c.Deploy
			if d.HealthTimeout != 90*time.Second {
				t.Errorf("health-check-timeout = %v, want 90s", d.HealthTimeout)
			}
			if d.Timeout != 45*time.Minute || d.OnReady != config.ReadyPause || d.OnActive != config.ActiveStop || d.ContainerPort != 8080 || !d.Wait {
				t.Errorf("deploy = %+v", d)
			}
			if d.Bundle != filepath.Join(ws, "bundle") {
				t.Errorf("bundle = %q, want the absolute path", d.Bundle)
			}
		}},
		{"wait traffic-shifted", merge(deploy, map[string]string{"wait": "traffic-shifted"}), func(t *testing.T, c *config.Config) {
			if !c.Deploy.Wait || !c.Deploy.UntilTrafficShifted {
				t.Errorf("wait/until traffic shifted = %v/%v, want true/true", c.Deploy.Wait, c.Deploy.UntilTrafficShifted)
			}
		}},
		{"existing image", map[string]string{"image": "123456789012.dkr.ecr.eu-west-1.amazonaws.com/app@sha256:" + strings.Repeat("a", 64), "codedeploy-application": "app", "codedeploy-deployment-group": "g", "task-definition": "taskdef.json"}, func(t *testing.T, c *config.Config) {
			if c.BuildEnabled() || !c.DeployEnabled() {
				t.Error("want deploy without build")
			}
		}},
		{"lambda", merge(deploy, map[string]string{"lambda-function": "arn:aws:lambda:eu-west-1:123456789012:function:web"}), func(t *testing.T, c *config.Config) {
			if d := c.Deploy; d.LambdaFunction != "arn:aws:lambda:eu-west-1:123456789012:function:web" || d.LambdaAlias != "live" {
				t.Errorf("lambda-function %q, lambda-alias %q; want the ARN and live", d.LambdaFunction, d.LambdaAlias)
			}
		}},
		{"continue", map[string]string{"command": "continue", "deployment-id": "d-ABCDEF123"}, func(t *testing.T, c *config.Config) {
			if c.Command != config.CommandContinue || c.DeploymentID != "d-ABCDEF123" {
				t.Errorf("command = %q %q", c.Command, c.DeploymentID)
			}
		}},
		{"region from AWS_DEFAULT_REGION", map[string]string{"secrets": "x/y", "AWS_REGION": "", "AWS_DEFAULT_REGION": "ap-south-1"}, func(t *testing.T, c *config.Config) {
			if c.AWS.Region != "ap-south-1" {
				t.Errorf("region = %q", c.AWS.Region)
			}
		}},
		{"region input wins", map[string]string{"secrets": "x/y", "aws-region": "us-gov-west-1"}, func(t *testing.T, c *config.Config) {
			if c.AWS.Region != "us-gov-west-1" {
				t.Errorf("region = %q", c.AWS.Region)
			}
		}},
		{"engine address", merge(build, map[string]string{"DOCKER_HOST": "tcp://127.0.0.1:2375"}), func(t *testing.T, c *config.Config) {
			if c.Build.DockerHost != "tcp://127.0.0.1:2375" {
				t.Errorf("docker host = %q, want DOCKER_HOST", c.Build.DockerHost)
			}
		}},
		{"token default outside Actions", map[string]string{"secrets": "x/y", "github-token": "${{ github.token }}", "GITHUB_TOKEN": "ghs_x"}, func(t *testing.T, c *config.Config) {
			if c.GitHub.Token != "ghs_x" {
				t.Errorf("token = %q, want GITHUB_TOKEN", c.GitHub.Token)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := config.Load(env(ws, tt.inputs), platforms)
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			tt.check(t, c)
		})
	}
}

func TestLoadInvalid(t *testing.T) {
	t.Parallel()
	ws := workspace(t)
	arn := "arn:aws:secretsmanager:us-east-1:123456789012:secret:"
	tests := []struct {
		name   string
		inputs map[string]string
		input  string // the input the error must name
		want   string // a fragment of the problem
	}{
		{"unknown command", map[string]string{"command": "deploy-now"}, "command", "not one of"},
		{"nothing to do", map[string]string{}, "command", "nothing to do"},
		{"continue without id", map[string]string{"command": "continue"}, "deployment-id", "required"},
		{"stop without id", map[string]string{"command": "stop"}, "deployment-id", "required"},
		{"bad deployment id", map[string]string{"command": "status", "deployment-id": "d-123"}, "deployment-id", "not a CodeDeploy deployment id"},
		{"deployment id with deploy", merge(build, map[string]string{"deployment-id": "d-ABCDEF123"}), "deployment-id", "only used with"},
		{"deployment id with plan", merge(build, map[string]string{"command": "plan", "deployment-id": "d-ABCDEF123"}), "deployment-id", "only used with command continue, stop or status (command is plan)"},
		{"plan of nothing", map[string]string{"command": "plan"}, "command", "plan has nothing to do"},
		{"no region", map[string]string{"secrets": "a/b", "AWS_REGION": ""}, "aws-region", "required"},
		{"bad region", map[string]string{"secrets": "a/b", "aws-region": "Europe"}, "aws-region", "not an AWS region"},
		{"bad role", map[string]string{"secrets": "a/b", "role-to-assume": "deploy"}, "role-to-assume", "not an IAM role ARN"},
		{"bad session name", map[string]string{"secrets": "a/b", "role-session-name": "a b"}, "role-session-name", "2-64"},
		{"role duration too short", map[string]string{"secrets": "a/b", "role-duration-seconds": "60"}, "role-duration-seconds", "from 900 to 43200"},
		{"role duration not a number", map[string]string{"secrets": "a/b", "role-duration-seconds": "1h"}, "role-duration-seconds", "whole number"},
		{"short prefix", map[string]string{"secrets": "ab*"}, "secrets", "at least 3 characters"},
		{"star inside", map[string]string{"secrets": "a*b"}, "secrets", "only at the end"},
		{"prefix ARN", map[string]string{"secrets": arn + "app*"}, "secrets", "not an ARN"},
		{"bad secret name", map[string]string{"secrets": "has space"}, "secrets", "1-512"},
		{"bad alias", map[string]string{"secrets": "1DB,prod/db"}, "secrets", "alias"},
		{"empty id after alias", map[string]string{"secrets": "DB,"}, "secrets", "no secret id"},
		{"bad ARN", map[string]string{"secrets": "arn:aws:s3:::bucket"}, "secrets", "not a Secrets Manager secret ARN"},
		{"bad boolean", map[string]string{"secrets": "a/b", "parse-json-secrets": "yes"}, "parse-json-secrets", "not a boolean"},
		{"export without secrets", merge(build, map[string]string{"export-secrets": "true"}), "export-secrets", "without secrets"},
		{"parse without secrets", merge(build, map[string]string{"parse-json-secrets": "true"}), "parse-json-secrets", "without secrets"},
		{"bad repository", merge(build, map[string]string{"ecr-repository": "Team/App"}), "ecr-repository", "not an ECR repository name"},
		{"repository too short", merge(build, map[string]string{"ecr-repository": "a"}), "ecr-repository", "not an ECR repository name"},
		{"bad tag", merge(build, map[string]string{"image-tags": "v1\n.hidden"}), "image-tags", "not a valid tag"},
		{"no tag outside Actions", merge(build, map[string]string{"GITHUB_SHA": ""}), "image-tags", "required outside GitHub Actions"},
		{"image and repository", merge(build, map[string]string{"image": "r.example.com/app:v1"}), "image", "not both"},
		{"bad image", map[string]string{"image": "app"}, "image", "not an image reference"},
		{"tags without repository", map[string]string{"secrets": "a/b", "image-tags": "v1"}, "image-tags", "needs ecr-repository"},
		{"create without repository", map[string]string{"secrets": "a/b", "create-repository": "true"}, "create-repository", "needs ecr-repository"},
		{"no-cache without repository", map[string]string{"secrets": "a/b", "no-cache": "true"}, "no-cache", "needs ecr-repository"},
		{"bad no-cache", merge(build, map[string]string{"no-cache": "1"}), "no-cache", "not a boolean"},
		{"bad skip-existing", merge(build, map[string]string{"skip-existing": "nope"}), "skip-existing", "not a boolean"},
		{"context outside workspace", merge(build, map[string]string{"context": "../.."}), "context", "outside the workspace"},
		{"context through symlink", merge(build, map[string]string{"context": "escape"}), "context", "symbolic link"},
		{"missing context", merge(build, map[string]string{"context": "nope"}), "context", "does not exist"},
		{"context is a file", merge(build, map[string]string{"context": "taskdef.json"}), "context", "not a directory"},
		{"dockerfile is a dir", merge(build, map[string]string{"dockerfile": "app"}), "dockerfile", "is a directory"},
		{"absolute dockerfile outside", merge(build, map[string]string{"dockerfile": "/etc/passwd"}), "dockerfile", "outside the workspace"},
		{"bad build arg", merge(build, map[string]string{"build-args": "A=1\nnovalue"}), "build-args", "not KEY=VALUE"},
		{"duplicate build arg", merge(build, map[string]string{"build-args": "A=1\nA=2"}), "build-args", "given twice"},
		{"bad label key", merge(build, map[string]string{"labels": "9x=1"}), "labels", "not a valid key"},
		{"build secret not env name", merge(build, map[string]string{"secrets": "a/b", "build-secrets": "db-pass"}), "build-secrets", "env name"},
		{"build secrets without secrets", merge(build, map[string]string{"build-secrets": "DB"}), "build-secrets", "needs secrets"},
		{"application without group", merge(build, map[string]string{"codedeploy-application": "app"}), "codedeploy-deployment-group", "go together"},
		{"bad application name", merge(deploy, map[string]string{"codedeploy-application": "my app"}), "codedeploy-application", "not a CodeDeploy name"},
		{"bad config name", merge(deploy, map[string]string{"deployment-config": strings.Repeat("x", 101)}), "deployment-config", "not a CodeDeploy name"},
		{"deploy without image", map[string]string{"codedeploy-application": "app", "codedeploy-deployment-group": "g"}, "image", "needs an image"},
		{"bundle without bucket", merge(deploy, map[string]string{"bundle": "bundle"}), "s3-bucket", "required with bundle"},
		{"bad bucket", merge(deploy, map[string]string{"s3-bucket": "My_Bucket"}), "s3-bucket", "not an S3 bucket name"},
		{"bucket with dots in a row", merge(deploy, map[string]string{"s3-bucket": "a..b"}), "s3-bucket", "not an S3 bucket name"},
		{"bad prefix", merge(deploy, map[string]string{"s3-prefix": "a b"}), "s3-prefix", "safe S3 key prefix"},
		{"bundle outside workspace", merge(deploy, map[string]string{"bundle": "/tmp", "s3-bucket": "bkt"}), "bundle", "outside the workspace"},
		{"bundle and task definition", merge(deploy, map[string]string{"bundle": "bundle", "s3-bucket": "bkt", "task-definition": "taskdef.json"}), "task-definition", "give one"},
		{"missing task definition", merge(deploy, map[string]string{"task-definition": "nope.json"}), "task-definition", "does not exist"},
		{"missing appspec", merge(deploy, map[string]string{"appspec": "appspec.yaml"}), "appspec", "does not exist"},
		{"bad port", merge(deploy, map[string]string{"container-port": "70000"}), "container-port", "from 1 to 65535"},
		{"bad lambda function", merge(deploy, map[string]string{"lambda-function": "web:live"}), "lambda-function", "not a Lambda function name"},
		{"lambda function with bundle", merge(deploy, map[string]string{"lambda-function": "web", "bundle": "bundle", "s3-bucket": "bkt"}), "lambda-function", "give one"},
		{"Lambda image of another region", map[string]string{"image": "123456789012.dkr.ecr-fips.us-gov-west-1.amazonaws.com/app:v1", "codedeploy-application": "app", "codedeploy-deployment-group": "g", "lambda-function": "web"}, "image", "is in us-gov-west-1's ECR and Lambda runs only images of its own region"},
		{"numeric lambda alias", merge(deploy, map[string]string{"lambda-alias": "12"}), "lambda-alias", "not only digits"},
		{"lambda function without a deployment", map[string]string{"lambda-function": "web", "secrets": "a/b"}, "lambda-function", "is for a deployment"},
		{"bad container name", merge(deploy, map[string]string{"container-name": "web app"}), "container-name", "not a container name"},
		{"bad health path", merge(deploy, map[string]string{"health-check-path": "healthz"}), "health-check-path", "start with '/'"},
		{"health path with a newline", merge(deploy, map[string]string{"health-check-path": "/health\nz"}), "health-check-path", `"/health\nz" is not a URL path`},
		{"health path with a quote", merge(deploy, map[string]string{"health-check-path": `/he"alth`}), "health-check-path", "not a URL path"},
		{"bad health check timeout", merge(deploy, map[string]string{"health-check-timeout": "soon"}), "health-check-timeout", "not a duration"},
		{"bad proxy image", merge(deploy, map[string]string{"proxy-image": "caddy 2"}), "proxy-image", "not an image reference"},
		{"bad timeout", merge(deploy, map[string]string{"timeout": "90x"}), "timeout", "not a duration"},
		{"zero timeout", merge(deploy, map[string]string{"timeout": "0s"}), "timeout", "more than 0"},
		{"bad health timeout", merge(deploy, map[string]string{"health-check-timeout": "5"}), "health-check-timeout", "not a duration"},
		{"long health timeout", merge(deploy, map[string]string{"health-check-timeout": "56m"}), "health-check-timeout", "at most 1h"},
		{"huge timeout", merge(deploy, map[string]string{"timeout": "100h"}), "timeout", "at most 48h"},
		{"bad on-ready", merge(deploy, map[string]string{"on-ready": "wait"}), "on-ready", "not one of continue, pause"},
		{"bad on-active", merge(deploy, map[string]string{"on-active-deployment": "queue"}), "on-active-deployment", "not one of wait, stop, fail"},
		{"bad wait", merge(deploy, map[string]string{"wait": "sometimes"}), "wait", "not true, false or traffic-shifted"},
		{"bad rollback-on-cancel", merge(deploy, map[string]string{"rollback-on-cancel": "no"}), "rollback-on-cancel", "not a boolean"},
		{"bad rollback-on-timeout", merge(deploy, map[string]string{"rollback-on-timeout": "0"}), "rollback-on-timeout", "not a boolean"},
		{"deploy input without deploy", merge(build, map[string]string{"timeout": "5m"}), "timeout", "needs codedeploy-application"},
		{"bucket without deploy", merge(build, map[string]string{"s3-bucket": "bkt"}), "s3-bucket", "needs codedeploy-application"},
		{"description too long", merge(deploy, map[string]string{"description": strings.Repeat("x", 5000)}), "description", "under 4096"},
		{"bad environment url", merge(build, map[string]string{"environment": "prod", "environment-url": "example.com"}), "environment-url", "not an http(s) URL"},
		{"environment url without environment", merge(build, map[string]string{"environment-url": "https://example.com"}), "environment-url", "needs environment"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := config.Load(env(ws, tt.inputs), platforms)
			if err == nil {
				t.Fatalf("Load succeeded, want an error naming input %q", tt.input)
			}
			var found bool
			for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
				var ie *config.InputError
				if errors.As(e, &ie) && ie.Input == tt.input && strings.Contains(ie.Problem, tt.want) {
					found = true
				}
			}
			if !found {
				t.Errorf("error = %v\nwant one naming input %q with %q", err, tt.input, tt.want)
			}
			if !strings.Contains(err.Error(), `input "`+tt.input+`"`) {
				t.Errorf("error text %q does not name input %q", err, tt.input)
			}
		})
	}
	if len(tests) < 40 {
		t.Errorf("%d bad-input cases, want at least 40", len(tests))
	}
}

// TestLoadReportsEveryProblem checks that all problems come back at once.
func TestLoadReportsEveryProblem(t *testing.T) {
	t.Parallel()
	ws := workspace(t)
	_, err := config.Load(env(ws, merge(deploy, map[string]string{
		"timeout":        "soon",
		"on-ready":       "maybe",
		"container-port": "0",
		"image-tags":     "-bad",
		"secrets":        "x*",
	})), platforms)
	if err == nil {
		t.Fatal("Load succeeded, want errors")
	}
	got := map[string]bool{}
	for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
		var ie *config.InputError
		if errors.As(e, &ie) {
			got[ie.Input] = true
		}
	}
	for _, want := range []string{"timeout", "on-ready", "container-port", "image-tags", "secrets"} {
		if !got[want] {
			t.Errorf("no error for input %q in %v", want, err)
		}
	}
}

// TestLoadDockerHost checks that a DOCKER_HOST the engine client cannot
// parse is bad input when an image is built, and is ignored otherwise.
func TestLoadDockerHost(t *testing.T) {
	t.Parallel()
	ws := workspace(t)
	tests := map[string]struct {
		inputs  map[string]string
		wantErr string
	}{
		"build":        {merge(build, map[string]string{"DOCKER_HOST": "docker.sock"}), `DOCKER_HOST "docker.sock" is not a Docker engine address`},
		"no build":     {map[string]string{"secrets": "a/b", "DOCKER_HOST": "docker.sock"}, ""},
		"default host": {build, ""},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, err := config.Load(env(ws, tt.inputs), platforms)
			if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Errorf("Load: %v, want error %q", err, tt.wantErr)
			}
		})
	}
}

func TestInputKey(t *testing.T) {
	t.Parallel()
	for name, want := range map[string]string{"ecr-repository": "INPUT_ECR-REPOSITORY", "command": "INPUT_COMMAND", "a b": "INPUT_A_B"} {
		if got := config.InputKey(name); got != want {
			t.Errorf("InputKey(%q) = %q, want %q", name, got, want)
		}
	}
}

func TestGitHubRel(t *testing.T) {
	t.Parallel()
	g := config.GitHub{Workspace: "/github/workspace"}
	for path, want := range map[string]string{
		"/github/workspace/app/Dockerfile": "app/Dockerfile",
		"app/Dockerfile":                   "app/Dockerfile",
		"/etc/passwd":                      "/etc/passwd",
		"/github/workspace2/x":             "/github/workspace2/x",
	} {
		if got := g.Rel(path); got != want {
			t.Errorf("Rel(%q) = %q, want %q", path, got, want)
		}
	}
}

func TestNoGitHubDeployment(t *testing.T) {
	t.Parallel()
	ok := config.Config{GitHub: config.GitHub{Token: "t", Repository: "o/r", SHA: "abc"}, Deploy: config.Deploy{Wait: true}}
	tests := map[string]struct {
		change func(c *config.Config)
		want   string
	}{
		"made":     {func(*config.Config) {}, ""},
		"act":      {func(c *config.Config) { c.GitHub.InAct = true }, "running under act"},
		"no token": {func(c *config.Config) { c.GitHub.Token = "" }, "no github-token"},
		"no sha":   {func(c *config.Config) { c.GitHub.SHA = "" }, "GITHUB_REPOSITORY or GITHUB_SHA is not set"},
		"no wait":  {func(c *config.Config) { c.Deploy.Wait = false }, "wait is false, so the run would not see the deployment end"},
	}
	for name, tt := range tests {
		c := ok
		tt.change(&c)
		if got := c.NoGitHubDeployment(); got != tt.want {
			t.Errorf("%s: NoGitHubDeployment() = %q, want %q", name, got, tt.want)
		}
	}
}

// platforms are the platforms the action chooses among.
var platforms = []config.Platform{codedeploy.Inputs}
