package ecsnative_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/smithy-go"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/platform/ecsnative"
)

// lostAnswer is the sandbox's ECS whose UpdateService answers are lost
// after the update happened.
type lostAnswer struct{ *ecs.Client }

func (l lostAnswer) UpdateService(ctx context.Context, in *ecs.UpdateServiceInput, opts ...func(*ecs.Options)) (*ecs.UpdateServiceOutput, error) {
	if _, err := l.Client.UpdateService(ctx, in, opts...); err != nil {
		return nil, err
	}
	return nil, &smithy.GenericAPIError{Code: "ServiceUnavailable", Message: "the answer was lost", Fault: smithy.FaultServer}
}

func TestStartFindsTheDeploymentOfALostAnswer(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	s := f.discover(t, "api-native")
	td, err := f.drv.Revision(ctx, s, ecsnative.RevisionInput{ImageURI: imageURI})
	if err != nil {
		t.Fatal(err)
	}
	f.drv.API = lostAnswer{f.client}
	arn, err := f.drv.Start(ctx, s, td)
	if err != nil {
		t.Fatal(err)
	}
	if want := aws.ToString(f.service(t, "api-native").CurrentServiceDeployment); arn != want || len(f.log.matching("answer was lost")) != 1 {
		t.Errorf("started %q, the service's deployment is %q\n%s", arn, want, f.log)
	}
}
