package lambda_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/smithy-go"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim"
)

// TestLambdaRepositoryPolicy follows the AWS Lambda Developer Guide ("Create
// a Lambda function using a container image", Amazon ECR permissions):
// Lambda reads the image as lambda.amazonaws.com, and when the repository's
// policy does not let it, adds ecr:BatchGetImage and
// ecr:GetDownloadUrlForLayer for it if the caller may
// ecr:GetRepositoryPolicy and ecr:SetRepositoryPolicy; otherwise it refuses
// with 403 "Lambda does not have permission to access the ECR image. Check
// the ECR permissions." (as CloudFormation reported it in
// aws-samples/bedrock-access-gateway#127).
func TestLambdaRepositoryPolicy(t *testing.T) {
	t.Parallel()
	f := newLambdaFixture(t)
	registry := ecr.NewFromConfig(f.sb.Config())
	policy := func() string {
		t.Helper()
		out, err := registry.GetRepositoryPolicy(f.ctx, &ecr.GetRepositoryPolicyInput{RepositoryName: aws.String("fn")})
		var none *ecrtypes.RepositoryPolicyNotFoundException
		if errors.As(err, &none) {
			return ""
		}
		if err != nil {
			t.Fatal(err)
		}
		return aws.ToString(out.PolicyText)
	}
	grantsLambda := func(text string) bool {
		p, err := awssim.ParseResourcePolicy([]byte(text))
		return err == nil && p.ServiceAllows("lambda.amazonaws.com", "ecr:BatchGetImage", "arn:aws:lambda:us-east-1:123456789012:function:web") == awssim.Allowed &&
			p.ServiceAllows("lambda.amazonaws.com", "ecr:GetDownloadUrlForLayer", "arn:aws:lambda:us-east-1:123456789012:function:web") == awssim.Allowed
	}
	// lastActions returns the IAM actions of the last call of an operation.
	lastActions := func(operation string) []string {
		calls := f.sb.Calls()
		for i := len(calls) - 1; i >= 0; i-- {
			if calls[i].Operation == operation {
				return calls[i].IAMActions
			}
		}
		t.Fatalf("no %s call", operation)
		return nil
	}
	setCaller := func(doc string) {
		t.Helper()
		if doc == "" {
			f.sb.SetPolicy(nil)
			return
		}
		p, err := awssim.ParsePolicy([]byte(doc))
		if err != nil {
			t.Fatal(err)
		}
		f.sb.SetPolicy(p)
	}
	update := func(uri string) (*lambda.UpdateFunctionCodeOutput, error) {
		f.sb.Clock.Advance(10 * time.Second) // the last update is done
		return f.lambda.UpdateFunctionCode(f.ctx, &lambda.UpdateFunctionCodeInput{FunctionName: aws.String("web"), ImageUri: aws.String(uri), Publish: true})
	}
	const lambdaOnly = `{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "lambda:*", "Resource": "*"}]}`
	const withPolicyActions = `{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "lambda:*", "Resource": "*"},
		{"Effect": "Allow", "Action": ["ecr:GetRepositoryPolicy", "ecr:SetRepositoryPolicy"], "Resource": "arn:aws:ecr:us-east-1:123456789012:repository/fn"}]}`

	// A caller allowed everything creates the function: the repository had
	// no policy and now has Lambda's statement.
	if p := policy(); p != "" {
		t.Fatalf("new repository's policy = %s, want none", p)
	}
	f.function("web")
	if p := policy(); !grantsLambda(p) {
		t.Errorf("policy after CreateFunction = %s, want one that lets lambda.amazonaws.com read", p)
	}
	if got := lastActions("CreateFunction"); !slices.Contains(got, "ecr:GetRepositoryPolicy") || !slices.Contains(got, "ecr:SetRepositoryPolicy") {
		t.Errorf("CreateFunction was checked against %v, want the two repository policy actions", got)
	}

	// The policy gone and a caller without the two actions: 403, and
	// nothing changes.
	if _, err := registry.DeleteRepositoryPolicy(f.ctx, &ecr.DeleteRepositoryPolicyInput{RepositoryName: aws.String("fn")}); err != nil {
		t.Fatal(err)
	}
	uri2, _ := f.image("v2")
	before := f.config("web", "")
	setCaller(lambdaOnly)
	_, err := update(uri2)
	var ae smithy.APIError
	var re *awshttp.ResponseError
	if !errors.As(err, &ae) || !errors.As(err, &re) || re.HTTPStatusCode() != 403 || ae.ErrorCode() != "AccessDeniedException" ||
		ae.ErrorMessage() != "Lambda does not have permission to access the ECR image. Check the ECR permissions." {
		t.Errorf("UpdateFunctionCode without the policy actions: %v, want 403 AccessDeniedException with Lambda's message", err)
	}
	setCaller("")
	if p := policy(); p != "" {
		t.Errorf("policy after the refusal = %s, want still none", p)
	}
	list, err := f.lambda.ListVersionsByFunction(f.ctx, &lambda.ListVersionsByFunctionInput{FunctionName: aws.String("web")})
	if err != nil {
		t.Fatal(err)
	}
	if c := f.config("web", ""); len(list.Versions) != 2 || aws.ToString(c.CodeSha256) != aws.ToString(before.CodeSha256) {
		t.Errorf("after the refusal: %d versions, code %s; want 2 ($LATEST 1) and unchanged %s", len(list.Versions), aws.ToString(c.CodeSha256), aws.ToString(before.CodeSha256))
	}

	// The same caller with the two actions: Lambda adds its statement and
	// the function is updated.
	setCaller(withPolicyActions)
	out, err := update(uri2)
	if err != nil {
		t.Fatalf("UpdateFunctionCode with the policy actions: %v", err)
	}
	if v := aws.ToString(out.Version); v != "2" {
		t.Errorf("published version %s, want 2", v)
	}
	setCaller("")
	if p := policy(); !grantsLambda(p) {
		t.Errorf("policy after UpdateFunctionCode = %s, want Lambda's statement", p)
	}

	// With the statement in place, a caller without the two actions deploys:
	// they are not checked.
	uri3, _ := f.image("v3")
	setCaller(lambdaOnly)
	if _, err := update(uri3); err != nil {
		t.Fatalf("UpdateFunctionCode with Lambda's statement in place: %v", err)
	}
	if got := lastActions("UpdateFunctionCode"); slices.ContainsFunc(got, func(a string) bool { return strings.HasPrefix(a, "ecr:") }) {
		t.Errorf("UpdateFunctionCode was checked against %v, want no ecr action once the policy lets Lambda read", got)
	}
}
