package cloudformation_test

import (
	"context"
	"encoding/base64"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim/awssimtest"
)

// githubToken is an unsigned GitHub Actions OIDC token for a repository's
// workflow on main (the sandbox reads claims without checking signatures).
func githubToken(repo string) string {
	claims := `{"iss":"https://token.actions.githubusercontent.com","aud":"sts.amazonaws.com","sub":"repo:` + repo + `:ref:refs/heads/main"}`
	return "eyJhbGciOiJSUzI1NiJ9." + base64.RawURLEncoding.EncodeToString([]byte(claims)) + ".c2ln"
}

// TestRoleEnforced deploys github-role.yaml and assumes its role with web
// identities: another repository's token is refused as AWS refuses it, and
// the session of the trusted repository may do what the role's policies
// allow and nothing else.
func TestRoleEnforced(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	sb := awssimtest.Start(t, awssim.Options{})
	status, outputs := sb.DeployStack(t, "role", filepath.Join(templates, "github-role.yaml"), "GitHubRepository=octo/app")
	if status != "CREATE_COMPLETE" {
		t.Fatalf("stack %s, want CREATE_COMPLETE", status)
	}
	cfg := sb.Config()
	cfg.Credentials = aws.AnonymousCredentials{}
	client := sts.NewFromConfig(cfg)
	assume := func(repo string) (*sts.AssumeRoleWithWebIdentityOutput, error) {
		return client.AssumeRoleWithWebIdentity(ctx, &sts.AssumeRoleWithWebIdentityInput{
			RoleArn: aws.String(outputs["RoleArn"]), RoleSessionName: aws.String("run"), WebIdentityToken: aws.String(githubToken(repo))})
	}

	_, err := assume("evil/app")
	if code, msg := awssimtest.ErrorCode(t, err); code != "AccessDenied" || msg != "Not authorized to perform sts:AssumeRoleWithWebIdentity" {
		t.Errorf("another repository's token: %q %q, want AccessDenied: Not authorized to perform sts:AssumeRoleWithWebIdentity", code, msg)
	}

	out, err := assume("octo/app")
	if err != nil {
		t.Fatal(err)
	}
	c := out.Credentials
	session := sb.Config()
	session.Credentials = credentials.NewStaticCredentialsProvider(aws.ToString(c.AccessKeyId), aws.ToString(c.SecretAccessKey), aws.ToString(c.SessionToken))
	if _, err := ecr.NewFromConfig(session).GetAuthorizationToken(ctx, &ecr.GetAuthorizationTokenInput{}); err != nil {
		t.Errorf("GetAuthorizationToken, which the role's image policy allows: %v", err)
	}
	// The default paths are EC2 only: nothing allows ECS-only calls such
	// as codedeploy's CreateApplication, outside the role's policies.
	_, err = codedeploy.NewFromConfig(session).CreateApplication(ctx, &codedeploy.CreateApplicationInput{ApplicationName: aws.String("x")})
	code, msg := awssimtest.ErrorCode(t, err)
	if code != "AccessDeniedException" || !strings.HasPrefix(msg, "User: "+aws.ToString(out.AssumedRoleUser.Arn)+" is not authorized to perform: codedeploy:CreateApplication") {
		t.Errorf("CreateApplication with the role: %q %q, want AccessDeniedException for the assumed role", code, msg)
	}

	if out, err := sb.CLI(t, "cloudformation", "delete-stack", "--stack-name", "role"); err != nil {
		t.Fatalf("delete-stack: %v\n%s", err, out)
	}
	if _, err := assume("octo/app"); err == nil {
		t.Error("the role of a deleted stack was assumed")
	}
	_, err = ecr.NewFromConfig(session).GetAuthorizationToken(ctx, &ecr.GetAuthorizationTokenInput{})
	if code, _ := awssimtest.ErrorCode(t, err); code != "AccessDeniedException" {
		t.Errorf("GetAuthorizationToken with a deleted role's session: %v, want AccessDeniedException", err)
	}
}
