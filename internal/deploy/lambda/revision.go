// Package lambda makes the revision of an AWS Lambda deployment: the
// container-image function's code updated to the pushed image and published
// as a new version, and the AppSpec that shifts the alias from its current
// version to that one.
package lambda

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/smithy-go"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/deploy"
)

// API is the Lambda calls the revision makes; *lambda.Client has them.
type API interface {
	GetFunction(context.Context, *lambda.GetFunctionInput, ...func(*lambda.Options)) (*lambda.GetFunctionOutput, error)
	GetFunctionConfiguration(context.Context, *lambda.GetFunctionConfigurationInput, ...func(*lambda.Options)) (*lambda.GetFunctionConfigurationOutput, error)
	UpdateFunctionCode(context.Context, *lambda.UpdateFunctionCodeInput, ...func(*lambda.Options)) (*lambda.UpdateFunctionCodeOutput, error)
	GetAlias(context.Context, *lambda.GetAliasInput, ...func(*lambda.Options)) (*lambda.GetAliasOutput, error)
}

// Input is what a Lambda revision is made from.
type Input struct {
	Function string // name or ARN
	Alias    string
	AppSpec  string // template file with hooks; "": none
	ImageURI string // by digest
}

// Waiting for a version to become active: Lambda's own waiters poll every
// 5 s; an image function's update takes seconds to minutes.
const (
	waitMinDelay = time.Second
	waitMaxDelay = 5 * time.Second
	waitMax      = 15 * time.Minute
)

// VersionError is a published version Lambda could not make Active, such
// as an image Lambda accepted, then found unusable (InvalidImage: AWS's rare
// path; UpdateFunctionCode refuses most bad images at once, see
// ImageError). Its ErrorCode is Lambda's StateReasonCode.
type VersionError struct {
	Function, Version string
	Code              types.StateReasonCode
	Reason            string
}

func (e *VersionError) Error() string {
	msg := fmt.Sprintf("version %s of Lambda function %q failed (%s): %s", e.Version, e.Function, e.Code, e.Reason)
	if e.Code == types.StateReasonCodeInvalidImage {
		msg += " (Lambda takes a single-platform image manifest, not an image index: build without provenance attestations)"
	}
	return msg
}

// ErrorCode is Lambda's reason code, for the error-code output.
func (e *VersionError) ErrorCode() string { return string(e.Code) }

// ImageError is Lambda's refusal of the image UpdateFunctionCode names:
// 400 InvalidParameterValueException "Source image … does not exist" or
// "The image manifest, config or layer media type for the source image … is
// not supported" (an image index, such as BuildKit's provenance
// attestations make). Nothing was published.
type ImageError struct {
	Function, Image string
	Message         string // Lambda's
	Unsupported     bool   // the media type, not a missing image
}

func (e *ImageError) Error() string {
	fix := "push the image to that repository first (check the registry, repository and tag or digest)"
	if e.Unsupported {
		fix = "Lambda takes a single-platform image manifest, not an image index: build for one platform (--platform linux/amd64 or linux/arm64) without provenance attestations or SBOMs (--provenance=false --sbom=false)"
	}
	return fmt.Sprintf("Lambda refused image %s for function %q: %s; %s", e.Image, e.Function, e.Message, fix)
}

// ErrorCode is Lambda's error code, for the error-code output.
func (e *ImageError) ErrorCode() string { return "InvalidParameterValueException" }

// imageError returns Lambda's refusal of an image as an ImageError, or nil
// when err is not one.
func imageError(err error, function, image string) *ImageError {
	var invalid *types.InvalidParameterValueException
	if !errors.As(err, &invalid) {
		return nil
	}
	msg := invalid.ErrorMessage()
	switch {
	case strings.Contains(msg, "media type for the source image"):
		return &ImageError{Function: function, Image: image, Message: msg, Unsupported: true}
	case strings.Contains(msg, "Provide a valid source image"):
		return &ImageError{Function: function, Image: image, Message: msg}
	}
	return nil
}

// RepositoryAccessError is Lambda's 403 AccessDeniedException "Lambda does
// not have permission to access the ECR image": the image's repository
// policy does not let lambda.amazonaws.com pull it, and the caller may not
// ecr:GetRepositoryPolicy and ecr:SetRepositoryPolicy for Lambda to add
// that itself (AWS Lambda Developer Guide, "Create a Lambda function using
// a container image", Amazon ECR permissions). Nothing was published.
type RepositoryAccessError struct {
	Function, Image string
	Message         string // Lambda's
}

// lambdaPullStatement is the repository policy statement Lambda needs, as
// the Developer Guide gives it.
const lambdaPullStatement = `{"Sid": "LambdaECRImageRetrievalPolicy", "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]}`

// ecrHost is a private registry's host: account and region.
var ecrHost = regexp.MustCompile(`^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com$`)

func (e *RepositoryAccessError) Error() string {
	host, repo, _ := strings.Cut(e.Image, "/")
	repo, _, _ = strings.Cut(repo, "@")
	if i := strings.LastIndex(repo, ":"); i >= 0 {
		repo = repo[:i]
	}
	arn := "the repository's ARN"
	if m := ecrHost.FindStringSubmatch(host); m != nil {
		arn = fmt.Sprintf("arn:aws:ecr:%s:%s:repository/%s", m[2], m[1], repo)
	}
	return fmt.Sprintf("Lambda refused image %s for function %q: %s; the policy of ECR repository %q does not let Lambda pull the image. "+
		"Add this statement to it (aws ecr set-repository-policy, or RepositoryPolicyText as examples/cloudformation/lambda.yaml has it): %s; "+
		"or grant the deploy role ecr:GetRepositoryPolicy and ecr:SetRepositoryPolicy on %s, and Lambda adds the statement itself",
		e.Image, e.Function, strings.TrimSuffix(e.Message, "."), repo, lambdaPullStatement, arn)
}

// ErrorCode is Lambda's error code, for the error-code output.
func (e *RepositoryAccessError) ErrorCode() string { return "AccessDeniedException" }

// repositoryAccessError returns Lambda's refusal to read the image's
// repository as a RepositoryAccessError, or nil when err is not one (an
// AccessDeniedException of IAM names the caller, not the ECR image).
func repositoryAccessError(err error, function, image string) *RepositoryAccessError {
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "AccessDeniedException" || !strings.Contains(ae.ErrorMessage(), "permission to access the ECR image") {
		return nil
	}
	return &RepositoryAccessError{Function: function, Image: image, Message: ae.ErrorMessage()}
}

// Revision is the Lambda platform's contribution to a deployment. It checks
// that the function is a container-image one and that the alias exists,
// waits for an update in progress to end, updates the function's code to ImageURI and publishes it, waits for the
// new version to be Active (a Failed one is an error, and no deployment is
// made), and renders the AppSpec that moves the alias from its current
// version to the new one, with the template's hooks. The Revision's Version
// is the published version.
func Revision(ctx context.Context, api API, in Input) (deploy.Revision, error) {
	if in.ImageURI == "" {
		return deploy.Revision{}, errors.New("deploying to Lambda needs an image")
	}
	var hooks []map[string]string
	if in.AppSpec != "" {
		var err error
		if hooks, err = loadHooks(in.AppSpec); err != nil {
			return deploy.Revision{}, err
		}
	}
	fn, err := api.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(in.Function)})
	if err != nil {
		return deploy.Revision{}, fmt.Errorf("reading Lambda function %q: %w", in.Function, err)
	}
	if fn.Configuration == nil {
		return deploy.Revision{}, fmt.Errorf("reading Lambda function %q: the answer has no Configuration", in.Function)
	}
	if pt := fn.Configuration.PackageType; pt != types.PackageTypeImage {
		return deploy.Revision{}, fmt.Errorf("deploying to Lambda function %q: it is a %s function; only container-image functions are supported for now", in.Function, pt)
	}
	name := aws.ToString(fn.Configuration.FunctionName)
	alias, err := api.GetAlias(ctx, &lambda.GetAliasInput{FunctionName: aws.String(in.Function), Name: aws.String(in.Alias)})
	if err != nil {
		return deploy.Revision{}, fmt.Errorf("reading alias %q of Lambda function %q: %w", in.Alias, in.Function, err)
	}
	current := aws.ToString(alias.FunctionVersion)
	if fn.Configuration.LastUpdateStatus == types.LastUpdateStatusInProgress {
		// Lambda refuses an update while one is in progress.
		w := lambda.NewFunctionUpdatedV2Waiter(api, func(o *lambda.FunctionUpdatedV2WaiterOptions) {
			o.MinDelay, o.MaxDelay = waitMinDelay, waitMaxDelay
		})
		if err := w.Wait(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(in.Function)}, waitMax); err != nil {
			return deploy.Revision{}, fmt.Errorf("waiting for the update in progress of Lambda function %q: %w", in.Function, err)
		}
	}

	upd, err := api.UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{
		FunctionName: aws.String(in.Function),
		ImageUri:     aws.String(in.ImageURI),
		Publish:      true,
	})
	if ie := imageError(err, in.Function, in.ImageURI); ie != nil {
		return deploy.Revision{}, ie
	}
	if re := repositoryAccessError(err, in.Function, in.ImageURI); re != nil {
		return deploy.Revision{}, re
	}
	if err != nil {
		return deploy.Revision{}, fmt.Errorf("updating the code of Lambda function %q to %s: %w", in.Function, in.ImageURI, err)
	}
	version := aws.ToString(upd.Version)
	if !versionPattern.MatchString(version) {
		return deploy.Revision{}, fmt.Errorf("updating the code of Lambda function %q: the answer has no published version (Version %q)", in.Function, version)
	}
	if version == current {
		// Publishing unchanged code returns the last version, and CodeDeploy
		// fails a deployment whose CurrentVersion is its TargetVersion under
		// a canary or linear configuration (terraform-aws-lambda#82, #85):
		// no deployment is made.
		return deploy.Revision{}, fmt.Errorf("nothing to deploy to Lambda function %q: Lambda published no new version for image %s, and alias %q already points to version %s with this code", in.Function, in.ImageURI, in.Alias, version)
	}
	if err := waitActive(ctx, api, in.Function, version); err != nil {
		return deploy.Revision{}, err
	}
	content, err := renderAppSpec(name, in.Alias, current, version, hooks)
	if err != nil {
		return deploy.Revision{}, err
	}
	rev := deploy.AppSpecRevision(content)
	rev.Version = version
	return rev, nil
}

// versionPattern is a published version number (not $LATEST).
var versionPattern = regexp.MustCompile(`^[0-9]+$`)

// waitActive waits, with the rules of Lambda's PublishedVersionActive
// waiter, for version to be Active; Failed is an error saying why.
func waitActive(ctx context.Context, api API, function, version string) error {
	w := lambda.NewPublishedVersionActiveWaiter(api, func(o *lambda.PublishedVersionActiveWaiterOptions) {
		o.MinDelay, o.MaxDelay = waitMinDelay, waitMaxDelay
	})
	in := &lambda.GetFunctionConfigurationInput{FunctionName: aws.String(function), Qualifier: aws.String(version)}
	err := w.Wait(ctx, in, waitMax)
	if err == nil {
		return nil
	}
	if ctx.Err() == nil {
		if c, cerr := api.GetFunctionConfiguration(ctx, in); cerr == nil && c.State == types.StateFailed {
			return &VersionError{Function: function, Version: version, Code: c.StateReasonCode, Reason: aws.ToString(c.StateReason)}
		}
	}
	return fmt.Errorf("waiting for version %s of Lambda function %q to be active: %w", version, function, err)
}
