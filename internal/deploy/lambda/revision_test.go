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
