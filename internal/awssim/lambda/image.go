package lambda

import (
	"strings"
	"time"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim"
)

// lambdaImage checks an ImageUri against the sandbox's registry. It returns
// the resolved URI (repository@digest) and the digest, or Lambda's refusal:
// CreateFunction and UpdateFunctionCode answer 400
// InvalidParameterValueException at once for an image that does not exist
// or whose media type Lambda does not support, such as an image index
// (Docker's provenance attestations make one); see
// terraform-aws-modules/terraform-aws-lambda#741 (UpdateFunctionCode) and
// aws/aws-lambda-roadmap#82.
//
// Lambda reads the image as lambda.amazonaws.com, so first the repository's
// policy must let it (ecr:BatchGetImage and ecr:GetDownloadUrlForLayer);
// when it does not, Lambda adds that statement itself if the caller may
// ecr:GetRepositoryPolicy and ecr:SetRepositoryPolicy on the repository,
// and otherwise refuses with 403 (AWS Lambda Developer Guide, "Create a
// Lambda function using a container image", Amazon ECR permissions; the
// refusal's message as CloudFormation reported it in
// aws-samples/bedrock-access-gateway#127).
func (s *Service) lambdaImage(ic *awssim.IAMCall, fnARN, uri string) (resolved, digest string, err error) {
	repoRef, ref, byDigest := strings.Cut(uri, "@")
	if !byDigest {
		if i := strings.LastIndex(uri, ":"); i > strings.LastIndex(uri, "/") {
			repoRef, ref = uri[:i], uri[i+1:]
		} else {
			ref = "latest"
		}
	}
	missing := lambdaInvalid("Source image %s does not exist. Provide a valid source image.", uri)
	_, name, ok := strings.Cut(repoRef, "/")
	if !ok {
		return "", "", missing
	}
	if err := s.ensureImageAccess(ic, fnARN, name); err != nil {
		return "", "", err
	}
	digest, mediaType, found := s.Peers.Images.Image(name, ref, byDigest)
	if !found {
		return "", "", missing
	}
	if strings.Contains(mediaType, "index") || strings.Contains(mediaType, "manifest.list") {
		return "", "", lambdaInvalid("The image manifest, config or layer media type for the source image %s is not supported.", uri)
	}
	return repoRef + "@" + digest, digest, nil
}

// imageReadActions are what Lambda needs of an image's repository.
var imageReadActions = []string{"ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"}

// ensureImageAccess makes sure the repository's policy lets Lambda read
// its images for function fnARN, adding Lambda's statement when the caller
// may, or returns Lambda's refusal. A repository that does not exist is
// left to the image check.
func (s *Service) ensureImageAccess(ic *awssim.IAMCall, fnARN, repository string) error {
	images := s.Peers.Images
	arn, ok := images.Repository(repository)
	if !ok || images.ServiceAllows(repository, "lambda.amazonaws.com", fnARN, imageReadActions...) {
		return nil
	}
	if s.Allow(ic, "ecr:GetRepositoryPolicy", arn) != "" || s.Allow(ic, "ecr:SetRepositoryPolicy", arn) != "" {
		return &awssim.Error{Status: 403, Code: "AccessDeniedException", Message: "Lambda does not have permission to access the ECR image. Check the ECR permissions."}
	}
	images.AddStatement(repository, map[string]any{
		"Sid":       "LambdaECRImageRetrievalPolicy",
		"Effect":    "Allow",
		"Principal": map[string]any{"Service": "lambda.amazonaws.com"},
		"Action":    imageReadActions,
	})
	return nil
}

// setImage points v at an image, ready after lambdaReadyDelay, or returns
// Lambda's refusal of it, changing nothing. ic is the caller's request.
func (s *Service) setImage(ic *awssim.IAMCall, v *lambdaVersion, uri string, now time.Time) error {
	resolved, digest, err := s.lambdaImage(ic, v.fn.arn, uri)
	if err != nil {
		return err
	}
	v.imageURI, v.resolved = uri, resolved
	v.codeSha256 = strings.TrimPrefix(digest, "sha256:")
	v.codeSize = 0
	v.modified, v.readyAt, v.revisionID = now, now.Add(lambdaReadyDelay), awssim.RequestID()
	return nil
}
