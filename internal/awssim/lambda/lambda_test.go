package lambda_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/google/go-containerregistry/pkg/v1/random"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim/awssimtest"
)

// lambdaFixture is a sandbox with a stopped clock, an ECR repository "fn"
// and SDK clients.
type lambdaFixture struct {
	t        *testing.T
	ctx      context.Context
	sb       *awssimtest.Sandbox
	lambda   *lambda.Client
	cd       *codedeploy.Client
	password string
	skipped  bool // the clock skipped ahead once
}

func newLambdaFixture(t *testing.T, sc ...awssim.Scenario) *lambdaFixture {
	t.Helper()
	sb := awssimtest.Start(t, awssim.Options{})
	sb.Clock.SetScale(0)
	for _, s := range sc {
		if err := sb.Apply(s); err != nil {
			t.Fatal(err)
		}
	}
	cfg := sb.Config()
	registry := ecr.NewFromConfig(cfg)
	if _, err := registry.CreateRepository(context.Background(), &ecr.CreateRepositoryInput{RepositoryName: aws.String("fn")}); err != nil {
		t.Fatal(err)
	}
	return &lambdaFixture{
		t: t, ctx: context.Background(), sb: sb, password: awssimtest.RegistryPassword(t, registry),
		lambda: lambda.NewFromConfig(cfg), cd: codedeploy.NewFromConfig(cfg),
	}
}

// image pushes a single-platform image as fn:tag and returns its URI by tag
// and the digest.
func (f *lambdaFixture) image(tag string) (uri, digest string) {
	f.t.Helper()
	img := awssimtest.RandomImage(f.t)
	if err := awssimtest.Push(f.sb, f.password, "fn:"+tag, img); err != nil {
		f.t.Fatal(err)
	}
	d, _ := img.Digest()
	return f.sb.Host + "/fn:" + tag, d.String()
}

// index pushes a two-platform image index as fn:tag, as BuildKit's
// provenance attestations make one, and returns its URI.
func (f *lambdaFixture) index(tag string) string {
	f.t.Helper()
	idx, err := random.Index(256, 1, 2)
	if err != nil {
		f.t.Fatal(err)
	}
	im, _ := idx.IndexManifest()
	for i, desc := range im.Manifests {
		img, err := idx.Image(desc.Digest)
		if err != nil {
			f.t.Fatal(err)
		}
		if err := awssimtest.Push(f.sb, f.password, fmt.Sprintf("fn:%s-%d", tag, i), img); err != nil {
			f.t.Fatal(err)
		}
	}
	raw, _ := idx.RawManifest()
	mt, _ := idx.MediaType()
	req, _ := http.NewRequest(http.MethodPut, f.sb.URL+"/v2/fn/manifests/"+tag, strings.NewReader(string(raw)))
	req.SetBasicAuth("AWS", f.password)
	req.Header.Set("Content-Type", string(mt))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		f.t.Fatalf("pushing the index: %s", resp.Status)
	}
	return f.sb.Host + "/fn:" + tag
}

func (f *lambdaFixture) config(name, qualifier string) *lambda.GetFunctionConfigurationOutput {
	f.t.Helper()
	in := &lambda.GetFunctionConfigurationInput{FunctionName: aws.String(name)}
	if qualifier != "" {
		in.Qualifier = aws.String(qualifier)
	}
	out, err := f.lambda.GetFunctionConfiguration(f.ctx, in)
	if err != nil {
		f.t.Fatal(err)
	}
	return out
}

// function creates an image function whose $LATEST is version 1 and an
// alias live on it, waiting for the version to be Active.
func (f *lambdaFixture) function(name string) {
	f.t.Helper()
	uri, _ := f.image("v1")
	f.must(f.lambda.CreateFunction(f.ctx, &lambda.CreateFunctionInput{
		FunctionName: aws.String(name), PackageType: lambdatypes.PackageTypeImage,
		Role: aws.String("arn:aws:iam::123456789012:role/fn"), Code: &lambdatypes.FunctionCode{ImageUri: aws.String(uri)},
	}))
	f.sb.Clock.Advance(10 * time.Second)
	f.must(f.lambda.PublishVersion(f.ctx, &lambda.PublishVersionInput{FunctionName: aws.String(name)}))
	f.must(f.lambda.CreateAlias(f.ctx, &lambda.CreateAliasInput{FunctionName: aws.String(name), Name: aws.String("live"), FunctionVersion: aws.String("1")}))
	f.sb.Clock.Advance(10 * time.Second)
}

func (f *lambdaFixture) must(_ any, err error) {
	f.t.Helper()
	if err != nil {
		f.t.Fatal(err)
	}
}

func TestLambdaFunctionStates(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		uri        func(f *lambdaFixture) string
		wantState  lambdatypes.State
		wantReason lambdatypes.StateReasonCode
		wantDigest bool
		refusal    string // CreateFunction's 400 InvalidParameterValueException
	}{
		{"image", func(f *lambdaFixture) string { u, _ := f.image("v1"); return u }, lambdatypes.StateActive, "", true, ""},
		{"image index", func(f *lambdaFixture) string { return f.index("multi") }, "", "", false, "The image manifest, config or layer media type for the source image %s is not supported."},
		{"missing image", func(f *lambdaFixture) string { return f.sb.Host + "/fn:nope" }, "", "", false, "Source image %s does not exist. Provide a valid source image."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newLambdaFixture(t)
			uri := tt.uri(f)
			out, err := f.lambda.CreateFunction(f.ctx, &lambda.CreateFunctionInput{
				FunctionName: aws.String("web"), PackageType: lambdatypes.PackageTypeImage,
				Role: aws.String("arn:aws:iam::123456789012:role/fn"), Code: &lambdatypes.FunctionCode{ImageUri: aws.String(uri)},
			})
			if tt.refusal != "" {
				var invalid *lambdatypes.InvalidParameterValueException
				if want := fmt.Sprintf(tt.refusal, uri); !errors.As(err, &invalid) || invalid.ErrorMessage() != want {
					t.Errorf("CreateFunction: %v, want InvalidParameterValueException %q", err, want)
				}
				var nf *lambdatypes.ResourceNotFoundException
				if _, err := f.lambda.GetFunction(f.ctx, &lambda.GetFunctionInput{FunctionName: aws.String("web")}); !errors.As(err, &nf) {
					t.Errorf("GetFunction after the refusal: %v, want ResourceNotFoundException (nothing created)", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if out.State != lambdatypes.StatePending || out.LastUpdateStatus != lambdatypes.LastUpdateStatusInProgress {
				t.Errorf("after CreateFunction: State %s, LastUpdateStatus %s; want Pending, InProgress", out.State, out.LastUpdateStatus)
			}
			if want := "arn:aws:lambda:us-east-1:123456789012:function:web"; aws.ToString(out.FunctionArn) != want {
				t.Errorf("FunctionArn = %s, want %s", aws.ToString(out.FunctionArn), want)
			}
			f.sb.Clock.Advance(10 * time.Second)
			got, err := f.lambda.GetFunction(f.ctx, &lambda.GetFunctionInput{FunctionName: aws.String("web")})
			if err != nil {
				t.Fatal(err)
			}
			c := got.Configuration
			if c.State != tt.wantState || c.StateReasonCode != tt.wantReason {
				t.Errorf("State %s (%s: %s), want %s (%s)", c.State, c.StateReasonCode, aws.ToString(c.StateReason), tt.wantState, tt.wantReason)
			}
			resolved := aws.ToString(got.Code.ResolvedImageUri)
			if tt.wantDigest != strings.HasPrefix(resolved, f.sb.Host+"/fn@sha256:") {
				t.Errorf("ResolvedImageUri = %q, want a digest: %v", resolved, tt.wantDigest)
			}
		})
	}
}

func TestLambdaVersionsAndAliases(t *testing.T) {
	t.Parallel()
	f := newLambdaFixture(t)
	f.function("web")
	uri2, digest2 := f.image("v2")
	// An update in progress refuses another update and publishing.
	upd, err := f.lambda.UpdateFunctionCode(f.ctx, &lambda.UpdateFunctionCodeInput{FunctionName: aws.String("web"), ImageUri: aws.String(uri2), Publish: true})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(upd.Version) != "2" || upd.State != lambdatypes.StatePending {
		t.Errorf("UpdateFunctionCode(Publish) = version %s in %s, want 2 Pending", aws.ToString(upd.Version), upd.State)
	}
	var conflict *lambdatypes.ResourceConflictException
	if _, err := f.lambda.PublishVersion(f.ctx, &lambda.PublishVersionInput{FunctionName: aws.String("web")}); !errors.As(err, &conflict) {
		t.Errorf("PublishVersion during an update: %v, want ResourceConflictException", err)
	}
	f.sb.Clock.Advance(10 * time.Second)
	if c := f.config("web", "2"); c.State != lambdatypes.StateActive || aws.ToString(c.CodeSha256) != strings.TrimPrefix(digest2, "sha256:") {
		t.Errorf("version 2: %s, CodeSha256 %s; want Active with %s", c.State, aws.ToString(c.CodeSha256), digest2)
	}
	got, err := f.lambda.GetFunction(f.ctx, &lambda.GetFunctionInput{FunctionName: aws.String("web"), Qualifier: aws.String("live")})
	if err != nil {
		t.Fatal(err)
	}
	if v := aws.ToString(got.Configuration.Version); v != "1" {
		t.Errorf("GetFunction(live) version %s, want 1", v)
	}

	// Weights: 25% on version 2, then a version that does not exist.
	alias, err := f.lambda.UpdateAlias(f.ctx, &lambda.UpdateAliasInput{FunctionName: aws.String("web"), Name: aws.String("live"),
		RoutingConfig: &lambdatypes.AliasRoutingConfiguration{AdditionalVersionWeights: map[string]float64{"2": 0.25}}})
	if err != nil {
		t.Fatal(err)
	}
	if w := alias.RoutingConfig.AdditionalVersionWeights["2"]; w != 0.25 || aws.ToString(alias.FunctionVersion) != "1" {
		t.Errorf("alias = version %s + %v, want 1 + 0.25 on 2", aws.ToString(alias.FunctionVersion), alias.RoutingConfig.AdditionalVersionWeights)
	}
	var invalid *lambdatypes.InvalidParameterValueException
	if _, err := f.lambda.UpdateAlias(f.ctx, &lambda.UpdateAliasInput{FunctionName: aws.String("web"), Name: aws.String("live"),
		RoutingConfig: &lambdatypes.AliasRoutingConfiguration{AdditionalVersionWeights: map[string]float64{"9": 0.5}}}); !errors.As(err, &invalid) {
		t.Errorf("weights on version 9: %v, want InvalidParameterValueException", err)
	}
	var notFound *lambdatypes.ResourceNotFoundException
	if _, err := f.lambda.GetAlias(f.ctx, &lambda.GetAliasInput{FunctionName: aws.String("web"), Name: aws.String("prod")}); !errors.As(err, &notFound) {
		t.Errorf("GetAlias(prod): %v, want ResourceNotFoundException", err)
	}
	list, err := f.lambda.ListVersionsByFunction(f.ctx, &lambda.ListVersionsByFunctionInput{FunctionName: aws.String("arn:aws:lambda:us-east-1:123456789012:function:web")})
	if err != nil {
		t.Fatal(err)
	}
	var versions []string
	for _, v := range list.Versions {
		versions = append(versions, aws.ToString(v.Version))
	}
	if fmt.Sprint(versions) != "[$LATEST 1 2]" {
		t.Errorf("versions = %v, want [$LATEST 1 2]", versions)
	}

	// An update to an image index or a missing image is refused at once,
	// 400 InvalidParameterValueException, and publishes nothing
	// (terraform-aws-modules/terraform-aws-lambda#741).
	before := f.config("web", "")
	for _, uri := range []string{f.index("multi"), f.sb.Host + "/fn:nope"} {
		_, err := f.lambda.UpdateFunctionCode(f.ctx, &lambda.UpdateFunctionCodeInput{FunctionName: aws.String("web"), ImageUri: aws.String(uri), Publish: true})
		if !errors.As(err, &invalid) || !strings.Contains(invalid.ErrorMessage(), uri) {
			t.Errorf("UpdateFunctionCode(%s): %v, want InvalidParameterValueException naming it", uri, err)
		}
	}
	list, err = f.lambda.ListVersionsByFunction(f.ctx, &lambda.ListVersionsByFunctionInput{FunctionName: aws.String("web")})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(list.Versions); n != 3 {
		t.Errorf("%d versions after the refused updates, want 3 ($LATEST 1 2): none published", n)
	}
	if c := f.config("web", ""); aws.ToString(c.CodeSha256) != aws.ToString(before.CodeSha256) || c.LastUpdateStatus != lambdatypes.LastUpdateStatusSuccessful {
		t.Errorf("$LATEST after the refused updates: %s %s, want unchanged %s Successful", aws.ToString(c.CodeSha256), c.LastUpdateStatus, aws.ToString(before.CodeSha256))
	}
}
