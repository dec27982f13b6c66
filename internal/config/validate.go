package config

import (
	"net/url"
	"regexp"
	"strings"
	"time"
)

// maxHealthCheckTimeout leaves the generated ValidateService hook (one hour
// at most, CodeDeploy's limit) time to report after its health check.
const maxHealthCheckTimeout = 55 * time.Minute

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
	proxyImagePattern     = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._/:@-]{0,254}$`)
	envNamePattern        = regexp.MustCompile(`^[A-Z_][A-Z0-9_]*$`)
	// Lambda: a function's name or unqualified ARN; an alias name, not all digits.
	lambdaFunctionPattern = regexp.MustCompile(`^(?:arn:aws[a-z\-]*:lambda:[a-z]{2}(?:-gov)?-[a-z]+-\d:\d{12}:function:)?[A-Za-z0-9_\-]{1,64}$`)
	lambdaAliasPattern    = regexp.MustCompile(`^[A-Za-z0-9_\-]{1,128}$`)
	digitsPattern         = regexp.MustCompile(`^[0-9]+$`)
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
		for _, in := range []string{"bundle", "s3-bucket", "task-definition", "appspec", "deployment-config", "description", "container-name", "container-port", "timeout", "lambda-function"} {
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
	if d.LambdaFunction != "" && !lambdaFunctionPattern.MatchString(d.LambdaFunction) {
		r.fail("lambda-function", "%q is not a Lambda function name (1-64 letters, digits, '_', '-') or unqualified function ARN", d.LambdaFunction)
	}
	if !lambdaAliasPattern.MatchString(d.LambdaAlias) || digitsPattern.MatchString(d.LambdaAlias) {
		r.fail("lambda-alias", "%q is not a Lambda alias name (1-128 letters, digits, '_', '-', not only digits)", d.LambdaAlias)
	}
	if d.LambdaFunction != "" && (d.Bundle != "" || d.TaskDefinition != "") {
		r.fail("lambda-function", "is for a Lambda deployment group; bundle and task-definition are for EC2/Server and ECS: give one")
	}
	if d.ContainerName != "" && !containerNamePattern.MatchString(d.ContainerName) {
		r.fail("container-name", "%q is not a container name (1-255 letters, digits, '_', '-')", d.ContainerName)
	}
	if !healthPathPattern.MatchString(d.HealthCheckPath) {
		r.fail("health-check-path", "%q is not a URL path: it must start with '/' and hold only letters, digits, %s and %%XX escapes, with an optional ?query", d.HealthCheckPath, pathPunct)
	}
	if d.HealthTimeout > maxHealthCheckTimeout {
		r.fail("health-check-timeout", "%q is more than %s: the generated ValidateService hook may run for at most 1h", r.str("health-check-timeout"), maxHealthCheckTimeout)
	}
	if !proxyImagePattern.MatchString(d.ProxyImage) {
		r.fail("proxy-image", "%q is not an image reference (e.g. caddy:2.11.4-alpine or 123456789012.dkr.ecr.us-east-1.amazonaws.com/caddy:2.11.4-alpine@sha256:<64 hex>)", d.ProxyImage)
	}
	if len(d.Description) > 4096 {
		r.fail("description", "is %d characters; keep it under 4096 (it is trimmed to CodeDeploy's limit)", len(d.Description))
	}
}
