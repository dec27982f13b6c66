// Package config reads the action's inputs once into a typed, validated
// Config. Every problem is reported at once, each naming its input and what
// was expected, before anything talks to AWS.
package config

import (
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Command is what the action is asked to do.
type Command string

// Commands.
const (
	CommandDeploy   Command = "deploy"   // run each stage whose inputs are given
	CommandContinue Command = "continue" // shift traffic of a deployment waiting at Ready
	CommandStop     Command = "stop"     // stop a deployment and roll it back
	CommandStatus   Command = "status"   // report on a deployment
	CommandPlan     Command = "plan"     // say what deploy would change, changing nothing
)

// OnReady says what to do when a deployment waits at Ready.
type OnReady string

// OnReady values.
const (
	ReadyContinue OnReady = "continue"
	ReadyPause    OnReady = "pause"
)

// OnActive says what to do when the group already has an active deployment.
type OnActive string

// OnActive values.
const (
	ActiveWait OnActive = "wait"
	ActiveStop OnActive = "stop"
	ActiveFail OnActive = "fail"
)

// Config is every input of the action, typed and validated.
//
// With Targets, Platform is "" and Deploy holds the step's deploy inputs:
// the step-wide ones (Wait, OnReady, OnActive, SupersedeCheck, Rollback*)
// and the defaults each Target.Deploy starts from; use Target(t) for one.
type Config struct {
	Command      Command
	DeploymentID string // for continue, stop and status; with Targets, the JSON object as given
	Platform     string // the deployment platform the inputs or deployment-id chose: Platform.Name, or ""

	AWS     AWS
	Secrets Secrets
	Image   Image
	Build   Build
	Deploy  Deploy
	GitHub  GitHub

	// Targets are the run's deployment targets when it has several (input
	// targets, or a deployment-id given as a JSON object), in order; nil
	// for one target given by the single-target inputs.
	Targets []Target
}

// AWS holds the region and the optional role to assume with GitHub OIDC.
type AWS struct {
	Region          string
	RoleToAssume    string
	RoleSessionName string
	RoleDuration    time.Duration
}

// Secrets is the secrets stage's input.
type Secrets struct {
	Specs     []SecretSpec
	ParseJSON bool
	Export    bool
}

// Image says which image to deploy: one built and pushed to Repository, or
// an existing URI.
type Image struct {
	Repository       string   // ECR repository to push to
	Tags             []string // first one is checked by SkipExisting
	CreateRepository bool
	SkipExisting     bool
	URI              string // an existing image instead of a build
}

// Build is how the image is built. Paths are absolute, inside the workspace.
type Build struct {
	Context    string
	Dockerfile string
	Target     string
	Args       []KeyValue
	Labels     []KeyValue
	Secrets    []string // env names of fetched secrets the build may mount
	NoCache    bool
	DockerHost string // DOCKER_HOST: the engine's address, "" for the default socket
	Cache      string // "ecr": import and export cache through ECR; "none"
}

// Deploy is the CodeDeploy stage's input. Paths are absolute, inside the workspace.
type Deploy struct {
	Application      string
	DeploymentGroup  string
	DeploymentConfig string
	Description      string

	Bundle          string
	S3Bucket        string
	S3Prefix        string
	ContainerName   string
	ContainerPort   int // 0: not given
	HealthCheckPath string
	HealthTimeout   time.Duration // the generated ValidateService hook's wait
	TaskDefinition  string
	AppSpec         string
	LambdaFunction  string // name or ARN
	LambdaAlias     string
	ProxyImage      string // the Caddy image of single-host blue/green (in-place groups)

	Wait              bool
	Timeout           time.Duration // 0: from the group's wait times
	OnReady           OnReady
	OnActive          OnActive
	SupersedeCheck    bool // deploy nothing when a newer run's deployment is active or last succeeded
	RollbackOnCancel  bool
	RollbackOnTimeout bool

	// UntilTrafficShifted (wait: traffic-shifted, with Wait true) ends the
	// wait once traffic has moved, before the termination wait.
	UntilTrafficShifted bool

	// Own holds the chosen platform's own inputs (its Platform.Owns) by
	// name, as given.
	Own map[string]string
}

// GitHub is the GitHub side: the token and environment for deployment
// statuses, and the run's context.
type GitHub struct {
	Token          string
	Environment    string
	EnvironmentURL string

	Workspace  string
	Repository string // owner/name
	SHA        string
	Ref        string
	ServerURL  string
	APIURL     string
	RunID      string
	RunAttempt string
	Actor      string
	EventName  string // GITHUB_EVENT_NAME, e.g. pull_request
	EventPath  string // GITHUB_EVENT_PATH: the event's webhook payload
	InActions  bool   // GITHUB_ACTIONS=true
	InAct      bool   // ACT=true: running under nektos/act
}

// Run is the run's GITHUB_RUN_ID and GITHUB_RUN_ATTEMPT as numbers (0
// when unset or not numbers, outside Actions; the attempt defaults to 1).
func (g GitHub) Run() (id, attempt int64) {
	id, err := strconv.ParseInt(g.RunID, 10, 64)
	if err != nil || id <= 0 {
		return 0, 0
	}
	attempt, err = strconv.ParseInt(g.RunAttempt, 10, 64)
	if err != nil || attempt <= 0 {
		attempt = 1
	}
	return id, attempt
}

// RunURL is the link to this workflow run, or "" outside Actions.
func (g GitHub) RunURL() string {
	if g.Repository == "" || g.RunID == "" {
		return ""
	}
	return fmt.Sprintf("%s/%s/actions/runs/%s", g.ServerURL, g.Repository, g.RunID)
}

// Rel makes an absolute path inside the workspace relative to it, as
// annotations want; other paths are returned as they are.
func (g GitHub) Rel(path string) string {
	if !filepath.IsAbs(path) {
		return path
	}
	rel, err := filepath.Rel(g.Workspace, path)
	if err != nil || rel == ".." || strings.HasPrefix(rel, "../") {
		return path
	}
	return filepath.ToSlash(rel)
}

// Deploys reports whether the run moves an environment to a new version.
func (c *Config) Deploys() bool {
	return c.Command == CommandDeploy && c.DeployEnabled() || c.Command == CommandContinue
}

// NoGitHubDeployment says why a deploying run makes no GitHub deployment
// for its environment, or "" when it makes one.
func (c *Config) NoGitHubDeployment() string {
	g := c.GitHub
	switch {
	case g.InAct:
		return "running under act"
	case g.Token == "":
		return "no github-token"
	case g.Repository == "" || g.SHA == "":
		return "GITHUB_REPOSITORY or GITHUB_SHA is not set"
	case !c.Deploy.Wait:
		return "wait is false, so the run would not see the deployment end"
	}
	return ""
}

// SecretsEnabled reports whether the secrets stage runs.
func (c *Config) SecretsEnabled() bool { return len(c.Secrets.Specs) > 0 }

// BuildEnabled reports whether the image is built and pushed.
func (c *Config) BuildEnabled() bool { return c.Image.Repository != "" }

// DeployEnabled reports whether a deployment is created, or with command
// plan, planned: of the platform the inputs chose, or of each of Targets.
func (c *Config) DeployEnabled() bool {
	return (c.Command == CommandDeploy || c.Command == CommandPlan) && (c.Platform != "" || len(c.Targets) > 0)
}

// Takes reports whether the command takes the stages' inputs (deploy and
// plan), rather than a deployment-id.
func (c *Config) Takes() bool { return c.Command == CommandDeploy || c.Command == CommandPlan }

// NeedsAWS reports whether the run makes any AWS call.
func (c *Config) NeedsAWS() bool {
	return !c.Takes() || c.SecretsEnabled() || c.BuildEnabled() || c.Image.URI != "" || c.DeployEnabled()
}

// InputError is a problem with one input.
type InputError struct {
	Input   string
	Problem string
}

func (e *InputError) Error() string { return fmt.Sprintf("input %q: %s", e.Input, e.Problem) }

// ErrorCode is the action's error-code output for a bad input.
func (e *InputError) ErrorCode() string { return "INVALID_INPUT" }

// Load reads and validates every input from getenv (INPUT_<NAME> variables,
// as the runner sets them, and the GITHUB_* context), choosing the
// deployment platform among platforms. The error joins one *InputError per
// problem.
func Load(getenv func(string) string, platforms []Platform) (*Config, error) {
	r := &reader{getenv: getenv, inActions: getenv("GITHUB_ACTIONS") == "true"}
	c := &Config{}
	c.GitHub = r.github()

	c.Command = Command(r.enum("command", "deploy", "continue", "stop", "status", "plan"))
	c.DeploymentID = r.str("deployment-id")

	c.AWS = AWS{
		Region:          r.str("aws-region"),
		RoleToAssume:    r.str("role-to-assume"),
		RoleSessionName: r.str("role-session-name"),
		RoleDuration:    time.Duration(r.intRange("role-duration-seconds", 900, 43200)) * time.Second,
	}
	if c.AWS.Region == "" {
		c.AWS.Region = firstNonEmpty(getenv("AWS_REGION"), getenv("AWS_DEFAULT_REGION"))
	}

	c.Secrets = Secrets{ParseJSON: r.boolean("parse-json-secrets"), Export: r.boolean("export-secrets")}
	for i, line := range Lines(r.str("secrets")) {
		spec, err := ParseSecretSpec(line)
		if err != nil {
			r.fail("secrets", "line %d: %v", i+1, err)
			continue
		}
		c.Secrets.Specs = append(c.Secrets.Specs, spec)
	}

	c.Image = Image{
		Repository:       r.str("ecr-repository"),
		Tags:             splitTags(r.str("image-tags")),
		CreateRepository: r.boolean("create-repository"),
		SkipExisting:     r.boolean("skip-existing"),
		URI:              r.str("image"),
	}

	c.Build = Build{
		Target:  r.str("target"),
		Args:    r.keyValues("build-args"),
		Labels:  r.keyValues("labels"),
		Secrets: Lines(strings.ReplaceAll(r.str("build-secrets"), ",", "\n")),
		NoCache: r.boolean("no-cache"),
		Cache:   r.enum("build-cache", "ecr", "none"),
	}
	if c.BuildEnabled() {
		c.Build.DockerHost = r.dockerHost()
		c.Build.Context = r.path("context", c.GitHub.Workspace, true)
		if r.str("dockerfile") != "" {
			c.Build.Dockerfile = r.path("dockerfile", c.GitHub.Workspace, false)
		} else if c.Build.Context != "" {
			c.Build.Dockerfile = filepath.Join(c.Build.Context, "Dockerfile")
		}
	}

	r.targetDeploy(&c.Deploy, c.GitHub.Workspace)
	c.Deploy.OnReady = OnReady(r.enum("on-ready", "continue", "pause"))
	c.Deploy.OnActive = OnActive(r.enum("on-active-deployment", "wait", "stop", "fail"))
	c.Deploy.SupersedeCheck = r.boolean("supersede-check")
	c.Deploy.RollbackOnCancel = r.boolean("rollback-on-cancel")
	c.Deploy.RollbackOnTimeout = r.boolean("rollback-on-timeout")
	c.Deploy.Wait, c.Deploy.UntilTrafficShifted = r.wait()

	c.GitHub.Token = r.str("github-token")
	if strings.HasPrefix(c.GitHub.Token, "${{") { // the default, outside Actions
		c.GitHub.Token = getenv("GITHUB_TOKEN")
	}
	c.GitHub.Environment = r.str("environment")
	c.GitHub.EnvironmentURL = r.str("environment-url")

	c.validate(r, platforms)
	if len(r.errs) > 0 {
		return nil, errors.Join(r.errs...)
	}
	return c, nil
}

// targetDeploy reads into d the deploy inputs a target of several may set
// for itself (targetInputs); the others are step-wide.
func (r *reader) targetDeploy(d *Deploy, workspace string) {
	d.Application = r.str("codedeploy-application")
	d.DeploymentGroup = r.str("codedeploy-deployment-group")
	d.DeploymentConfig = r.str("deployment-config")
	d.Description = r.str("description")
	d.Bundle = r.optionalPath("bundle", workspace, true)
	d.S3Bucket = r.str("s3-bucket")
	d.S3Prefix = strings.Trim(r.str("s3-prefix"), "/")
	d.ContainerName = r.str("container-name")
	d.ContainerPort = r.port("container-port")
	d.HealthCheckPath = r.str("health-check-path")
	d.HealthTimeout = r.duration("health-check-timeout")
	d.ProxyImage = r.str("proxy-image")
	d.TaskDefinition = r.optionalPath("task-definition", workspace, false)
	d.AppSpec = r.optionalPath("appspec", workspace, false)
	d.LambdaFunction = r.str("lambda-function")
	d.LambdaAlias = r.str("lambda-alias")
	d.Timeout = r.duration("timeout")
}

// splitTags splits image-tags on newlines and commas.
func splitTags(s string) []string {
	return Lines(strings.ReplaceAll(s, ",", "\n"))
}

func firstNonEmpty(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}

// Target is one deployment target of a run with several: an entry of the
// targets input, or for command continue, stop and status an entry of a
// deployment-id given as a JSON object.
type Target struct {
	Name         string // the entry's name, else <region>/<group, service or function>
	Wave         int    // 1 and up; 0 for a command's targets
	Region       string
	RoleToAssume string
	Platform     string // the platform the entry chose (Platform.Name)
	Deploy       Deploy // the step's deploy inputs with the entry's own over them
	Environment  string // the GitHub environment of its deployment statuses: the entry's, else the step's
	DeploymentID string // a command's target: its deployment
}

// Target returns the single-target configuration of t: c with t's region,
// role, platform, deploy inputs, environment and deployment id, and no
// Targets.
func (c *Config) Target(t Target) *Config {
	one := *c
	one.Targets = nil
	one.AWS.Region = t.Region
	if t.RoleToAssume != "" {
		one.AWS.RoleToAssume = t.RoleToAssume
	}
	one.Platform = t.Platform
	one.Deploy = t.Deploy
	one.GitHub.Environment = t.Environment
	if t.DeploymentID != "" {
		one.DeploymentID = t.DeploymentID
	}
	return &one
}
