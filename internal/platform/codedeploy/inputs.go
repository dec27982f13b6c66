package codedeploy

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/codedeploy/types"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/config"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/deploy"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/deploy/ecs"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/deploy/lambda"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/deploy/server"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/image"
)

// Inputs is the platform as config chooses it: codedeploy-application (and
// its group) choose it, its deployment ids are d- and 9 letters or digits.
var Inputs = config.Platform{
	Name:    "codedeploy",
	Selects: []string{"codedeploy-application", "codedeploy-deployment-group"},
	Needs:   "codedeploy-application and codedeploy-deployment-group",
	Owns:    []string{"bundle", "s3-bucket", "deployment-config", "lambda-function"},
	ID:      regexp.MustCompile(`^d-[A-Z0-9]{9}$`),
	IDForm:  "a CodeDeploy deployment id (d- and 9 letters or digits, e.g. d-A1B2C3D4E)",
	Check:   checkInputs,
}

// maxHealthCheckTimeout leaves the generated ValidateService hook (one hour
// at most, CodeDeploy's limit) time to report after its health check.
const maxHealthCheckTimeout = 55 * time.Minute

var (
	// CodeDeploy names: 1-100 characters.
	namePattern       = regexp.MustCompile(`^[A-Za-z0-9_.\-+=,@]{1,100}$`)
	bucketPattern     = regexp.MustCompile(`^[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9]$`)
	s3PrefixPattern   = regexp.MustCompile(`^[A-Za-z0-9!_.*'()/\-]{0,512}$`)
	proxyImagePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._/:@-]{0,254}$`)
	// Lambda: a function's name or unqualified ARN; an alias name, not all digits.
	lambdaFunctionPattern = regexp.MustCompile(`^(?:arn:aws[a-z\-]*:lambda:[a-z]{2}(?:-gov)?-[a-z]+-\d:\d{12}:function:)?[A-Za-z0-9_\-]{1,64}$`)
	lambdaAliasPattern    = regexp.MustCompile(`^[A-Za-z0-9_\-]{1,128}$`)
	digitsPattern         = regexp.MustCompile(`^[0-9]+$`)
)

// checkInputs checks the platform's inputs once config chose it.
func checkInputs(c *config.Config, r config.InputReader) {
	d := c.Deploy
	if (d.Application == "") != (d.DeploymentGroup == "") {
		r.Fail("codedeploy-deployment-group", "codedeploy-application and codedeploy-deployment-group go together: give both or neither")
	}
	for _, in := range []struct{ name, value string }{{"codedeploy-application", d.Application}, {"codedeploy-deployment-group", d.DeploymentGroup}, {"deployment-config", d.DeploymentConfig}} {
		if in.value != "" && !namePattern.MatchString(in.value) {
			r.Fail(in.name, "%q is not a CodeDeploy name (1-100 letters, digits and _.-+=,@)", in.value)
		}
	}
	if d.S3Bucket != "" && (!bucketPattern.MatchString(d.S3Bucket) || strings.Contains(d.S3Bucket, "..")) {
		r.Fail("s3-bucket", "%q is not an S3 bucket name (3-63 lower-case letters, digits, '.', '-')", d.S3Bucket)
	}
	if !s3PrefixPattern.MatchString(d.S3Prefix) {
		r.Fail("s3-prefix", "%q is not a safe S3 key prefix (letters, digits and !_.*'()/-)", d.S3Prefix)
	}
	if d.Bundle != "" && d.S3Bucket == "" {
		r.Fail("s3-bucket", "is required with bundle: the Server revision is uploaded to S3")
	}
	if d.Bundle != "" && d.TaskDefinition != "" {
		r.Fail("task-definition", "is for ECS and bundle is for EC2/Server: give one")
	}
	if d.LambdaFunction != "" && !lambdaFunctionPattern.MatchString(d.LambdaFunction) {
		r.Fail("lambda-function", "%q is not a Lambda function name (1-64 letters, digits, '_', '-') or unqualified function ARN", d.LambdaFunction)
	}
	if !lambdaAliasPattern.MatchString(d.LambdaAlias) || digitsPattern.MatchString(d.LambdaAlias) {
		r.Fail("lambda-alias", "%q is not a Lambda alias name (1-128 letters, digits, '_', '-', not only digits)", d.LambdaAlias)
	}
	if d.LambdaFunction != "" && (d.Bundle != "" || d.TaskDefinition != "") {
		r.Fail("lambda-function", "is for a Lambda deployment group; bundle and task-definition are for EC2/Server and ECS: give one")
	}
	if region := image.ECRRegion(c.Image.URI); d.LambdaFunction != "" && region != "" && c.AWS.Region != "" && region != c.AWS.Region {
		r.Fail("image", "%q is in %s's ECR and Lambda runs only images of its own region (%s): give an image in %s, or ecr-repository to build one there", c.Image.URI, region, c.AWS.Region, c.AWS.Region)
	}
	if !healthPathPattern.MatchString(d.HealthCheckPath) {
		r.Fail("health-check-path", "%q is not a URL path: it must start with '/' and hold only letters, digits, %s and %%XX escapes, with an optional ?query", d.HealthCheckPath, pathPunct)
	}
	if d.HealthTimeout > maxHealthCheckTimeout {
		r.Fail("health-check-timeout", "%q is more than %s: the generated ValidateService hook may run for at most 1h", r.Str("health-check-timeout"), maxHealthCheckTimeout)
	}
	if !proxyImagePattern.MatchString(d.ProxyImage) {
		r.Fail("proxy-image", "%q is not an image reference (e.g. caddy:2.11.4-alpine or 123456789012.dkr.ecr.us-east-1.amazonaws.com/caddy:2.11.4-alpine@sha256:<64 hex>)", d.ProxyImage)
	}
}

// source is a compute platform as a revision source: the input that is its
// own, and how errors name it.
type source struct {
	input string // the input only this source reads
	group string // a group of it: "EC2/on-premises (Server)"
	owner string // whom input is for: "EC2/on-premises"
	check func(in config.Deploy, group string) error
}

// sources are the revision sources, by the group's compute platform, in
// the order their inputs are refused.
var sources = []struct {
	platform types.ComputePlatform
	source
}{
	{types.ComputePlatformServer, source{"bundle", "EC2/on-premises (Server)", "EC2/on-premises", server.CheckInputs}},
	{types.ComputePlatformEcs, source{"task-definition", "ECS", "ECS", func(config.Deploy, string) error { return nil }}},
	{types.ComputePlatformLambda, source{"lambda-function", "AWS Lambda", "Lambda", lambda.CheckInputs}},
}

// checkGroup refuses, at discovery, the inputs of another source than the
// group's compute platform, then lets the group's source check its own.
func checkGroup(in config.Deploy, g deploy.Group) error {
	values := map[string]string{"bundle": in.Bundle, "task-definition": in.TaskDefinition, "lambda-function": in.LambdaFunction}
	var own *source
	for i, s := range sources {
		if s.platform == g.Platform {
			own = &sources[i].source
		}
	}
	if own == nil {
		return fmt.Errorf("deployment group %q: compute platform %q is %w", g.Name, g.Platform, deploy.ErrUnsupported)
	}
	for _, s := range sources {
		if s.platform != g.Platform && values[s.input] != "" {
			return &config.InputError{Input: s.input, Problem: fmt.Sprintf("deployment group %q is for %s; %s is for %s", g.Name, own.group, s.input, s.owner)}
		}
	}
	return own.check(in, g.Name)
}

// CheckFiles checks, before any AWS call, the files of the revision source
// the inputs name: a bundle (Server), a Lambda appspec (with
// lambda-function), else an ECS task definition and appspec.
func CheckFiles(in config.Deploy) error {
	switch {
	case in.Bundle != "":
		return server.CheckBundle(in.Bundle)
	case in.LambdaFunction != "":
		return lambda.CheckFiles(in.AppSpec)
	}
	return ecs.CheckFiles(in.TaskDefinition, in.AppSpec)
}
