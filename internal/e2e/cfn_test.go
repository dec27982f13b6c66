package e2e

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
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

// oidcProvider is the ARN of the GitHub OIDC provider github-role.yaml
// creates in the sandbox's account, which a second role stack reuses.
const oidcProvider = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"

// TestQuickStart makes the AWS side of each path as the README's quick start
// does, with the AWS CLI in a sandbox of its own: github-role.yaml for
// octo/app with only that path's statements, and the path's template. Then
// it runs the path's quick-start workflow with act and the stack's RoleArn
// as role-to-assume: it deploys. A path's cases share its sandbox and
// stacks and run one after the other; the paths run in parallel.
//
// A role without one action must fail naming it: run once per way the
// action is refused, not per path. EC2 removes codedeploy:CreateDeployment,
// a call's own action on the resource the template names: the mechanism.
// ECS removes iam:PassRole, which RegisterTaskDefinition needs on top of its
// own action, on the task roles ecs-codedeploy.yaml names: github-role.yaml
// must name the same ones. Single host has the EC2 role's statements and
// makes the EC2 path's calls; ECS-native's statements name the same task
// roles as ECS's (PassRole) and its other calls are refused as EC2's are;
// Lambda's calls are refused as EC2's are (each
// call's own action on the function the template names), and
// TestMissingPermission (internal/pipeline) takes each action of each stage
// away in turn. A workflow of another repository is refused by the trust
// policy, which is the same for every path: once, on EC2.
func TestQuickStart(t *testing.T) {
	actBin, root := needAct(t)
	templates := filepath.Join(root, "examples/cloudformation")
	network := []string{"VpcId=vpc-0sandbox", "SubnetIds=subnet-0a,subnet-0b"}
	// The EC2 workflow's bundle goes to the stack's bucket, the secret's
	// name to the outputs.
	serverOutputs := map[string]string{"revision-location": `^s3://app-bundles-123456789012-us-east-1/bluegreen-deploy/`, "secrets": `^DB$`}
	type run struct {
		name, repo, removeAction, wantError string
	}
	paths := []struct {
		name, template, workflow string
		params, roleParams       []string
		// firstImage: the template takes the function's first image as
		// ImageUri, deployed again once the repository it made has one
		// (lambda.yaml's two steps).
		firstImage bool
		// outputs are what the deploy step outputs on success, beyond
		// deployment-status Succeeded: regular expressions by name.
		outputs map[string]string
		runs    []run
	}{
		{name: "ec2", template: "ec2-blue-green.yaml", workflow: "quickstart-ec2.yml", params: network,
			roleParams: []string{"Ec2Path=true", "SecretsPrefix=app/"},
			outputs:    serverOutputs,
			runs: []run{
				{name: "role", repo: "octo/app"},
				{name: "action removed", repo: "octo/app", removeAction: "codedeploy:CreateDeployment", wantError: "is not authorized to perform: codedeploy:CreateDeployment"},
				{name: "foreign repository", repo: "evil/app", wantError: "Not authorized to perform sts:AssumeRoleWithWebIdentity"},
			}},
		{name: "single-host", template: "single-host.yaml", workflow: "quickstart-ec2.yml", params: network,
			roleParams: []string{"Ec2Path=true", "SecretsPrefix=app/"},
			outputs:    serverOutputs,
			runs:       []run{{name: "role", repo: "octo/app"}}},
		{name: "ecs-codedeploy", template: "ecs-codedeploy.yaml", workflow: "quickstart-ecs.yml", params: network,
			roleParams: []string{"Ec2Path=false", "EcsCodeDeployPath=true"},
			outputs:    map[string]string{"task-definition-arn": `:task-definition/app:2$`},
			runs: []run{
				{name: "role", repo: "octo/app"},
				{name: "action removed", repo: "octo/app", removeAction: "iam:PassRole", wantError: "is not authorized to perform: iam:PassRole"},
			}},
		{name: "ecs-native", template: "ecs-native.yaml", workflow: "quickstart-ecs-native.yml", params: network,
			roleParams: []string{"Ec2Path=false", "EcsNativePath=true"},
			outputs:    map[string]string{"deployment-id": `:service-deployment/app/app/`, "task-definition-arn": `:task-definition/app:2$`},
			runs:       []run{{name: "role", repo: "octo/app"}}},
		// All at once: the default canary's 5 minutes are half a second at
		// the sandbox's time scale, but a poll that sees the 10% step sleeps
		// to the wait's known end, up to a minute of wall time (the action's
		// sparse schedule, right against AWS), which made the case take
		// 5 s or 65 s by chance.
		{name: "lambda", template: "lambda.yaml", workflow: "quickstart-lambda.yml", firstImage: true,
			params:     []string{"DeploymentConfig=CodeDeployDefault.LambdaAllAtOnce"},
			roleParams: []string{"Ec2Path=false", "LambdaPath=true"},
			outputs:    map[string]string{"lambda-version": `^2$`},
			runs:       []run{{name: "role", repo: "octo/app"}}},
	}
	for _, p := range paths {
		t.Run(p.name, func(t *testing.T) {
			t.Parallel()
			start := time.Now()
			sb := awssimtest.Start(t, awssim.Options{})
			t.Cleanup(func() {
				if err := RemoveImages(context.Background(), sb.Host+"/"); err != nil {
					t.Error(err)
				}
			})
			roleParams := append([]string{"GitHubRepository=octo/app"}, p.roleParams...)
			status, role := sb.DeployStack(t, "app-github-role", filepath.Join(templates, "github-role.yaml"), roleParams...)
			if status != "CREATE_COMPLETE" {
				t.Fatalf("role stack %s", status)
			}
			template := filepath.Join(templates, p.template)
			if status, _ := sb.DeployStack(t, "app-"+p.name, template, p.params...); status != "CREATE_COMPLETE" {
				t.Fatalf("%s stack %s", p.name, status)
			}
			if p.firstImage {
				image := sb.PushImageTag(t, "app", "first")
				if status, _ := sb.DeployStack(t, "app-"+p.name, template, slices.Concat(p.params, []string{"ImageUri=" + image})...); status != "UPDATE_COMPLETE" {
					t.Fatalf("%s stack with ImageUri %s", p.name, status)
				}
			}
			if _, err := secretsmanager.NewFromConfig(sb.Config()).CreateSecret(t.Context(), &secretsmanager.CreateSecretInput{
				Name: aws.String("app/db"), SecretString: aws.String("demo-password-1")}); err != nil {
				t.Fatal(err)
			}
			t.Logf("stacks deployed in %s", time.Since(start).Round(time.Second))
			for _, r := range p.runs {
				t.Run(r.name, func(t *testing.T) {
					roleArn := role["RoleArn"]
					if r.removeAction != "" {
						file := withoutAction(t, filepath.Join(templates, "github-role.yaml"), r.removeAction)
						status, without := sb.DeployStack(t, "app-github-role-without", file, slices.Concat(roleParams, []string{"OidcProviderArn=" + oidcProvider})...)
						if status != "CREATE_COMPLETE" {
							t.Fatalf("role stack without %s: %s", r.removeAction, status)
						}
						roleArn = without["RoleArn"]
					}
					runQuickStart(t, actBin, root, sb, p.workflow, roleArn, r.repo, r.wantError, p.outputs)
				})
			}
		})
	}
}

// runQuickStart runs a quick-start workflow with act as repo's workflow and
// roleArn as its role, and checks it deploys or, with wantError, fails
// with it; a deploy's outputs must match outputs. The secret's value must
// not reach act's log.
func runQuickStart(t *testing.T, actBin, root string, sb *awssimtest.Sandbox, workflow, roleArn, repo, wantError string, outputs map[string]string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	// No AWS credentials: the action has only the role.
	act := Act{Bin: actBin, Dir: root, Env: map[string]string{
		"AWS_ENDPOINT_URL": sb.URL, "ROLE_ARN": roleArn,
		"ACTIONS_ID_TOKEN_REQUEST_URL": tokenServer(t, repo).URL + "/token?api-version=2.0", "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "request-token",
	}}
	run, log := runAct(ctx, t, act, filepath.Join(root, "testdata/workflows", workflow))
	out := run.Outputs["deploy"]
	if strings.Contains(log, "demo-password-1") {
		t.Error("the secret's value is in act's log")
	}
	if wantError == "" {
		if run.Job != "success" || out["deployment-status"] != "Succeeded" {
			t.Errorf("job %s, deployment-status %q, want success and Succeeded", run.Job, out["deployment-status"])
		}
		for name, pattern := range outputs {
			if !regexp.MustCompile(pattern).MatchString(out[name]) {
				t.Errorf("output %s = %q, want a match for %s", name, out[name], pattern)
			}
		}
		return
	}
	if run.Job != "failure" || !strings.Contains(out["error-message"], wantError) {
		t.Errorf("job %s, error-message %q, want failure with %q", run.Job, out["error-message"], wantError)
	}
}

// withoutAction writes a copy of a template without one IAM action in
// any statement (a statement left with no action goes) and returns its path.
func withoutAction(t *testing.T, template, action string) string {
	t.Helper()
	data, err := os.ReadFile(template)
	if err != nil {
		t.Fatal(err)
	}
	edited, removed, err := dropAction(data, action)
	if err != nil || removed == 0 {
		t.Fatalf("removing %s from %s: removed %d (%v)", action, template, removed, err)
	}
	file := filepath.Join(t.TempDir(), filepath.Base(template))
	if err := os.WriteFile(file, edited, 0o644); err != nil {
		t.Fatal(err)
	}
	return file
}
