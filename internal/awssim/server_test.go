package awssim_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim/awssimtest"
)

// TestResetIsLoggedWithoutStatus: a call whose connection the sandbox reset
// got no answer, so the call log shows no HTTP status for it.
func TestResetIsLoggedWithoutStatus(t *testing.T) {
	t.Parallel()
	sb := awssimtest.Start(t, awssim.Options{})
	if err := sb.Apply(awssim.Scenario{Faults: []awssim.Fault{{Service: "sts", Operation: "GetCallerIdentity", Reset: true, Count: 1}}}); err != nil {
		t.Fatal(err)
	}
	cfg := sb.Config()
	cfg.Retryer = func() aws.Retryer {
		return retry.NewStandard(func(o *retry.StandardOptions) { o.MaxBackoff = 10 * time.Millisecond })
	}
	if _, err := sts.NewFromConfig(cfg).GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{}); err != nil {
		t.Fatalf("GetCallerIdentity after one reset: %v, want the retry to succeed", err)
	}
	var got []int
	for _, c := range sb.Calls() {
		got = append(got, c.Status)
	}
	if want := []int{0, 200}; !slices.Equal(got, want) {
		t.Errorf("logged statuses = %v, want %v", got, want)
	}
}
