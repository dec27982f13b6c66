package secrets

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim/awssimtest"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/plan"
)

// TestDescribe runs Describe against the sandbox's Secrets Manager through
// the real SDK client, and checks from the sandbox's call log that no
// value was read.
func TestDescribe(t *testing.T) {
	t.Parallel()
	sb := awssimtest.Start(t, awssim.Options{})
	ctx := context.Background()
	sm := secretsmanager.NewFromConfig(sb.Config())
	for _, name := range []string{"prod/db", "prod/api-key", "team/prod/a", "team/prod/b", "team/production", "old/one"} {
		if _, err := sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String(name), SecretString: aws.String("v-" + name)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := sb.Apply(awssim.Scenario{DeniedSecrets: []string{"prod/api-key"}}); err != nil {
		t.Fatal(err)
	}
	before := len(sb.Calls())

	got, err := Describe(ctx, func(string) DescribeAPI { return sm }, input(t, false, "prod/db", "KEY,prod/api-key", "prod/missing", "team/prod/*", "nothing/here*"), "us-east-1")
	if err != nil {
		t.Fatal(err)
	}
	for i := range got {
		if got[i].Status == plan.SecretDenied && !strings.Contains(got[i].Detail, "secretsmanager:DescribeSecret") {
			t.Errorf("%s: denied without AWS's message naming the action: %q", got[i].ID, got[i].Detail)
		}
		if got[i].Status != plan.SecretFound && got[i].Detail == "" {
			t.Errorf("%s: %s without a detail", got[i].ID, got[i].Status)
		}
		got[i].Detail = ""
		if got[i].Fetchable() && !strings.HasPrefix(got[i].ARN, "arn:aws:secretsmanager:us-east-1:123456789012:secret:"+got[i].Name+"-") {
			t.Errorf("%s: ARN %q", got[i].Name, got[i].ARN)
		}
		got[i].ARN = ""
	}
	want := []plan.Secret{
		{ID: "prod/db", Name: "prod/db", Env: "PROD_DB", Region: "us-east-1", Status: plan.SecretFound},
		{ID: "prod/api-key", Region: "us-east-1", Status: plan.SecretDenied},
		{ID: "prod/missing", Region: "us-east-1", Status: plan.SecretMissing},
		{ID: "team/prod/*", Name: "team/prod/a", Env: "A", Region: "us-east-1", Status: plan.SecretFound},
		{ID: "team/prod/*", Name: "team/prod/b", Env: "B", Region: "us-east-1", Status: plan.SecretFound},
		{ID: "nothing/here*", Region: "us-east-1", Status: plan.SecretNoMatch},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Describe:\n got %+v\nwant %+v", got, want)
	}
	for _, c := range sb.Calls()[before:] {
		if c.Operation != "DescribeSecret" && c.Operation != "ListSecrets" {
			t.Errorf("Describe called %s %s: only DescribeSecret and ListSecrets read no value", c.Service, c.Operation)
		}
	}
}

// TestPlannedReferences: the references a plan shows are those the
// deploy's fetch passes, for secrets without parse-json-secrets.
func TestPlannedReferences(t *testing.T) {
	t.Parallel()
	sb := awssimtest.Start(t, awssim.Options{})
	ctx := context.Background()
	sm := secretsmanager.NewFromConfig(sb.Config())
	for _, name := range []string{"prod/db", "team/prod/a", "team/prod/b"} {
		if _, err := sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String(name), SecretString: aws.String(`{"k": "v"}`)}); err != nil {
			t.Fatal(err)
		}
	}
	in := input(t, false, "DB,prod/db", "team/prod/*")
	described, err := Describe(ctx, func(string) DescribeAPI { return sm }, in, "us-east-1")
	if err != nil {
		t.Fatal(err)
	}
	planned, ok := PlannedReferences(in, described)
	fetched, err := Fetch(ctx, func(string) secretsmanager.BatchGetSecretValueAPIClient { return sm }, in, "us-east-1")
	if err != nil {
		t.Fatal(err)
	}
	if !ok || !reflect.DeepEqual(planned, fetched.References()) {
		t.Errorf("PlannedReferences = %+v, %v; the fetch's References = %+v", planned, ok, fetched.References())
	}
	if refs, ok := PlannedReferences(input(t, true, "prod/db"), described); ok || refs != nil {
		t.Errorf("PlannedReferences with parse-json-secrets = %+v, %v; want none, false", refs, ok)
	}
}

// TestDescribeDeleted: a secret scheduled for deletion cannot be fetched.
func TestDescribeDeleted(t *testing.T) {
	t.Parallel()
	deleted := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	api := describeFake{out: &secretsmanager.DescribeSecretOutput{Name: aws.String("old/one"), DeletedDate: &deleted}}
	got, err := Describe(context.Background(), func(string) DescribeAPI { return api }, input(t, false, "old/one"), "us-east-1")
	if err != nil {
		t.Fatal(err)
	}
	want := []plan.Secret{{ID: "old/one", Name: "old/one", Region: "us-east-1", Status: plan.SecretDeleted, Detail: "deleted on 2026-12-01"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Describe = %+v, want %+v", got, want)
	}
}

type describeFake struct {
	DescribeAPI
	out *secretsmanager.DescribeSecretOutput
}

func (f describeFake) DescribeSecret(context.Context, *secretsmanager.DescribeSecretInput, ...func(*secretsmanager.Options)) (*secretsmanager.DescribeSecretOutput, error) {
	return f.out, nil
}
