// Package config reads the action's inputs once into a typed, validated
// Config. Every problem is reported at once, each naming its input and what
// was expected, before anything talks to AWS.
package config

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
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
type Config struct {
	Command      Command
	DeploymentID string // for continue, stop and status

	AWS     AWS
	Secrets Secrets
	Image   Image
	Build   Build
	Deploy  Deploy
	GitHub  GitHub
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
	TaskDefinition  string
	AppSpec         string

	Wait              bool
	Timeout           time.Duration // 0: from the group's wait times
	OnReady           OnReady
	OnActive          OnActive
	RollbackOnCancel  bool
	RollbackOnTimeout bool
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
	InActions  bool // GITHUB_ACTIONS=true
	InAct      bool // ACT=true: running under nektos/act
}

// RunURL is the link to this workflow run, or "" outside Actions.
func (g GitHub) RunURL() string {
	if g.Repository == "" || g.RunID == "" {
		return ""
	}
	return fmt.Sprintf("%s/%s/actions/runs/%s", g.ServerURL, g.Repository, g.RunID)
}

// SecretsEnabled reports whether the secrets stage runs.
func (c *Config) SecretsEnabled() bool { return len(c.Secrets.Specs) > 0 }

// BuildEnabled reports whether the image is built and pushed.
func (c *Config) BuildEnabled() bool { return c.Image.Repository != "" }

// DeployEnabled reports whether a deployment is created.
func (c *Config) DeployEnabled() bool { return c.Deploy.Application != "" }

// NeedsAWS reports whether the run makes any AWS call.
func (c *Config) NeedsAWS() bool {
	return c.Command != CommandDeploy || c.SecretsEnabled() || c.BuildEnabled() || c.Image.URI != "" || c.DeployEnabled()
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
// as the runner sets them, and the GITHUB_* context). The error joins one
// *InputError per problem.
func Load(getenv func(string) string) (*Config, error) {
	r := &reader{getenv: getenv}
	c := &Config{}
	c.GitHub = r.github()

	c.Command = Command(r.enum("command", "deploy", "continue", "stop", "status"))
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
		c.Build.Context = r.path("context", c.GitHub.Workspace, true)
		if r.str("dockerfile") != "" {
			c.Build.Dockerfile = r.path("dockerfile", c.GitHub.Workspace, false)
		} else if c.Build.Context != "" {
			c.Build.Dockerfile = filepath.Join(c.Build.Context, "Dockerfile")
		}
	}

	c.Deploy = Deploy{
		Application:       r.str("codedeploy-application"),
		DeploymentGroup:   r.str("codedeploy-deployment-group"),
		DeploymentConfig:  r.str("deployment-config"),
		Description:       r.str("description"),
		Bundle:            r.optionalPath("bundle", c.GitHub.Workspace, true),
		S3Bucket:          r.str("s3-bucket"),
		S3Prefix:          strings.Trim(r.str("s3-prefix"), "/"),
		ContainerName:     r.str("container-name"),
		ContainerPort:     r.port("container-port"),
		HealthCheckPath:   r.str("health-check-path"),
		TaskDefinition:    r.optionalPath("task-definition", c.GitHub.Workspace, false),
		AppSpec:           r.optionalPath("appspec", c.GitHub.Workspace, false),
		Wait:              r.boolean("wait"),
		Timeout:           r.duration("timeout"),
		OnReady:           OnReady(r.enum("on-ready", "continue", "pause")),
		OnActive:          OnActive(r.enum("on-active-deployment", "wait", "stop", "fail")),
		RollbackOnCancel:  r.boolean("rollback-on-cancel"),
		RollbackOnTimeout: r.boolean("rollback-on-timeout"),
	}

	c.GitHub.Token = r.str("github-token")
	if strings.HasPrefix(c.GitHub.Token, "${{") { // the default, outside Actions
		c.GitHub.Token = getenv("GITHUB_TOKEN")
	}
	c.GitHub.Environment = r.str("environment")
	c.GitHub.EnvironmentURL = r.str("environment-url")

	c.validate(r)
	if len(r.errs) > 0 {
		return nil, errors.Join(r.errs...)
	}
	return c, nil
}

var (
	deploymentIDPattern = regexp.MustCompile(`^d-[A-Z0-9]{9}$`)
	// https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_CreateRepository.html
	repositoryPattern = regexp.MustCompile(`^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$`)
	tagPattern        = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.\-]{0,127}$`)
	imagePattern      = regexp.MustCompile(`^[a-z0-9.\-]+(?::\d+)?/[a-z0-9._/\-]+(?::[A-Za-z0-9_][A-Za-z0-9_.\-]{0,127}|@sha256:[a-f0-9]{64})$`)
	regionPattern     = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-\d{1,2}$`)
	roleARNPattern    = regexp.MustCompile(`^arn:aws[a-z\-]*:iam::\d{12}:role/[\w+=,.@/\-]{1,512}$`)
	sessionPattern    = regexp.MustCompile(`^[\w+=,.@\-]{2,64}$`)
	// CodeDeploy names: 1-100 characters.
	codeDeployNamePattern = regexp.MustCompile(`^[A-Za-z0-9_.\-+=,@]{1,100}$`)
	bucketPattern         = regexp.MustCompile(`^[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9]$`)
	s3PrefixPattern       = regexp.MustCompile(`^[A-Za-z0-9!_.*'()/\-]{0,512}$`)
	containerNamePattern  = regexp.MustCompile(`^[A-Za-z0-9_\-]{1,255}$`)
	envNamePattern        = regexp.MustCompile(`^[A-Z_][A-Z0-9_]*$`)
)

// validate checks the combinations of inputs, per command and per stage.
func (c *Config) validate(r *reader) {
	switch c.Command {
	case CommandDeploy:
		if c.DeploymentID != "" {
			r.fail("deployment-id", "is only used with command continue, stop or status (command is deploy)")
		}
		if !c.SecretsEnabled() && !c.BuildEnabled() && c.Image.URI == "" && !c.DeployEnabled() {
			r.fail("command", "deploy has nothing to do: give secrets, ecr-repository, image or codedeploy-application")
		}
	case CommandContinue, CommandStop, CommandStatus:
		if c.DeploymentID == "" {
			r.fail("deployment-id", "is required with command %s", c.Command)
		}
	}
	if c.DeploymentID != "" && !deploymentIDPattern.MatchString(c.DeploymentID) {
		r.fail("deployment-id", "%q is not a CodeDeploy deployment id (d- and 9 letters or digits, e.g. d-A1B2C3D4E)", c.DeploymentID)
	}

	if c.NeedsAWS() {
		switch {
		case c.AWS.Region == "":
			r.fail("aws-region", "is required: set it, or AWS_REGION / AWS_DEFAULT_REGION")
		case !regionPattern.MatchString(c.AWS.Region):
			r.fail("aws-region", "%q is not an AWS region (e.g. us-east-1)", c.AWS.Region)
		}
	}
	if c.AWS.RoleToAssume != "" && !roleARNPattern.MatchString(c.AWS.RoleToAssume) {
		r.fail("role-to-assume", "%q is not an IAM role ARN (arn:aws:iam::<account>:role/<name>)", c.AWS.RoleToAssume)
	}
	if !sessionPattern.MatchString(c.AWS.RoleSessionName) {
		r.fail("role-session-name", "%q must be 2-64 letters, digits and +=,.@_-", c.AWS.RoleSessionName)
	}

	if !c.SecretsEnabled() {
		if c.Secrets.ParseJSON {
			r.fail("parse-json-secrets", "has no effect without secrets")
		}
		if c.Secrets.Export {
			r.fail("export-secrets", "has no effect without secrets")
		}
	}

	c.validateImage(r)
	c.validateDeploy(r)

	if u := c.GitHub.EnvironmentURL; u != "" {
		if p, err := url.Parse(u); err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
			r.fail("environment-url", "%q is not an http(s) URL", u)
		}
		if c.GitHub.Environment == "" {
			r.fail("environment-url", "needs environment")
		}
	}
}

func (c *Config) validateImage(r *reader) {
	im := c.Image
	if im.Repository != "" && im.URI != "" {
		r.fail("image", "deploys an existing image; give either image or ecr-repository, not both")
	}
	if im.Repository != "" && (len(im.Repository) < 2 || len(im.Repository) > 256 || !repositoryPattern.MatchString(im.Repository)) {
		r.fail("ecr-repository", "%q is not an ECR repository name (2-256 lower-case letters, digits and ._-/ e.g. team/app)", im.Repository)
	}
	if im.URI != "" && !imagePattern.MatchString(im.URI) {
		r.fail("image", "%q is not an image reference with a tag or digest (e.g. 123456789012.dkr.ecr.us-east-1.amazonaws.com/app:v1 or ...@sha256:<64 hex>)", im.URI)
	}
	if im.Repository != "" {
		if len(im.Tags) == 0 {
			if c.GitHub.SHA == "" {
				r.fail("image-tags", "is required outside GitHub Actions (the default is the commit SHA, and GITHUB_SHA is not set)")
			} else {
				c.Image.Tags = []string{c.GitHub.SHA}
			}
		}
		for _, tag := range c.Image.Tags {
			if !tagPattern.MatchString(tag) {
				r.fail("image-tags", "%q is not a valid tag (up to 128 letters, digits, '_', '.', '-'; not starting with '.' or '-')", tag)
			}
		}
	} else {
		for _, in := range []string{"image-tags", "target", "build-args", "labels", "build-secrets", "dockerfile"} {
			if r.str(in) != "" {
				r.fail(in, "is for building an image and needs ecr-repository")
			}
		}
		if im.CreateRepository {
			r.fail("create-repository", "needs ecr-repository")
		}
		if c.Build.NoCache {
			r.fail("no-cache", "is for building an image and needs ecr-repository")
		}
	}
	for _, name := range c.Build.Secrets {
		if !envNamePattern.MatchString(name) {
			r.fail("build-secrets", "%q is not the env name of a fetched secret (upper case, digits, '_')", name)
		}
	}
	if len(c.Build.Secrets) > 0 && !c.SecretsEnabled() {
		r.fail("build-secrets", "needs secrets to fetch them from")
	}
}

func (c *Config) validateDeploy(r *reader) {
	d := c.Deploy
	if (d.Application == "") != (d.DeploymentGroup == "") {
		r.fail("codedeploy-deployment-group", "codedeploy-application and codedeploy-deployment-group go together: give both or neither")
	}
	for in, v := range map[string]string{"codedeploy-application": d.Application, "codedeploy-deployment-group": d.DeploymentGroup, "deployment-config": d.DeploymentConfig} {
		if v != "" && !codeDeployNamePattern.MatchString(v) {
			r.fail(in, "%q is not a CodeDeploy name (1-100 letters, digits and _.-+=,@)", v)
		}
	}
	if !c.DeployEnabled() {
		for _, in := range []string{"bundle", "s3-bucket", "task-definition", "appspec", "deployment-config", "description", "container-name", "container-port", "timeout"} {
			if r.str(in) != "" {
				r.fail(in, "is for a deployment and needs codedeploy-application and codedeploy-deployment-group")
			}
		}
		return
	}
	if c.Command == CommandDeploy && !c.BuildEnabled() && c.Image.URI == "" {
		r.fail("image", "a deployment needs an image: give ecr-repository to build one, or image to deploy an existing one")
	}
	if d.S3Bucket != "" && (!bucketPattern.MatchString(d.S3Bucket) || strings.Contains(d.S3Bucket, "..")) {
		r.fail("s3-bucket", "%q is not an S3 bucket name (3-63 lower-case letters, digits, '.', '-')", d.S3Bucket)
	}
	if !s3PrefixPattern.MatchString(d.S3Prefix) {
		r.fail("s3-prefix", "%q is not a safe S3 key prefix (letters, digits and !_.*'()/-)", d.S3Prefix)
	}
	if d.Bundle != "" && d.S3Bucket == "" {
		r.fail("s3-bucket", "is required with bundle: the Server revision is uploaded to S3")
	}
	if d.Bundle != "" && d.TaskDefinition != "" {
		r.fail("task-definition", "is for ECS and bundle is for EC2/Server: give one")
	}
	if d.ContainerName != "" && !containerNamePattern.MatchString(d.ContainerName) {
		r.fail("container-name", "%q is not a container name (1-255 letters, digits, '_', '-')", d.ContainerName)
	}
	if !strings.HasPrefix(d.HealthCheckPath, "/") {
		r.fail("health-check-path", "%q must start with '/'", d.HealthCheckPath)
	}
	if len(d.Description) > 4096 {
		r.fail("description", "is %d characters; keep it under 4096 (it is trimmed to CodeDeploy's limit)", len(d.Description))
	}
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

// reader reads inputs with their defaults and collects problems.
type reader struct {
	getenv func(string) string
	errs   []error
}

var defaults = func() map[string]string {
	m := make(map[string]string, len(Inputs))
	for _, in := range Inputs {
		m[in.Name] = in.Default
	}
	return m
}()

// str returns an input as the runner passes it (INPUT_<NAME>, upper case,
// hyphens kept), trimmed, or its default when unset.
func (r *reader) str(name string) string {
	def, ok := defaults[name]
	if !ok {
		panic("config: undeclared input " + name)
	}
	key := "INPUT_" + strings.ToUpper(strings.ReplaceAll(name, " ", "_"))
	if v := strings.TrimSpace(r.getenv(key)); v != "" {
		return v
	}
	return def
}

func (r *reader) fail(input, format string, args ...any) {
	r.errs = append(r.errs, &InputError{Input: input, Problem: fmt.Sprintf(format, args...)})
}

// boolean accepts what @actions/core's getBooleanInput accepts.
func (r *reader) boolean(name string) bool {
	switch v := r.str(name); v {
	case "true", "True", "TRUE":
		return true
	case "false", "False", "FALSE":
		return false
	default:
		r.fail(name, "%q is not a boolean (true or false)", v)
		return false
	}
}

func (r *reader) enum(name string, allowed ...string) string {
	v := r.str(name)
	for _, a := range allowed {
		if v == a {
			return v
		}
	}
	r.fail(name, "%q is not one of %s", v, strings.Join(allowed, ", "))
	return allowed[0]
}

func (r *reader) intRange(name string, lo, hi int) int {
	v := r.str(name)
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		r.fail(name, "%q is not a whole number from %d to %d", v, lo, hi)
		return lo
	}
	return n
}

func (r *reader) port(name string) int {
	if r.str(name) == "" {
		return 0
	}
	return r.intRange(name, 1, 65535)
}

// duration accepts Go durations (90s, 30m, 1h30m) up to 48 hours.
func (r *reader) duration(name string) time.Duration {
	v := r.str(name)
	if v == "" {
		return 0
	}
	d, err := time.ParseDuration(v)
	switch {
	case err != nil:
		r.fail(name, "%q is not a duration (e.g. 30m or 1h30m)", v)
	case d <= 0 || d > 48*time.Hour:
		r.fail(name, "%q must be more than 0 and at most 48h", v)
	}
	return d
}

func (r *reader) keyValues(name string) []KeyValue {
	kvs, err := ParseKeyValues(r.str(name))
	if err != nil {
		r.fail(name, "%v", err)
	}
	return kvs
}

// path resolves an input path against the workspace, refuses one that leaves
// it, and requires it to exist (a directory when dir is set, else a file).
func (r *reader) path(name, workspace string, dir bool) string {
	v := r.str(name)
	p := v
	if !filepath.IsAbs(p) {
		p = filepath.Join(workspace, p)
	}
	p = filepath.Clean(p)
	rel, err := filepath.Rel(workspace, p)
	if err != nil || rel == ".." || strings.HasPrefix(rel, "../") {
		r.fail(name, "%q is outside the workspace %s", v, workspace)
		return ""
	}
	if real, err := filepath.EvalSymlinks(p); err == nil {
		if rel, err := filepath.Rel(workspace, real); err != nil || rel == ".." || strings.HasPrefix(rel, "../") {
			r.fail(name, "%q leads outside the workspace %s through a symbolic link", v, workspace)
			return ""
		}
	}
	fi, err := os.Stat(p)
	switch {
	case err != nil:
		r.fail(name, "%q does not exist in the workspace", v)
	case dir && !fi.IsDir():
		r.fail(name, "%q is not a directory", v)
	case !dir && fi.IsDir():
		r.fail(name, "%q is a directory, not a file", v)
	}
	return p
}

func (r *reader) optionalPath(name, workspace string, dir bool) string {
	if r.str(name) == "" {
		return ""
	}
	return r.path(name, workspace, dir)
}

// github reads the run's context from the GITHUB_* variables.
func (r *reader) github() GitHub {
	g := GitHub{
		Workspace:  r.getenv("GITHUB_WORKSPACE"),
		Repository: r.getenv("GITHUB_REPOSITORY"),
		SHA:        r.getenv("GITHUB_SHA"),
		Ref:        r.getenv("GITHUB_REF"),
		ServerURL:  firstNonEmpty(r.getenv("GITHUB_SERVER_URL"), "https://github.com"),
		APIURL:     firstNonEmpty(r.getenv("GITHUB_API_URL"), "https://api.github.com"),
		RunID:      r.getenv("GITHUB_RUN_ID"),
		RunAttempt: r.getenv("GITHUB_RUN_ATTEMPT"),
		Actor:      r.getenv("GITHUB_ACTOR"),
		InActions:  r.getenv("GITHUB_ACTIONS") == "true",
		InAct:      r.getenv("ACT") == "true",
	}
	if g.Workspace == "" {
		g.Workspace, _ = os.Getwd()
	}
	if abs, err := filepath.Abs(g.Workspace); err == nil {
		g.Workspace = abs
	}
	if real, err := filepath.EvalSymlinks(g.Workspace); err == nil {
		g.Workspace = real
	}
	return g
}
