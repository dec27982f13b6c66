package sts_test

import (
	"context"
	"encoding/base64"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim/awssimtest"
)

func TestSTS(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	sb := awssimtest.Start(t, awssim.Options{})
	client := sts.NewFromConfig(sb.Config())

	id, err := client.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := aws.ToString(id.Account), "123456789012"; got != want {
		t.Errorf("Account = %q, want %q", got, want)
	}
	if got, want := aws.ToString(id.Arn), "arn:aws:iam::123456789012:user/sandbox"; got != want {
		t.Errorf("Arn = %q, want %q", got, want)
	}

	role, err := client.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::123456789012:role/deploy"), RoleSessionName: aws.String("ci"), DurationSeconds: aws.Int32(900)})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := aws.ToString(role.AssumedRoleUser.Arn), "arn:aws:sts::123456789012:assumed-role/deploy/ci"; got != want {
		t.Errorf("AssumedRoleUser.Arn = %q, want %q", got, want)
	}
	if exp := time.Until(aws.ToTime(role.Credentials.Expiration)); exp < 14*time.Minute || exp > 16*time.Minute {
		t.Errorf("credentials expire in %v, want 15m", exp)
	}
}

func TestAssumeRoleWithWebIdentity(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	sb := awssimtest.Start(t, awssim.Options{})
	cfg := sb.Config()
	cfg.Credentials = aws.AnonymousCredentials{} // the call is unsigned, as the SDK's provider sends it
	client := sts.NewFromConfig(cfg)
	claims := base64.RawURLEncoding.EncodeToString([]byte(`{"sub":"repo:octo/app:ref:refs/heads/main","aud":"sts.amazonaws.com","iss":"https://token.actions.githubusercontent.com"}`))
	jwt := "eyJhbGciOiJSUzI1NiJ9." + claims + ".c2ln"

	tests := []struct {
		name     string
		in       sts.AssumeRoleWithWebIdentityInput
		wantCode string
	}{
		{"ok", sts.AssumeRoleWithWebIdentityInput{RoleArn: aws.String("arn:aws:iam::123456789012:role/gha"), RoleSessionName: aws.String("run-1"), WebIdentityToken: aws.String(jwt)}, ""},
		{"empty token", sts.AssumeRoleWithWebIdentityInput{RoleArn: aws.String("arn:aws:iam::123456789012:role/gha"), RoleSessionName: aws.String("run-1"), WebIdentityToken: aws.String("")}, "ValidationError"},
		{"bad duration", sts.AssumeRoleWithWebIdentityInput{RoleArn: aws.String("arn:aws:iam::123456789012:role/gha"), RoleSessionName: aws.String("run-1"), WebIdentityToken: aws.String(jwt), DurationSeconds: aws.Int32(100000)}, "ValidationError"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			out, err := client.AssumeRoleWithWebIdentity(ctx, &tt.in)
			if code, _ := awssimtest.ErrorCode(t, err); code != tt.wantCode {
				t.Fatalf("error = %q (%v), want %q", code, err, tt.wantCode)
			}
			if err != nil {
				return
			}
			if got, want := aws.ToString(out.SubjectFromWebIdentityToken), "repo:octo/app:ref:refs/heads/main"; got != want {
				t.Errorf("SubjectFromWebIdentityToken = %q, want %q", got, want)
			}
			if got, want := aws.ToString(out.AssumedRoleUser.Arn), "arn:aws:sts::123456789012:assumed-role/gha/run-1"; got != want {
				t.Errorf("AssumedRoleUser.Arn = %q, want %q", got, want)
			}
			c := out.Credentials
			if !strings.HasPrefix(aws.ToString(c.AccessKeyId), "ASIA") || aws.ToString(c.SecretAccessKey) == "" || aws.ToString(c.SessionToken) == "" {
				t.Errorf("Credentials = %+v, want a session", c)
			}
			if exp := time.Until(aws.ToTime(c.Expiration)); exp < 59*time.Minute || exp > 61*time.Minute {
				t.Errorf("credentials expire in %v, want 1h", exp)
			}
		})
	}
}

func TestUnsignedRequestRefused(t *testing.T) {
	t.Parallel()
	sb := awssimtest.Start(t, awssim.Options{})
	resp, err := http.Post(sb.URL, "application/x-www-form-urlencoded", strings.NewReader("Action=GetCallerIdentity&Version=2011-06-15"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("unsigned GetCallerIdentity: status %d, want 403", resp.StatusCode)
	}
}
