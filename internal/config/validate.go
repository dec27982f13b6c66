package config

import (
	"net/url"
	"regexp"
	"strings"
)

var (
	// https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_CreateRepository.html
	repositoryPattern    = regexp.MustCompile(`^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$`)
	tagPattern           = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.\-]{0,127}$`)
	imagePattern         = regexp.MustCompile(`^[a-z0-9.\-]+(?::\d+)?/[a-z0-9._/\-]+(?::[A-Za-z0-9_][A-Za-z0-9_.\-]{0,127}|@sha256:[a-f0-9]{64})$`)
	regionPattern        = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-\d{1,2}$`)
	roleARNPattern       = regexp.MustCompile(`^arn:aws[a-z\-]*:iam::\d{12}:role/[\w+=,.@/\-]{1,512}$`)
	sessionPattern       = regexp.MustCompile(`^[\w+=,.@\-]{2,64}$`)
	containerNamePattern = regexp.MustCompile(`^[A-Za-z0-9_\-]{1,255}$`)
	envNamePattern       = regexp.MustCompile(`^[A-Z_][A-Z0-9_]*$`)
)

// validate checks the combinations of inputs, per command and per stage,
// and chooses the deployment platform among platforms.
func (c *Config) validate(r *reader, platforms []Platform) {
	var entries []*entry
	targets := r.str("targets")
	if targets != "" {
		entries = c.readEntries(r, platforms, targets)
	}
	chosen := c.choosePlatform(r, platforms, entries)
	if targets != "" {
		c.checkTargets(r, platforms, entries)
		c.checkWaves(r)
	}
	switch c.Command {
	case CommandDeploy, CommandPlan:
		if c.DeploymentID != "" {
			r.fail("deployment-id", "is only used with command continue, stop or status (command is %s)", c.Command)
		}
		if targets == "" && !c.SecretsEnabled() && !c.BuildEnabled() && c.Image.URI == "" && !c.DeployEnabled() {
			r.fail("command", "%s has nothing to do: give secrets, ecr-repository, image or %s", c.Command, firstSelects(platforms))
		}
	case CommandContinue, CommandStop, CommandStatus:
		if c.DeploymentID == "" {
			r.fail("deployment-id", "is required with command %s", c.Command)
		}
	}

	if c.NeedsAWS() {
		switch {
		case c.AWS.Region == "" && (c.Takes() || c.Targets == nil): // a command's targets each say theirs
			r.fail("aws-region", "is required: set it, or AWS_REGION / AWS_DEFAULT_REGION")
		case c.AWS.Region != "" && !regionPattern.MatchString(c.AWS.Region):
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
	if targets == "" || !c.Takes() {
		c.checkPlatform(r, platforms, chosen)
	}

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

// validateDeploy checks the inputs every platform's deployment reads; the
// chosen platform checks its own.
func (c *Config) validateDeploy(r *reader) {
	if !c.DeployEnabled() {
		return
	}
	if !c.BuildEnabled() && c.Image.URI == "" {
		r.fail("image", "a deployment needs an image: give ecr-repository to build one, or image to deploy an existing one")
	}
	if c.Targets == nil {
		c.checkTargetInputs(r)
	}
}

// checkTargetInputs checks the deploy inputs of one target that every
// platform reads.
func (c *Config) checkTargetInputs(r *reader) {
	d := c.Deploy
	if d.ContainerName != "" && !containerNamePattern.MatchString(d.ContainerName) {
		r.fail("container-name", "%q is not a container name (1-255 letters, digits, '_', '-')", d.ContainerName)
	}
	if len(d.Description) > 4096 {
		r.fail("description", "is %d characters; keep it under 4096 (it is trimmed to the platform's limit)", len(d.Description))
	}
}

// firstSelects names each platform's first choosing input.
func firstSelects(platforms []Platform) string {
	var names []string
	for _, p := range platforms {
		names = append(names, p.Selects[0])
	}
	return strings.Join(names, ", or ")
}

// checkWaves checks the step-wide inputs against the targets, and makes
// the first target's region the step's when the step names none: the
// region the image is built and pushed in, and secrets are fetched from.
func (c *Config) checkWaves(r *reader) {
	if !c.Takes() || len(c.Targets) == 0 {
		return
	}
	if c.AWS.Region == "" {
		c.AWS.Region = c.Targets[0].Region
	}
	waves := map[int]bool{}
	for _, t := range c.Targets {
		waves[t.Wave] = true
	}
	if !c.Deploy.Wait && len(waves) > 1 {
		r.fail("wait", "is false: with targets in %d waves the run must see each wave end before the next starts", len(waves))
	}
}
