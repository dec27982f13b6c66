package lambda_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awslambda "github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim/awssimtest"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/deploy/lambda"
)

// TestCurrent reads what an alias serves on the sandbox's Lambda, through
// the real SDK client, and checks from the call log that it only read.
func TestCurrent(t *testing.T) {
	t.Parallel()
	sb := awssimtest.Start(t, awssim.Options{})
	sc, err := awssim.LoadScenario("../../../testdata/sandbox/lambda.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := sb.Apply(sc); err != nil {
		t.Fatal(err)
	}
	v1 := sb.PushImage(t, "web") // tag v1; the scenario made "fn", which PushImage would create again
	repo, _, _ := strings.Cut(v1, "@")
	ctx := context.Background()
	api := awslambda.NewFromConfig(sb.Config())
	_, err = api.CreateFunction(ctx, &awslambda.CreateFunctionInput{
		FunctionName: aws.String("web"), PackageType: types.PackageTypeImage,
		Role: aws.String("arn:aws:iam::123456789012:role/web"), Code: &types.FunctionCode{ImageUri: aws.String(repo + ":v1")},
	})
	if err == nil {
		err = awslambda.NewFunctionActiveV2Waiter(api, func(o *awslambda.FunctionActiveV2WaiterOptions) { o.MinDelay = 50 * time.Millisecond }).
			Wait(ctx, &awslambda.GetFunctionInput{FunctionName: aws.String("web")}, 10*time.Second)
	}
	if err == nil {
		_, err = api.PublishVersion(ctx, &awslambda.PublishVersionInput{FunctionName: aws.String("web")})
	}
	if err == nil {
		_, err = api.CreateAlias(ctx, &awslambda.CreateAliasInput{FunctionName: aws.String("web"), Name: aws.String("live"), FunctionVersion: aws.String("1")})
	}
	if err != nil {
		t.Fatal(err)
	}
	before := len(sb.Calls())

	live, err := lambda.Current(ctx, api, "web", "live")
	if err != nil {
		t.Fatal(err)
	}
	if live.Version != "1" || live.Image != v1 || live.Shifting != nil {
		t.Errorf("Current = %+v, want version 1 on %s (the tag resolved), no shift", live, v1)
	}
	if _, err := lambda.Current(ctx, api, "web", "nope"); err == nil || !strings.Contains(err.Error(), `reading alias "nope" of Lambda function "web"`) {
		t.Errorf("Current of a missing alias: err = %v", err)
	}
	for _, c := range sb.Calls()[before:] {
		if c.Operation != "GetAlias" && c.Operation != "GetFunction" {
			t.Errorf("Current called %s %s, which is not a read", c.Service, c.Operation)
		}
	}
}
