package secretsmanager_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim/awssimtest"
)

func newSM(t *testing.T, opts ...awssim.Scenario) (*awssimtest.Sandbox, *secretsmanager.Client) {
	t.Helper()
	sb := awssimtest.Start(t, awssim.Options{})
	for _, sc := range opts {
		if err := sb.Apply(sc); err != nil {
			t.Fatal(err)
		}
	}
	return sb, secretsmanager.NewFromConfig(sb.Config())
}

func TestSecretsManagerValues(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, sm := newSM(t)

	created, err := sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("app/db"), SecretString: aws.String(`{"user":"u"}`), Description: aws.String("Database")})
	if err != nil {
		t.Fatal(err)
	}
	arn := aws.ToString(created.ARN)
	if want := "arn:aws:secretsmanager:us-east-1:123456789012:secret:app/db-"; !strings.HasPrefix(arn, want) || len(arn) != len(want)+6 {
		t.Errorf("ARN = %q, want %q followed by 6 characters", arn, want)
	}
	if _, err := sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("app/cert"), SecretBinary: []byte{0, 1, 2, 0xff}}); err != nil {
		t.Fatal(err)
	}
	put, err := sm.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String("app/db"), SecretString: aws.String(`{"user":"v"}`)})
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name       string
		in         secretsmanager.GetSecretValueInput
		wantString string
		wantBinary []byte
		wantCode   string
		wantMsg    string
	}{
		{name: "by name", in: secretsmanager.GetSecretValueInput{SecretId: aws.String("app/db")}, wantString: `{"user":"v"}`},
		{name: "by ARN", in: secretsmanager.GetSecretValueInput{SecretId: aws.String(arn)}, wantString: `{"user":"v"}`},
		{name: "by partial ARN", in: secretsmanager.GetSecretValueInput{SecretId: aws.String(arn[:len(arn)-7])}, wantString: `{"user":"v"}`},
		{name: "previous stage", in: secretsmanager.GetSecretValueInput{SecretId: aws.String("app/db"), VersionStage: aws.String("AWSPREVIOUS")}, wantString: `{"user":"u"}`},
		{name: "by version", in: secretsmanager.GetSecretValueInput{SecretId: aws.String("app/db"), VersionId: put.VersionId}, wantString: `{"user":"v"}`},
		{name: "binary", in: secretsmanager.GetSecretValueInput{SecretId: aws.String("app/cert")}, wantBinary: []byte{0, 1, 2, 0xff}},
		{name: "missing", in: secretsmanager.GetSecretValueInput{SecretId: aws.String("nope")}, wantCode: "ResourceNotFoundException", wantMsg: "Secrets Manager can't find the specified secret."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			out, err := sm.GetSecretValue(ctx, &tt.in)
			if code, msg := awssimtest.ErrorCode(t, err); code != tt.wantCode || (tt.wantMsg != "" && msg != tt.wantMsg) {
				t.Fatalf("GetSecretValue error = %q %q, want %q %q", code, msg, tt.wantCode, tt.wantMsg)
			}
			if err != nil {
				return
			}
			if got := aws.ToString(out.SecretString); got != tt.wantString {
				t.Errorf("SecretString = %q, want %q", got, tt.wantString)
			}
			if !slices.Equal(out.SecretBinary, tt.wantBinary) {
				t.Errorf("SecretBinary = %v, want %v", out.SecretBinary, tt.wantBinary)
			}
			if out.VersionId == nil || len(out.VersionStages) == 0 || out.CreatedDate == nil {
				t.Errorf("GetSecretValue = %+v, want VersionId, VersionStages and CreatedDate", out)
			}
		})
	}
}

func TestSecretsManagerMetadata(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, sm := newSM(t)
	in := &secretsmanager.CreateSecretInput{Name: aws.String("svc/key"), SecretString: aws.String("x"), Tags: []smtypes.Tag{{Key: aws.String("team"), Value: aws.String("blue")}}}
	if _, err := sm.CreateSecret(ctx, in); err != nil {
		t.Fatal(err)
	}
	_, err := sm.CreateSecret(ctx, in)
	if code, msg := awssimtest.ErrorCode(t, err); code != "ResourceExistsException" || msg != "The operation failed because the secret svc/key already exists." {
		t.Errorf("CreateSecret again: error %q %q, want ResourceExistsException", code, msg)
	}
	desc, err := sm.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String("svc/key")})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(desc.Name) != "svc/key" || len(desc.VersionIdsToStages) != 1 || len(desc.Tags) != 1 || desc.CreatedDate == nil {
		t.Errorf("DescribeSecret = %+v, want the secret with 1 version and 1 tag", desc)
	}
	_, err = sm.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String("nope")})
	if code, _ := awssimtest.ErrorCode(t, err); code != "ResourceNotFoundException" {
		t.Errorf("DescribeSecret(nope) error = %q, want ResourceNotFoundException", code)
	}
}

func TestSecretsManagerListAndBatch(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, sm := newSM(t)
	for i := range 25 {
		if _, err := sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String(fmt.Sprintf("prod/s%02d", i)), SecretString: aws.String(fmt.Sprint(i))}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("dev/s"), SecretString: aws.String("d")}); err != nil {
		t.Fatal(err)
	}
	prod := []smtypes.Filter{{Key: smtypes.FilterNameStringTypeName, Values: []string{"prod/"}}}

	t.Run("ListSecrets pages", func(t *testing.T) {
		t.Parallel()
		var names []string
		p := secretsmanager.NewListSecretsPaginator(sm, &secretsmanager.ListSecretsInput{Filters: prod, MaxResults: aws.Int32(10)})
		pages := 0
		for p.HasMorePages() {
			out, err := p.NextPage(ctx)
			if err != nil {
				t.Fatal(err)
			}
			pages++
			for _, s := range out.SecretList {
				names = append(names, aws.ToString(s.Name))
			}
		}
		if len(names) != 25 || pages != 3 {
			t.Errorf("ListSecrets gave %d secrets in %d pages, want 25 in 3", len(names), pages)
		}
	})
	t.Run("BatchGetSecretValue filter pages", func(t *testing.T) {
		t.Parallel()
		var sizes []int
		p := secretsmanager.NewBatchGetSecretValuePaginator(sm, &secretsmanager.BatchGetSecretValueInput{Filters: prod, MaxResults: aws.Int32(20)})
		for p.HasMorePages() {
			out, err := p.NextPage(ctx)
			if err != nil {
				t.Fatal(err)
			}
			sizes = append(sizes, len(out.SecretValues))
		}
		if want := []int{20, 5}; !slices.Equal(sizes, want) {
			t.Errorf("page sizes = %v, want %v", sizes, want)
		}
	})
	t.Run("BatchGetSecretValue ids", func(t *testing.T) {
		t.Parallel()
		out, err := sm.BatchGetSecretValue(ctx, &secretsmanager.BatchGetSecretValueInput{SecretIdList: []string{"dev/s", "missing"}})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.SecretValues) != 1 || aws.ToString(out.SecretValues[0].SecretString) != "d" {
			t.Errorf("SecretValues = %+v, want dev/s", out.SecretValues)
		}
		want := smtypes.APIErrorType{SecretId: aws.String("missing"), ErrorCode: aws.String("ResourceNotFoundException"), Message: aws.String("Secrets Manager can't find the specified secret.")}
		if len(out.Errors) != 1 || aws.ToString(out.Errors[0].SecretId) != *want.SecretId || aws.ToString(out.Errors[0].ErrorCode) != *want.ErrorCode || aws.ToString(out.Errors[0].Message) != *want.Message {
			t.Errorf("Errors = %+v, want one ResourceNotFoundException for missing", out.Errors)
		}
	})
	t.Run("BatchGetSecretValue too many", func(t *testing.T) {
		t.Parallel()
		_, err := sm.BatchGetSecretValue(ctx, &secretsmanager.BatchGetSecretValueInput{Filters: prod, MaxResults: aws.Int32(21)})
		if code, _ := awssimtest.ErrorCode(t, err); code != "ValidationException" {
			t.Errorf("MaxResults 21: error %q, want ValidationException", code)
		}
	})
}

func TestDeniedSecrets(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, sm := newSM(t, awssim.Scenario{
		Seed: []awssim.SeedCall{
			{Service: "secretsmanager", Operation: "CreateSecret", Input: map[string]any{"Name": "ok", "SecretString": "1"}},
			{Service: "secretsmanager", Operation: "CreateSecret", Input: map[string]any{"Name": "locked", "SecretString": "2"}},
		},
		DeniedSecrets: []string{"locked"},
	})
	_, err := sm.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("locked")})
	code, msg := awssimtest.ErrorCode(t, err)
	if want := "User: arn:aws:iam::123456789012:user/sandbox is not authorized to perform: secretsmanager:GetSecretValue on resource: locked because no identity-based policy allows the secretsmanager:GetSecretValue action"; code != "AccessDeniedException" || msg != want {
		t.Errorf("GetSecretValue(locked) error = %q %q, want AccessDeniedException %q", code, msg, want)
	}
	out, err := sm.BatchGetSecretValue(ctx, &secretsmanager.BatchGetSecretValueInput{Filters: []smtypes.Filter{{Key: smtypes.FilterNameStringTypeAll, Values: []string{""}}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.SecretValues) != 1 || len(out.Errors) != 1 || aws.ToString(out.Errors[0].ErrorCode) != "AccessDeniedException" || aws.ToString(out.Errors[0].SecretId) != "locked" {
		t.Errorf("BatchGetSecretValue = %d values, errors %+v; want 1 value and AccessDeniedException for locked", len(out.SecretValues), out.Errors)
	}
}

// TestFaults checks the scenario's API faults as the SDK sees them on
// Secrets Manager, STS, S3 and ECR: retried throttling, 5xx and resets,
// latency, and AccessDenied, which is not retried.
func TestFaults(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	seed := []awssim.SeedCall{
		{Service: "secretsmanager", Operation: "CreateSecret", Input: map[string]any{"Name": "s", "SecretString": "v"}},
		{Service: "s3", Operation: "CreateBucket", Input: map[string]any{"Bucket": "bkt"}},
	}
	getSecret := func(cfg aws.Config) error {
		_, err := secretsmanager.NewFromConfig(cfg).GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("s")})
		return err
	}
	tests := []struct {
		name        string
		fault       awssim.Fault
		call        func(aws.Config) error
		wantCode    string
		wantCalls   int
		wantLatency time.Duration
	}{
		{"throttling burst", awssim.Fault{Service: "secretsmanager", Operation: "GetSecretValue", Error: "ThrottlingException", Count: 2}, getSecret, "", 3, 0},
		{"5xx", awssim.Fault{Service: "ecr", Operation: "DescribeRepositories", Error: "ServerException", Status: 500, Count: 1}, func(cfg aws.Config) error {
			_, err := ecr.NewFromConfig(cfg).DescribeRepositories(ctx, &ecr.DescribeRepositoriesInput{})
			return err
		}, "", 2, 0},
		{"S3 slow down", awssim.Fault{Service: "s3", Operation: "PutObject", Error: "SlowDown", Status: 503, Count: 1}, func(cfg aws.Config) error {
			_, err := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true }).PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("bkt"), Key: aws.String("k"), Body: strings.NewReader("x")})
			return err
		}, "", 2, 0},
		{"connection reset", awssim.Fault{Service: "secretsmanager", Operation: "GetSecretValue", Reset: true, Count: 1}, getSecret, "", 2, 0},
		{"latency", awssim.Fault{Service: "sts", Operation: "GetCallerIdentity", Latency: 300 * time.Millisecond}, func(cfg aws.Config) error {
			_, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
			return err
		}, "", 1, 300 * time.Millisecond},
		{"access denied", awssim.Fault{Service: "ecr", Operation: "GetAuthorizationToken", Error: "AccessDeniedException"}, func(cfg aws.Config) error {
			_, err := ecr.NewFromConfig(cfg).GetAuthorizationToken(ctx, &ecr.GetAuthorizationTokenInput{})
			return err
		}, "AccessDeniedException", 1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			sb := awssimtest.Start(t, awssim.Options{})
			if err := sb.Apply(awssim.Scenario{Seed: seed, Faults: []awssim.Fault{tt.fault}}); err != nil {
				t.Fatal(err)
			}
			cfg := sb.Config()
			cfg.Retryer = func() aws.Retryer {
				return retry.NewStandard(func(o *retry.StandardOptions) { o.MaxBackoff = 10 * time.Millisecond })
			}
			start := time.Now()
			err := tt.call(cfg)
			if code, _ := awssimtest.ErrorCode(t, err); code != tt.wantCode {
				t.Errorf("error = %q (%v), want %q", code, err, tt.wantCode)
			}
			if elapsed := time.Since(start); elapsed < tt.wantLatency {
				t.Errorf("call took %v, want at least %v", elapsed, tt.wantLatency)
			}
			calls := 0
			for _, c := range sb.Calls() {
				if c.Service == tt.fault.Service && c.Operation == tt.fault.Operation {
					calls++
				}
			}
			if calls != tt.wantCalls {
				t.Errorf("%s %s was called %d times, want %d", tt.fault.Service, tt.fault.Operation, calls, tt.wantCalls)
			}
		})
	}
}
