package lambda

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim/awssimtest"
)

// TestRevisionImageRefused: Lambda refuses UpdateFunctionCode at once, 400
// InvalidParameterValueException, for a missing image and for an image
// index (terraform-aws-modules/terraform-aws-lambda#741,
// aws/aws-lambda-roadmap#82); the revision's error names the image and the
// fix, and no version is published.
func TestRevisionImageRefused(t *testing.T) {
	t.Parallel()
	sb := awssimtest.Start(t, awssim.Options{})
	ctx := context.Background()
	api := lambda.NewFromConfig(sb.Config())
	v1 := sb.PushImage(t, "fn")
	if _, err := api.CreateFunction(ctx, &lambda.CreateFunctionInput{
		FunctionName: aws.String("web"), PackageType: types.PackageTypeImage,
		Role: aws.String("arn:aws:iam::123456789012:role/web"), Code: &types.FunctionCode{ImageUri: aws.String(v1)},
	}); err != nil {
		t.Fatal(err)
	}
	if err := lambda.NewFunctionActiveV2Waiter(api, func(o *lambda.FunctionActiveV2WaiterOptions) { o.MinDelay = 50 * time.Millisecond }).
		Wait(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("web")}, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	if _, err := api.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String("web")}); err != nil {
		t.Fatal(err)
	}
	if _, err := api.CreateAlias(ctx, &lambda.CreateAliasInput{FunctionName: aws.String("web"), Name: aws.String("live"), FunctionVersion: aws.String("1")}); err != nil {
		t.Fatal(err)
	}
	_, digest, _ := strings.Cut(v1, "@")
	index := `{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"` +
		digest + `","size":1,"platform":{"os":"linux","architecture":"amd64"}}]}`
	multi := sb.PutManifest(t, "fn", "multi", "application/vnd.oci.image.index.v1+json", []byte(index))

	for _, tc := range []struct{ name, image, fix string }{
		{"missing image", sb.Host + "/fn:nope", "push the image"},
		{"image index", multi, "--provenance=false"},
	} {
		_, err := Revision(ctx, api, Input{Function: "web", Alias: "live", ImageURI: tc.image})
		var ie *ImageError
		if !errors.As(err, &ie) || ie.ErrorCode() != "InvalidParameterValueException" || !strings.Contains(err.Error(), tc.image) || !strings.Contains(err.Error(), tc.fix) {
			t.Errorf("%s: %v, want an ImageError (InvalidParameterValueException) naming %s and the fix (%q)", tc.name, err, tc.image, tc.fix)
		}
	}
	list, err := api.ListVersionsByFunction(ctx, &lambda.ListVersionsByFunctionInput{FunctionName: aws.String("web")})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(list.Versions); n != 2 {
		t.Errorf("%d versions, want 2 ($LATEST and 1): the refused updates publish nothing", n)
	}
}

// unchangedAPI is Lambda answering UpdateFunctionCode with Publish for code
// that has not changed since version 1, which alias live points to: the
// last version, as PublishVersion does ("Lambda doesn't publish a version
// if the function's configuration and code haven't changed since the last
// version", Lambda API reference).
type unchangedAPI struct{ updates int }

func (a *unchangedAPI) GetFunction(context.Context, *lambda.GetFunctionInput, ...func(*lambda.Options)) (*lambda.GetFunctionOutput, error) {
	return &lambda.GetFunctionOutput{Configuration: &types.FunctionConfiguration{FunctionName: aws.String("web"), PackageType: types.PackageTypeImage, LastUpdateStatus: types.LastUpdateStatusSuccessful}}, nil
}

func (a *unchangedAPI) GetFunctionConfiguration(context.Context, *lambda.GetFunctionConfigurationInput, ...func(*lambda.Options)) (*lambda.GetFunctionConfigurationOutput, error) {
	return &lambda.GetFunctionConfigurationOutput{State: types.StateActive}, nil
}

func (a *unchangedAPI) UpdateFunctionCode(context.Context, *lambda.UpdateFunctionCodeInput, ...func(*lambda.Options)) (*lambda.UpdateFunctionCodeOutput, error) {
	a.updates++
	return &lambda.UpdateFunctionCodeOutput{Version: aws.String("1")}, nil
}

func (a *unchangedAPI) GetAlias(context.Context, *lambda.GetAliasInput, ...func(*lambda.Options)) (*lambda.GetAliasOutput, error) {
	return &lambda.GetAliasOutput{FunctionVersion: aws.String("1")}, nil
}

// TestRevisionUnchangedImage: when Lambda publishes no new version, the
// revision is an error saying there is nothing to deploy, rather than a
// deployment whose CurrentVersion is its TargetVersion.
func TestRevisionUnchangedImage(t *testing.T) {
	t.Parallel()
	api := &unchangedAPI{}
	_, err := Revision(context.Background(), api, Input{Function: "web", Alias: "live", ImageURI: "r/fn@sha256:ab"})
	if err == nil || !strings.Contains(err.Error(), "nothing to deploy") || !strings.Contains(err.Error(), "version 1") || api.updates != 1 {
		t.Errorf("Revision = %v after %d updates, want one update and an error saying there is nothing to deploy to version 1", err, api.updates)
	}
}

// TestRepositoryAccessErrorNamesTheARN: for an image in a private ECR
// registry, the error names the repository's ARN the two permissions go on.
func TestRepositoryAccessErrorNamesTheARN(t *testing.T) {
	e := &RepositoryAccessError{Function: "web", Image: "111122223333.dkr.ecr.eu-west-1.amazonaws.com/team/app@sha256:abc", Message: "Lambda does not have permission to access the ECR image. Check the ECR permissions."}
	for _, want := range []string{`ECR repository "team/app"`, "on arn:aws:ecr:eu-west-1:111122223333:repository/team/app,"} {
		if !strings.Contains(e.Error(), want) {
			t.Errorf("%q does not say %q", e.Error(), want)
		}
	}
}
