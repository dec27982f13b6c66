package awssim_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim/awssimtest"
)

// TestAnswersAreSnapshots reads a secret while its versions change: each
// answer must show the state of its own call, not a later one (and the race
// detector must see no answer encoded while another call changes state).
func TestAnswersAreSnapshots(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, sm := newSM(t)
	if _, err := sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("s"), SecretString: aws.String("0")}); err != nil {
		t.Fatal(err)
	}
	const n = 200
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := range n {
			if _, err := sm.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String("s"), SecretString: aws.String(fmt.Sprint(i + 1))}); err != nil {
				t.Error(err)
				return
			}
		}
	})
	for range n {
		out, err := sm.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("s")})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Contains(out.VersionStages, "AWSCURRENT") {
			t.Fatalf("GetSecretValue of the current version answered stages %v, want AWSCURRENT among them", out.VersionStages)
		}
	}
	wg.Wait()
}

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
