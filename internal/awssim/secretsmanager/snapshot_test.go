package secretsmanager_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
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
