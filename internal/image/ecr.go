package image

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/ecr/types"
)

// ECRAPI is the part of the ECR API this package calls.
type ECRAPI interface {
	GetAuthorizationToken(context.Context, *ecr.GetAuthorizationTokenInput, ...func(*ecr.Options)) (*ecr.GetAuthorizationTokenOutput, error)
	DescribeRepositories(context.Context, *ecr.DescribeRepositoriesInput, ...func(*ecr.Options)) (*ecr.DescribeRepositoriesOutput, error)
	CreateRepository(context.Context, *ecr.CreateRepositoryInput, ...func(*ecr.Options)) (*ecr.CreateRepositoryOutput, error)
	DescribeImages(context.Context, *ecr.DescribeImagesInput, ...func(*ecr.Options)) (*ecr.DescribeImagesOutput, error)
	BatchGetImage(context.Context, *ecr.BatchGetImageInput, ...func(*ecr.Options)) (*ecr.BatchGetImageOutput, error)
}

// imageDescriber and imageGetter are the calls TagDigest and Resolve make,
// so that a caller that only reads (a plan) need not have the rest of ECRAPI.
type (
	imageDescriber interface {
		DescribeImages(context.Context, *ecr.DescribeImagesInput, ...func(*ecr.Options)) (*ecr.DescribeImagesOutput, error)
	}
	imageGetter interface {
		BatchGetImage(context.Context, *ecr.BatchGetImageInput, ...func(*ecr.Options)) (*ecr.BatchGetImageOutput, error)
	}
)

// Auth is a registry login.
type Auth struct {
	Username string
	Password string // secret: mask it
	Server   string // registry host, e.g. 123456789012.dkr.ecr.us-east-1.amazonaws.com
	HTTP     bool   // the registry answers plain HTTP (ECR's proxy endpoint says http://: the sandbox)
}

// Login returns the ECR registry's credentials from GetAuthorizationToken.
func Login(ctx context.Context, api ECRAPI) (Auth, error) {
	out, err := api.GetAuthorizationToken(ctx, &ecr.GetAuthorizationTokenInput{})
	if err != nil {
		return Auth{}, fmt.Errorf("getting the ECR authorization token: %w", err)
	}
	if len(out.AuthorizationData) == 0 {
		return Auth{}, errors.New("getting the ECR authorization token: the answer has no authorization data")
	}
	data := out.AuthorizationData[0]
	raw, err := base64.StdEncoding.DecodeString(aws.ToString(data.AuthorizationToken))
	if err != nil {
		return Auth{}, fmt.Errorf("decoding the ECR authorization token: %w", err)
	}
	user, password, ok := strings.Cut(string(raw), ":")
	if !ok {
		return Auth{}, errors.New("decoding the ECR authorization token: it is not user:password")
	}
	server, plain := aws.ToString(data.ProxyEndpoint), false
	if u, err := url.Parse(server); err == nil && u.Host != "" {
		server, plain = u.Host, u.Scheme == "http"
	}
	return Auth{Username: user, Password: password, Server: server, HTTP: plain}, nil
}

// Repository is an ECR repository.
type Repository struct {
	Name    string
	URI     string // host/name
	Created bool   // created by this run
}

// EnsureRepository returns the repository name; when it does not exist it
// is created with scan-on-push and immutable tags if create is set, and is
// ErrRepositoryNotFound otherwise.
func EnsureRepository(ctx context.Context, api ECRAPI, name string, create bool) (Repository, error) {
	out, err := api.DescribeRepositories(ctx, &ecr.DescribeRepositoriesInput{RepositoryNames: []string{name}})
	var notFound *types.RepositoryNotFoundException
	switch {
	case err == nil && len(out.Repositories) > 0:
		return Repository{Name: name, URI: aws.ToString(out.Repositories[0].RepositoryUri)}, nil
	case err != nil && !errors.As(err, &notFound):
		return Repository{}, fmt.Errorf("describing ECR repository %q: %w", name, err)
	case !create:
		return Repository{}, fmt.Errorf("%w: %q", ErrRepositoryNotFound, name)
	}
	created, err := api.CreateRepository(ctx, &ecr.CreateRepositoryInput{
		RepositoryName:             aws.String(name),
		ImageScanningConfiguration: &types.ImageScanningConfiguration{ScanOnPush: true},
		ImageTagMutability:         types.ImageTagMutabilityImmutable,
	})
	if err != nil {
		return Repository{}, fmt.Errorf("creating ECR repository %q: %w", name, err)
	}
	return Repository{Name: name, URI: aws.ToString(created.Repository.RepositoryUri), Created: true}, nil
}

// TagDigest returns the digest of the image tagged tag in the repository
// name, or "" when no image has that tag.
func TagDigest(ctx context.Context, api imageDescriber, name, tag string) (string, error) {
	out, err := api.DescribeImages(ctx, &ecr.DescribeImagesInput{
		RepositoryName: aws.String(name),
		ImageIds:       []types.ImageIdentifier{{ImageTag: aws.String(tag)}},
	})
	var notFound *types.ImageNotFoundException
	switch {
	case errors.As(err, &notFound):
		return "", nil
	case err != nil:
		return "", fmt.Errorf("looking up tag %q in ECR repository %q: %w", tag, name, err)
	case len(out.ImageDetails) == 0:
		return "", nil
	}
	return aws.ToString(out.ImageDetails[0].ImageDigest), nil
}

// refPattern splits an image reference into registry host, repository,
// and tag or digest.
var refPattern = regexp.MustCompile(`^([^/]+)/(.+?)(?::([\w][\w.\-]{0,127})|@(sha256:[a-f0-9]{64}))$`)

// ecrHost matches an ECR registry host and captures its account and region.
var ecrHost = regexp.MustCompile(`^(\d{12})\.dkr\.ecr(?:-fips)?\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?$`)

// ECRRegion is the region of an image reference's ECR registry, or "" when
// its host is not an ECR registry's (another registry, a sandbox).
func ECRRegion(ref string) string {
	host, _, _ := strings.Cut(ref, "/")
	if m := ecrHost.FindStringSubmatch(host); m != nil {
		return m[2]
	}
	return ""
}

// Resolve finds an existing image, given by tag or digest, in ECR
// (BatchGetImage) and returns it named by digest. The registry's account is
// taken from an ECR host name; any other host (a sandbox) means the
// caller's own registry.
func Resolve(ctx context.Context, api imageGetter, ref string) (Image, error) {
	m := refPattern.FindStringSubmatch(ref)
	if m == nil {
		return Image{}, fmt.Errorf("image %q is not a reference with a tag or digest", ref)
	}
	host, name, tag, digest := m[1], m[2], m[3], m[4]
	in := &ecr.BatchGetImageInput{RepositoryName: aws.String(name)}
	if a := ecrHost.FindStringSubmatch(host); a != nil {
		in.RegistryId = aws.String(a[1])
	}
	id := types.ImageIdentifier{}
	if tag != "" {
		id.ImageTag = aws.String(tag)
	} else {
		id.ImageDigest = aws.String(digest)
	}
	in.ImageIds = []types.ImageIdentifier{id}
	out, err := api.BatchGetImage(ctx, in)
	var noRepo *types.RepositoryNotFoundException
	switch {
	case errors.As(err, &noRepo):
		return Image{}, fmt.Errorf("resolving image %q: %w: %q", ref, ErrRepositoryNotFound, name)
	case err != nil:
		return Image{}, fmt.Errorf("resolving image %q: %w", ref, err)
	case len(out.Images) == 0:
		reason := "no such tag or digest"
		if len(out.Failures) > 0 {
			reason = aws.ToString(out.Failures[0].FailureReason)
		}
		return Image{}, fmt.Errorf("resolving image %q: %w: %s", ref, ErrImageNotFound, reason)
	}
	img := Image{Repository: host + "/" + name, Digest: aws.ToString(out.Images[0].ImageId.ImageDigest)}
	if tag != "" {
		img.Tags = []string{tag}
	}
	if digest != "" && img.Digest != digest {
		return Image{}, fmt.Errorf("resolving image %q: ECR answered digest %s", ref, img.Digest)
	}
	return img, nil
}
