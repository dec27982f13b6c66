package e2e

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim/awssimtest"
)

// tokenServer plays the runner's OIDC token endpoint
// (ACTIONS_ID_TOKEN_REQUEST_URL), which act does not provide: it issues
// unsigned tokens whose subject is a workflow of repo on main. The sandbox
// reads their claims without checking a signature.
func tokenServer(t *testing.T, repo string) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer request-token" {
			http.Error(w, "bad request token", http.StatusUnauthorized)
			return
		}
		claims, _ := json.Marshal(map[string]any{"iss": "https://token.actions.githubusercontent.com", "aud": r.URL.Query().Get("audience"),
			"sub": "repo:" + repo + ":ref:refs/heads/main", "repository": repo, "exp": time.Now().Add(time.Hour).Unix()})
		json.NewEncoder(w).Encode(map[string]string{"value": "eyJhbGciOiJSUzI1NiJ9." + base64.RawURLEncoding.EncodeToString(claims) + ".c2ln"})
	}))
	t.Cleanup(srv.Close)
	return srv
}

// TestQuickStartWithTemplateRole makes the AWS side as the README's quick
// start does (github-role.yaml for octo/app and ec2-blue-green.yaml, with
// the AWS CLI), then runs its workflow with act and the stack's RoleArn as
// role-to-assume: it deploys; with one action taken out of the role's
// policy it fails naming that action; from another repository the trust
// policy refuses the role.
func TestQuickStartWithTemplateRole(t *testing.T) {
	actBin, err := FindAct()
	need(t, "act", err)
	needDocker(t, RunnerImage)
	actionImage(t)
	root, err := RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	templates := filepath.Join(root, "examples/cloudformation")
	tests := []struct {
		name, repo, removeAction, wantError string
	}{
		{name: "role", repo: "octo/app"},
		{name: "action removed", repo: "octo/app", removeAction: "codedeploy:CreateDeployment", wantError: "is not authorized to perform: codedeploy:CreateDeployment"},
		{name: "foreign repository", repo: "evil/app", wantError: "Not authorized to perform sts:AssumeRoleWithWebIdentity"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			sb := awssimtest.Start(t, awssim.Options{})
			roleTemplate := filepath.Join(templates, "github-role.yaml")
			if tt.removeAction != "" {
				data, err := os.ReadFile(roleTemplate)
				line := "                    - " + tt.removeAction + "\n"
				if err != nil || !bytes.Contains(data, []byte(line)) {
					t.Fatalf("github-role.yaml has no line %q (%v)", line, err)
				}
				roleTemplate = filepath.Join(t.TempDir(), "github-role.yaml")
				os.WriteFile(roleTemplate, bytes.Replace(data, []byte(line), nil, 1), 0o644)
			}
			status, role := sb.DeployStack(t, "app-github-role", roleTemplate, "GitHubRepository=octo/app", "Ec2Path=true", "SecretsPrefix=prod/app/")
			if status != "CREATE_COMPLETE" {
				t.Fatalf("role stack %s", status)
			}
			if status, _ := sb.DeployStack(t, "app-ec2", filepath.Join(templates, "ec2-blue-green.yaml"), "VpcId=vpc-0sandbox", "SubnetIds=subnet-0a,subnet-0b"); status != "CREATE_COMPLETE" {
				t.Fatalf("ec2 stack %s", status)
			}
			ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
			defer cancel()
			if _, err := secretsmanager.NewFromConfig(sb.Config()).CreateSecret(ctx, &secretsmanager.CreateSecretInput{
				Name: aws.String("prod/app/db"), SecretString: aws.String("demo-password-1")}); err != nil {
				t.Fatal(err)
			}
			// No AWS credentials: the action has only the role.
			act := Act{Bin: actBin, Dir: root, Env: map[string]string{
				"AWS_ENDPOINT_URL": sb.URL, "ROLE_ARN": role["RoleArn"],
				"ACTIONS_ID_TOKEN_REQUEST_URL": tokenServer(t, tt.repo).URL + "/token?api-version=2.0", "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "request-token",
			}}
			var log bytes.Buffer
			run, err := act.Run(ctx, filepath.Join(root, "testdata/workflows/quickstart-ec2.yml"), &log)
			defer func() {
				if t.Failed() {
					t.Logf("act's log:\n%s", log.Bytes())
				}
			}()
			if err != nil {
				t.Fatal(err)
			}
			out := run.Outputs["deploy"]
			t.Logf("job %s, steps %v, outputs %v", run.Job, run.Steps, out)
			if tt.wantError == "" {
				if run.Job != "success" || out["deployment-status"] != "Succeeded" {
					t.Errorf("job %s, deployment-status %q, want success and Succeeded", run.Job, out["deployment-status"])
				}
				return
			}
			if run.Job != "failure" || !strings.Contains(out["error-message"], tt.wantError) {
				t.Errorf("job %s, error-message %q, want failure with %q", run.Job, out["error-message"], tt.wantError)
			}
			if bytes.Contains(log.Bytes(), []byte("demo-password-1")) {
				t.Error("the secret's value is in act's log")
			}
		})
	}
}
