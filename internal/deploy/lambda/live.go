package lambda

import (
	"context"
	"fmt"
	"maps"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// ReadAPI is the Lambda calls Current makes: reads only.
type ReadAPI interface {
	GetFunction(context.Context, *lambda.GetFunctionInput, ...func(*lambda.Options)) (*lambda.GetFunctionOutput, error)
	GetAlias(context.Context, *lambda.GetAliasInput, ...func(*lambda.Options)) (*lambda.GetAliasOutput, error)
}

// Live is what a Lambda alias serves now.
type Live struct {
	Version string // the alias's version
	Image   string // that version's image by digest (ResolvedImageUri)
	// Shifting are the weights of the alias's additional versions: a
	// traffic shift in progress (nil: none).
	Shifting map[string]float64
}

// Current reads what alias of the container-image function serves, as a
// plan needs it: the alias's version and routing (GetAlias) and that
// version's image (GetFunction of the version).
func Current(ctx context.Context, api ReadAPI, function, alias string) (Live, error) {
	a, err := api.GetAlias(ctx, &lambda.GetAliasInput{FunctionName: aws.String(function), Name: aws.String(alias)})
	if err != nil {
		return Live{}, fmt.Errorf("reading alias %q of Lambda function %q: %w", alias, function, err)
	}
	live := Live{Version: aws.ToString(a.FunctionVersion)}
	if rc := a.RoutingConfig; rc != nil && len(rc.AdditionalVersionWeights) > 0 {
		live.Shifting = maps.Clone(rc.AdditionalVersionWeights)
	}
	fn, err := api.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(function), Qualifier: aws.String(live.Version)})
	if err != nil {
		return Live{}, fmt.Errorf("reading version %s of Lambda function %q: %w", live.Version, function, err)
	}
	if fn.Configuration != nil && fn.Configuration.PackageType != types.PackageTypeImage {
		return Live{}, fmt.Errorf("deploying to Lambda function %q: it is a %s function; only container-image functions are supported for now", function, fn.Configuration.PackageType)
	}
	if fn.Code != nil {
		live.Image = aws.ToString(fn.Code.ResolvedImageUri)
	}
	return live, nil
}
