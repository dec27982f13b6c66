package ecr_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim/awssimtest"
)

func TestECRRepositories(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	sb := awssimtest.Start(t, awssim.Options{})
	client := ecr.NewFromConfig(sb.Config())

	out, err := client.CreateRepository(ctx, &ecr.CreateRepositoryInput{
		RepositoryName:             aws.String("team/app"),
		ImageTagMutability:         ecrtypes.ImageTagMutabilityImmutable,
		ImageScanningConfiguration: &ecrtypes.ImageScanningConfiguration{ScanOnPush: true},
	})
	if err != nil {
		t.Fatal(err)
	}
	repo := out.Repository
	if got, want := aws.ToString(repo.RepositoryUri), sb.Host+"/team/app"; got != want {
		t.Errorf("repositoryUri = %q, want %q", got, want)
	}
	if got, want := aws.ToString(repo.RepositoryArn), "arn:aws:ecr:us-east-1:123456789012:repository/team/app"; got != want {
		t.Errorf("repositoryArn = %q, want %q", got, want)
	}
	if repo.ImageTagMutability != ecrtypes.ImageTagMutabilityImmutable || !repo.ImageScanningConfiguration.ScanOnPush || repo.CreatedAt == nil {
		t.Errorf("repository = %+v, want IMMUTABLE, scanOnPush and createdAt", repo)
	}

	tests := []struct {
		name     string
		call     func() error
		wantCode string
		wantMsg  string
	}{
		{"create again", func() error {
			_, err := client.CreateRepository(ctx, &ecr.CreateRepositoryInput{RepositoryName: aws.String("team/app")})
			return err
		}, "RepositoryAlreadyExistsException", "The repository with name 'team/app' already exists in the registry with id '123456789012'"},
		{"bad name", func() error {
			_, err := client.CreateRepository(ctx, &ecr.CreateRepositoryInput{RepositoryName: aws.String("Team")})
			return err
		}, "InvalidParameterException", ""},
		{"describe", func() error {
			out, err := client.DescribeRepositories(ctx, &ecr.DescribeRepositoriesInput{RepositoryNames: []string{"team/app"}})
			if err == nil && aws.ToString(out.Repositories[0].RepositoryUri) != sb.Host+"/team/app" {
				t.Errorf("DescribeRepositories = %+v, want team/app", out.Repositories)
			}
			return err
		}, "", ""},
		{"describe missing", func() error {
			_, err := client.DescribeRepositories(ctx, &ecr.DescribeRepositoriesInput{RepositoryNames: []string{"nope"}})
			return err
		}, "RepositoryNotFoundException", "The repository with name 'nope' does not exist in the registry with id '123456789012'"},
		{"images of missing repository", func() error {
			_, err := client.DescribeImages(ctx, &ecr.DescribeImagesInput{RepositoryName: aws.String("nope")})
			return err
		}, "RepositoryNotFoundException", ""},
		{"missing image", func() error {
			_, err := client.DescribeImages(ctx, &ecr.DescribeImagesInput{RepositoryName: aws.String("team/app"), ImageIds: []ecrtypes.ImageIdentifier{{ImageTag: aws.String("v9")}}})
			return err
		}, "ImageNotFoundException", "The image with imageId {imageDigest:'null', imageTag:'v9'} does not exist within the repository with name 'team/app' in the registry with id '123456789012'"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			code, msg := awssimtest.ErrorCode(t, tt.call())
			if code != tt.wantCode || (tt.wantMsg != "" && msg != tt.wantMsg) {
				t.Errorf("error = %q %q, want %q %q", code, msg, tt.wantCode, tt.wantMsg)
			}
		})
	}
}

func TestECRAuthorizationToken(t *testing.T) {
	t.Parallel()
	sb := awssimtest.Start(t, awssim.Options{})
	out, err := ecr.NewFromConfig(sb.Config()).GetAuthorizationToken(context.Background(), &ecr.GetAuthorizationTokenInput{})
	if err != nil {
		t.Fatal(err)
	}
	data := out.AuthorizationData[0]
	if got, want := aws.ToString(data.ProxyEndpoint), "http://"+sb.Host; got != want {
		t.Errorf("proxyEndpoint = %q, want %q", got, want)
	}
	if exp := time.Until(aws.ToTime(data.ExpiresAt)); exp < 11*time.Hour || exp > 13*time.Hour {
		t.Errorf("token expires in %v, want 12h", exp)
	}
}

func TestECRImages(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	sb := awssimtest.Start(t, awssim.Options{})
	client := ecr.NewFromConfig(sb.Config())
	if _, err := client.CreateRepository(ctx, &ecr.CreateRepositoryInput{RepositoryName: aws.String("app")}); err != nil {
		t.Fatal(err)
	}
	password := awssimtest.RegistryPassword(t, client)
	first, second := awssimtest.RandomImage(t), awssimtest.RandomImage(t)
	for _, p := range []struct {
		tag string
		img v1.Image
	}{{"v1", first}, {"latest", first}, {"v2", second}, {"latest", second}} {
		if err := awssimtest.Push(sb, password, "app:"+p.tag, p.img); err != nil {
			t.Fatalf("pushing app:%s: %v", p.tag, err)
		}
	}
	firstDigest, _ := first.Digest()
	secondDigest, _ := second.Digest()
	firstManifest, _ := first.RawManifest()

	desc, err := client.DescribeImages(ctx, &ecr.DescribeImagesInput{RepositoryName: aws.String("app"), ImageIds: []ecrtypes.ImageIdentifier{{ImageTag: aws.String("latest")}, {ImageDigest: aws.String(firstDigest.String())}}})
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		digest string
		tags   string
	}{{secondDigest.String(), "v2 latest"}, {firstDigest.String(), "v1"}}
	for i, d := range desc.ImageDetails {
		if aws.ToString(d.ImageDigest) != want[i].digest || strings.Join(d.ImageTags, " ") != want[i].tags || aws.ToInt64(d.ImageSizeInBytes) < 2048 || d.ImagePushedAt == nil {
			t.Errorf("imageDetails[%d] = digest %s, tags %v, size %d; want %s, %s, at least 2048", i, aws.ToString(d.ImageDigest), d.ImageTags, aws.ToInt64(d.ImageSizeInBytes), want[i].digest, want[i].tags)
		}
	}

	got, err := client.BatchGetImage(ctx, &ecr.BatchGetImageInput{RepositoryName: aws.String("app"), ImageIds: []ecrtypes.ImageIdentifier{
		{ImageTag: aws.String("v1")},
		{ImageTag: aws.String("v7")},
		{ImageDigest: aws.String(firstDigest.String()), ImageTag: aws.String("v2")},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Images) != 1 || aws.ToString(got.Images[0].ImageManifest) != string(firstManifest) || aws.ToString(got.Images[0].ImageManifestMediaType) == "" {
		t.Errorf("images = %+v, want the manifest of v1", got.Images)
	}
	var codes []string
	for _, f := range got.Failures {
		codes = append(codes, string(f.FailureCode))
	}
	if want := "ImageNotFound ImageTagDoesNotExist"; strings.Join(codes, " ") != want {
		t.Errorf("failure codes = %v, want %s", codes, want)
	}
}

// TestRepositoryPolicy sets, reads and deletes a repository policy, with
// the errors of botocore's ecr model: RepositoryPolicyNotFoundException
// with AWS's message when there is none, InvalidParameterException for a
// policy that is not one.
func TestRepositoryPolicy(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	sb := awssimtest.Start(t, awssim.Options{})
	client := ecr.NewFromConfig(sb.Config())
	if _, err := client.CreateRepository(ctx, &ecr.CreateRepositoryInput{RepositoryName: aws.String("app")}); err != nil {
		t.Fatal(err)
	}
	name := aws.String("app")
	const doc = `{"Version": "2012-10-17", "Statement": [{"Sid": "LambdaECRImageRetrievalPolicy", "Effect": "Allow",
		"Principal": {"Service": "lambda.amazonaws.com"}, "Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]}]}`
	var none *ecrtypes.RepositoryPolicyNotFoundException
	if _, err := client.GetRepositoryPolicy(ctx, &ecr.GetRepositoryPolicyInput{RepositoryName: name}); !errors.As(err, &none) ||
		none.ErrorMessage() != "Repository policy does not exist for the repository with name 'app' in the registry with id '123456789012'" {
		t.Errorf("GetRepositoryPolicy before any: %v, want RepositoryPolicyNotFoundException with AWS's message", err)
	}
	var invalid *ecrtypes.InvalidParameterException
	for _, bad := range []string{`{"Version": "2012-10-17"`, `{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "ecr:*"}]}`} {
		if _, err := client.SetRepositoryPolicy(ctx, &ecr.SetRepositoryPolicyInput{RepositoryName: name, PolicyText: aws.String(bad)}); !errors.As(err, &invalid) {
			t.Errorf("SetRepositoryPolicy(%s): %v, want InvalidParameterException", bad, err)
		}
	}
	set, err := client.SetRepositoryPolicy(ctx, &ecr.SetRepositoryPolicyInput{RepositoryName: name, PolicyText: aws.String(doc)})
	if err != nil || aws.ToString(set.PolicyText) != doc || aws.ToString(set.RegistryId) != "123456789012" {
		t.Fatalf("SetRepositoryPolicy: %+v, %v", set, err)
	}
	got, err := client.GetRepositoryPolicy(ctx, &ecr.GetRepositoryPolicyInput{RepositoryName: name})
	if err != nil || aws.ToString(got.PolicyText) != doc {
		t.Errorf("GetRepositoryPolicy: %+v, %v, want the policy set", got, err)
	}
	del, err := client.DeleteRepositoryPolicy(ctx, &ecr.DeleteRepositoryPolicyInput{RepositoryName: name})
	if err != nil || aws.ToString(del.PolicyText) != doc {
		t.Errorf("DeleteRepositoryPolicy: %+v, %v, want the deleted policy", del, err)
	}
	if _, err := client.DeleteRepositoryPolicy(ctx, &ecr.DeleteRepositoryPolicyInput{RepositoryName: name}); !errors.As(err, &none) {
		t.Errorf("DeleteRepositoryPolicy again: %v, want RepositoryPolicyNotFoundException", err)
	}
	var noRepo *ecrtypes.RepositoryNotFoundException
	if _, err := client.SetRepositoryPolicy(ctx, &ecr.SetRepositoryPolicyInput{RepositoryName: aws.String("nope"), PolicyText: aws.String(doc)}); !errors.As(err, &noRepo) {
		t.Errorf("SetRepositoryPolicy(nope): %v, want RepositoryNotFoundException", err)
	}
}
