package awssim_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	cdtypes "github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim/awssimtest"
)

func TestPolicyEvaluate(t *testing.T) {
	t.Parallel()
	const doc = `{"Version": "2012-10-17", "Statement": [
		{"Effect": "Allow", "Action": ["ecr:Get*", "s3:???Object"], "Resource": "*"},
		{"Sid": "one", "Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": "arn:aws:secretsmanager:*:123456789012:secret:app/*"},
		{"Effect": "Deny", "Action": "secretsmanager:*", "Resource": ["arn:aws:secretsmanager:*:*:secret:app/admin-??????"]}
	]}`
	p, err := awssim.ParsePolicy([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		action, resource string
		want             awssim.Decision
	}{
		{"ecr:GetAuthorizationToken", "*", awssim.Allowed},
		{"ECR:getauthorizationtoken", "*", awssim.Allowed}, // actions match without regard to case
		{"ecr:PutImage", "*", awssim.ImplicitDeny},
		{"s3:GetObject", "arn:aws:s3:::b/k", awssim.Allowed},
		{"s3:PutObject", "arn:aws:s3:::b/k", awssim.Allowed}, // each ? matches one character
		{"s3:ListBucket", "arn:aws:s3:::b", awssim.ImplicitDeny},
		{"secretsmanager:GetSecretValue", "arn:aws:secretsmanager:us-east-1:123456789012:secret:app/db-AbCdEf", awssim.Allowed},
		{"secretsmanager:GetSecretValue", "arn:aws:secretsmanager:us-east-1:123456789012:secret:APP/db-AbCdEf", awssim.ImplicitDeny}, // resources do not fold case
		{"secretsmanager:GetSecretValue", "arn:aws:secretsmanager:us-east-1:123456789012:secret:app/admin-AbCdEf", awssim.ExplicitDeny},
		{"secretsmanager:GetSecretValue", "arn:aws:secretsmanager:us-east-1:123456789012:secret:app/admin-AbCdEfG", awssim.Allowed}, // ?????? is exactly six
		{"secretsmanager:GetSecretValue", "arn:aws:secretsmanager:us-east-1:999999999999:secret:app/db-AbCdEf", awssim.ImplicitDeny},
	}
	for _, tt := range tests {
		t.Run(tt.action+" "+tt.resource, func(t *testing.T) {
			t.Parallel()
			if got := p.Evaluate(tt.action, tt.resource); got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestParsePolicyErrors(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, doc, want string }{
		{"version", `{"Version": "2020", "Statement": []}`, "Version"},
		{"effect", `{"Version": "2012-10-17", "Statement": {"Effect": "Maybe", "Action": "*", "Resource": "*"}}`, "Effect"},
		{"no resource", `{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "*"}}`, "needs Action and Resource"},
		{"condition", `{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": {}}}`, "Condition is not supported"},
		{"action type", `{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": 3, "Resource": "*"}}`, "string or a list"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := awssim.ParsePolicy([]byte(tt.doc))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

// iamSandbox starts a sandbox seeded by sc (unchecked) whose policy then
// allows exactly the statements given.
func iamSandbox(t *testing.T, sc awssim.Scenario, statements ...map[string]any) *awssimtest.Sandbox {
	t.Helper()
	sb := awssimtest.Start(t, awssim.Options{})
	sc.IAM = map[string]any{"Version": "2012-10-17", "Statement": statements}
	if err := sb.Apply(sc); err != nil {
		t.Fatal(err)
	}
	return sb
}

func allow(actions any, resources any) map[string]any {
	return map[string]any{"Effect": "Allow", "Action": actions, "Resource": resources}
}

func denied(action, resource string) string {
	return "User: arn:aws:iam::123456789012:user/sandbox is not authorized to perform: " + action + " on resource: " + resource +
		" because no identity-based policy allows the " + action + " action"
}

func TestIAMRefusals(t *testing.T) {
	t.Parallel()
	seed := awssim.Scenario{Seed: []awssim.SeedCall{
		{Service: "codedeploy", Operation: "CreateApplication", Input: map[string]any{"applicationName": "web", "computePlatform": "Server"}},
		{Service: "ecr", Operation: "CreateRepository", Input: map[string]any{"repositoryName": "app"}},
	}}
	sb := iamSandbox(t, seed,
		allow("codedeploy:GetApplication", "arn:aws:codedeploy:us-east-1:123456789012:application:web"),
		allow("ecr:DescribeRepositories", "*"),
		map[string]any{"Effect": "Deny", "Action": "ecr:DescribeImages", "Resource": "*"},
	)
	ctx := context.Background()
	cfg := sb.Config()
	cd, ecrc := codedeploy.NewFromConfig(cfg), ecr.NewFromConfig(cfg)

	if _, err := cd.GetApplication(ctx, &codedeploy.GetApplicationInput{ApplicationName: aws.String("web")}); err != nil {
		t.Errorf("allowed GetApplication: %v", err)
	}
	tests := []struct {
		name     string
		call     func() error
		wantCode string
		wantMsg  string
	}{
		{"CodeDeploy, another application", func() error {
			_, err := cd.GetApplication(ctx, &codedeploy.GetApplicationInput{ApplicationName: aws.String("api")})
			return err
		}, "AccessDeniedException", denied("codedeploy:GetApplication", "arn:aws:codedeploy:us-east-1:123456789012:application:api")},
		{"CodeDeploy CreateDeployment, the deployment group", func() error {
			_, err := cd.CreateDeployment(ctx, &codedeploy.CreateDeploymentInput{ApplicationName: aws.String("web"), DeploymentGroupName: aws.String("blue")})
			return err
		}, "AccessDeniedException", denied("codedeploy:CreateDeployment", "arn:aws:codedeploy:us-east-1:123456789012:deploymentgroup:web/blue")},
		{"ECR, only *", func() error {
			_, err := ecrc.GetAuthorizationToken(ctx, &ecr.GetAuthorizationTokenInput{})
			return err
		}, "AccessDeniedException", denied("ecr:GetAuthorizationToken", "*")},
		{"ECR, explicit deny", func() error {
			_, err := ecrc.DescribeImages(ctx, &ecr.DescribeImagesInput{RepositoryName: aws.String("app")})
			return err
		}, "AccessDeniedException", "User: arn:aws:iam::123456789012:user/sandbox is not authorized to perform: ecr:DescribeImages on resource: arn:aws:ecr:us-east-1:123456789012:repository/app with an explicit deny in an identity-based policy"},
		{"ECS", func() error {
			_, err := ecs.NewFromConfig(cfg).DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String("prod"), Services: []string{"api"}})
			return err
		}, "AccessDeniedException", denied("ecs:DescribeServices", "arn:aws:ecs:us-east-1:123456789012:service/prod/api")},
		{"Secrets Manager", func() error {
			_, err := secretsmanager.NewFromConfig(cfg).ListSecrets(ctx, &secretsmanager.ListSecretsInput{})
			return err
		}, "AccessDeniedException", denied("secretsmanager:ListSecrets", "*")},
		{"STS GetCallerIdentity, never refused", func() error {
			_, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
			return err
		}, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			code, msg := awssimtest.ErrorCode(t, tt.call())
			if code != tt.wantCode || msg != tt.wantMsg {
				t.Errorf("got %s %q\nwant %s %q", code, msg, tt.wantCode, tt.wantMsg)
			}
		})
	}
}

func TestIAMS3MissingKey(t *testing.T) {
	t.Parallel()
	seed := awssim.Scenario{Seed: []awssim.SeedCall{
		{Service: "s3", Operation: "CreateBucket", Input: map[string]any{"Bucket": "bundles"}},
		{Service: "s3", Operation: "PutObject", Input: map[string]any{"Bucket": "bundles", "Key": "there.zip", "Body": "x"}},
	}}
	getOnly := iamSandbox(t, seed, allow("s3:GetObject", "arn:aws:s3:::bundles/*"))
	withList := iamSandbox(t, seed, allow("s3:GetObject", "arn:aws:s3:::bundles/*"), allow("s3:ListBucket", "arn:aws:s3:::bundles"))
	tests := []struct {
		name       string
		sb         *awssimtest.Sandbox
		key        string
		wantStatus int
	}{
		{"present, s3:GetObject", getOnly, "there.zip", 200},
		{"missing, without s3:ListBucket", getOnly, "missing.zip", 403},
		{"missing, with s3:ListBucket", withList, "missing.zip", 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			client := s3.NewFromConfig(tt.sb.Config(), func(o *s3.Options) { o.UsePathStyle = true })
			_, err := client.HeadObject(context.Background(), &s3.HeadObjectInput{Bucket: aws.String("bundles"), Key: aws.String(tt.key)})
			status := 200
			var re *smithyhttp.ResponseError
			if errors.As(err, &re) {
				status = re.HTTPStatusCode()
			}
			if status != tt.wantStatus {
				t.Errorf("HeadObject: status %d (%v), want %d", status, err, tt.wantStatus)
			}
			_, err = client.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String("bundles"), Key: aws.String(tt.key)})
			if code, msg := awssimtest.ErrorCode(t, err); tt.wantStatus == 403 && (code != "AccessDenied" || msg != strings.Replace(denied("s3:ListBucket", "arn:aws:s3:::bundles"), "arn:aws:s3:::bundles", `"arn:aws:s3:::bundles"`, 1)) {
				t.Errorf("GetObject: got %s %q, want AccessDenied naming s3:ListBucket and the bucket in quotes, as S3 does", code, msg)
			}
		})
	}
	if _, err := s3.NewFromConfig(getOnly.Config(), func(o *s3.Options) { o.UsePathStyle = true }).PutObject(context.Background(),
		&s3.PutObjectInput{Bucket: aws.String("bundles"), Key: aws.String("new.zip"), Body: strings.NewReader("x")}); err == nil {
		t.Error("PutObject without s3:PutObject succeeded")
	}
}

func TestIAMPassRole(t *testing.T) {
	t.Parallel()
	sb := iamSandbox(t, awssim.Scenario{},
		allow("ecs:RegisterTaskDefinition", "*"),
		allow("iam:PassRole", "arn:aws:iam::123456789012:role/api-execution"),
	)
	client := ecs.NewFromConfig(sb.Config())
	td := func(taskRole string) *ecs.RegisterTaskDefinitionInput {
		return &ecs.RegisterTaskDefinitionInput{
			Family: aws.String("api"), ExecutionRoleArn: aws.String("arn:aws:iam::123456789012:role/api-execution"), TaskRoleArn: aws.String(taskRole),
			ContainerDefinitions: []ecstypes.ContainerDefinition{{Name: aws.String("app"), Image: aws.String("nginx")}},
		}
	}
	_, err := client.RegisterTaskDefinition(context.Background(), td("arn:aws:iam::123456789012:role/api-task"))
	if code, msg := awssimtest.ErrorCode(t, err); code != "AccessDeniedException" || msg != denied("iam:PassRole", "arn:aws:iam::123456789012:role/api-task") {
		t.Errorf("task role not passable: got %s %q, want AccessDeniedException for iam:PassRole", code, msg)
	}
	if _, err := client.RegisterTaskDefinition(context.Background(), td("arn:aws:iam::123456789012:role/api-execution")); err != nil {
		t.Errorf("both roles passable: %v", err)
	}
	calls := sb.Calls()
	if got := calls[len(calls)-1].IAMActions; !slices.Equal(got, []string{"ecs:RegisterTaskDefinition", "iam:PassRole", "iam:PassRole"}) {
		t.Errorf("iamActions = %v, want RegisterTaskDefinition and PassRole for each role", got)
	}
}

func TestIAMBatchGetSecretValue(t *testing.T) {
	t.Parallel()
	seed := awssim.Scenario{Seed: []awssim.SeedCall{
		{Service: "secretsmanager", Operation: "CreateSecret", Input: map[string]any{"Name": "app/db", "SecretString": "a"}},
		{Service: "secretsmanager", Operation: "CreateSecret", Input: map[string]any{"Name": "app/admin", "SecretString": "b"}},
	}}
	sb := iamSandbox(t, seed,
		allow("secretsmanager:BatchGetSecretValue", "*"),
		allow("secretsmanager:GetSecretValue", "arn:aws:secretsmanager:us-east-1:123456789012:secret:app/db-??????"),
	)
	client := secretsmanager.NewFromConfig(sb.Config())
	ctx := context.Background()
	out, err := client.BatchGetSecretValue(ctx, &secretsmanager.BatchGetSecretValueInput{SecretIdList: []string{"app/db", "app/admin"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.SecretValues) != 1 || aws.ToString(out.SecretValues[0].Name) != "app/db" {
		t.Errorf("SecretValues = %d, want app/db only", len(out.SecretValues))
	}
	if len(out.Errors) != 1 || aws.ToString(out.Errors[0].SecretId) != "app/admin" || aws.ToString(out.Errors[0].ErrorCode) != "AccessDeniedException" ||
		!strings.HasPrefix(aws.ToString(out.Errors[0].Message), "User: arn:aws:iam::123456789012:user/sandbox is not authorized to perform: secretsmanager:GetSecretValue on resource: arn:aws:secretsmanager:us-east-1:123456789012:secret:app/admin-") {
		t.Errorf("Errors = %+v, want AccessDeniedException for app/admin", out.Errors)
	}
	calls := sb.Calls()
	if got := calls[len(calls)-1].IAMActions; !slices.Equal(got, []string{"secretsmanager:BatchGetSecretValue", "secretsmanager:GetSecretValue", "secretsmanager:GetSecretValue"}) {
		t.Errorf("iamActions = %v", got)
	}
	_, err = client.BatchGetSecretValue(ctx, &secretsmanager.BatchGetSecretValueInput{Filters: []smtypes.Filter{{Key: smtypes.FilterNameStringTypeName, Values: []string{"app/"}}}})
	if code, msg := awssimtest.ErrorCode(t, err); code != "AccessDeniedException" || msg != denied("secretsmanager:ListSecrets", "*") {
		t.Errorf("BatchGetSecretValue with Filters: got %s %q, want AccessDeniedException for secretsmanager:ListSecrets", code, msg)
	}
}

func TestIAMRegistry(t *testing.T) {
	t.Parallel()
	sb := iamSandbox(t, awssim.Scenario{Seed: []awssim.SeedCall{{Service: "ecr", Operation: "CreateRepository", Input: map[string]any{"repositoryName": "app"}}}},
		allow("ecr:GetAuthorizationToken", "*"),
		allow("ecr:BatchGetImage", "arn:aws:ecr:us-east-1:123456789012:repository/app"),
	)
	password := awssimtest.RegistryPassword(t, ecr.NewFromConfig(sb.Config()))
	get := func(method, path string) (int, string) {
		req, _ := http.NewRequest(method, sb.URL+path, nil)
		req.SetBasicAuth("AWS", password)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var body struct {
			Errors []struct{ Code, Message string }
		}
		json.NewDecoder(resp.Body).Decode(&body)
		if len(body.Errors) == 0 {
			return resp.StatusCode, ""
		}
		return resp.StatusCode, body.Errors[0].Code + " " + body.Errors[0].Message
	}
	if status, e := get(http.MethodGet, "/v2/app/manifests/latest"); status != 404 {
		t.Errorf("pull with ecr:BatchGetImage: %d %s, want 404 MANIFEST_UNKNOWN", status, e)
	}
	status, e := get(http.MethodPost, "/v2/app/blobs/uploads/")
	if want := "DENIED " + denied("ecr:InitiateLayerUpload", "arn:aws:ecr:us-east-1:123456789012:repository/app"); status != 403 || e != want {
		t.Errorf("push without ecr:InitiateLayerUpload: %d %q, want 403 %q", status, e, want)
	}
	calls := sb.Calls()
	if last := calls[len(calls)-1]; last.Service != "registry" || !slices.Equal(last.IAMActions, []string{"ecr:InitiateLayerUpload"}) {
		t.Errorf("last call = %+v, want the registry upload checked as ecr:InitiateLayerUpload", last)
	}
}

func TestIAMScenarioReplacesPolicy(t *testing.T) {
	t.Parallel()
	sb := iamSandbox(t, awssim.Scenario{}, allow("ecr:GetAuthorizationToken", "*"))
	client := ecr.NewFromConfig(sb.Config())
	ctx := context.Background()
	if _, err := client.GetAuthorizationToken(ctx, &ecr.GetAuthorizationTokenInput{}); err != nil {
		t.Fatalf("allowed by the first policy: %v", err)
	}
	next := awssim.Scenario{
		Seed: []awssim.SeedCall{{Service: "ecr", Operation: "CreateRepository", Input: map[string]any{"repositoryName": "seeded"}}}, // not checked
		IAM:  map[string]any{"Version": "2012-10-17", "Statement": allow("ecr:DescribeRepositories", "*")},
	}
	if err := sb.Apply(next); err != nil {
		t.Fatalf("seed calls are checked against the policy: %v", err)
	}
	_, err := client.GetAuthorizationToken(ctx, &ecr.GetAuthorizationTokenInput{})
	if code, _ := awssimtest.ErrorCode(t, err); code != "AccessDeniedException" {
		t.Errorf("GetAuthorizationToken after the policy was replaced: got %q, want AccessDeniedException", code)
	}
	out, err := client.DescribeRepositories(ctx, &ecr.DescribeRepositoriesInput{})
	if err != nil || len(out.Repositories) != 1 {
		t.Errorf("DescribeRepositories under the new policy: %v, want the seeded repository", err)
	}
}

// TestTrustAllowsCase: IAM matches actions and condition key names whatever
// their case, and StringEquals values case-sensitively ("Context key names
// are not case-sensitive", IAM User Guide, IAM JSON policy elements:
// Condition).
func TestTrustAllowsCase(t *testing.T) {
	const issuer = "token.actions.githubusercontent.com"
	trust, err := awssim.ParseTrustPolicy([]byte(`{"Statement": {
		"Effect": "Allow",
		"Principal": {"Federated": "arn:aws:iam::` + awssim.Account + `:oidc-provider/` + issuer + `"},
		"Action": "STS:assumeRoleWithWebIdentity",
		"Condition": {
			"StringEquals": {"Token.Actions.GitHubUserContent.com:AUD": "sts.amazonaws.com"},
			"StringLike": {"token.actions.githubusercontent.com:SUB": "repo:team/app:*"}}}}`))
	if err != nil {
		t.Fatal(err)
	}
	role := &awssim.Role{Trust: trust}
	for _, tt := range []struct {
		action, aud, sub string
		want             bool
	}{
		{"sts:AssumeRoleWithWebIdentity", "sts.amazonaws.com", "repo:team/app:ref:refs/heads/main", true},
		{"sts:assumerolewithwebidentity", "sts.amazonaws.com", "repo:team/app:ref:refs/heads/main", true},
		{"sts:AssumeRoleWithWebIdentity", "STS.amazonaws.com", "repo:team/app:ref:refs/heads/main", false},
		{"sts:AssumeRoleWithWebIdentity", "sts.amazonaws.com", "repo:Team/App:ref:refs/heads/main", false},
		{"sts:AssumeRole", "sts.amazonaws.com", "repo:team/app:ref:refs/heads/main", false},
	} {
		if got := role.TrustAllows(tt.action, issuer, tt.aud, tt.sub); got != tt.want {
			t.Errorf("TrustAllows(%s, aud %s, sub %s) = %v, want %v", tt.action, tt.aud, tt.sub, got, tt.want)
		}
	}
}

// TestIAMCodeDeployDependentActions: CreateDeployment also needs
// codedeploy:GetDeploymentConfig on the deployment's configuration and
// codedeploy:GetApplicationRevision or RegisterApplicationRevision on the
// application (CodeDeploy permissions reference, note 1);
// CreateDeploymentConfig is authorized on the configuration.
func TestIAMCodeDeployDependentActions(t *testing.T) {
	t.Parallel()
	seed := awssim.Scenario{Seed: []awssim.SeedCall{
		{Service: "codedeploy", Operation: "CreateApplication", Input: map[string]any{"applicationName": "web", "computePlatform": "Server"}},
		{Service: "codedeploy", Operation: "CreateDeploymentGroup", Input: map[string]any{"applicationName": "web", "deploymentGroupName": "blue",
			"serviceRoleArn": "arn:aws:iam::123456789012:role/cd", "deploymentConfigName": "CodeDeployDefault.AllAtOnce"}},
	}}
	const (
		group  = "arn:aws:codedeploy:us-east-1:123456789012:deploymentgroup:web/blue"
		config = "arn:aws:codedeploy:us-east-1:123456789012:deploymentconfig:CodeDeployDefault.AllAtOnce"
		app    = "arn:aws:codedeploy:us-east-1:123456789012:application:web"
	)
	create := func(sb *awssimtest.Sandbox) error {
		_, err := codedeploy.NewFromConfig(sb.Config()).CreateDeployment(context.Background(), &codedeploy.CreateDeploymentInput{
			ApplicationName: aws.String("web"), DeploymentGroupName: aws.String("blue"),
			Revision: &cdtypes.RevisionLocation{RevisionType: cdtypes.RevisionLocationTypeS3, S3Location: &cdtypes.S3Location{Bucket: aws.String("b"), Key: aws.String("k.zip"), BundleType: cdtypes.BundleTypeZip}},
		})
		return err
	}
	for _, tc := range []struct {
		name    string
		allowed []string
		wantMsg string // "": not refused by IAM
	}{
		{"no GetDeploymentConfig", []string{"codedeploy:RegisterApplicationRevision"}, denied("codedeploy:GetDeploymentConfig", config)},
		{"no revision action", []string{"codedeploy:GetDeploymentConfig"}, denied("codedeploy:GetApplicationRevision", app)},
		{"RegisterApplicationRevision", []string{"codedeploy:GetDeploymentConfig", "codedeploy:RegisterApplicationRevision"}, ""},
		{"GetApplicationRevision", []string{"codedeploy:GetDeploymentConfig", "codedeploy:GetApplicationRevision"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			sb := iamSandbox(t, seed, allow("codedeploy:CreateDeployment", group), allow(tc.allowed, []string{config, app}))
			code, msg := awssimtest.ErrorCode(t, create(sb))
			if tc.wantMsg != "" && (code != "AccessDeniedException" || msg != tc.wantMsg) {
				t.Errorf("got %s %q\nwant AccessDeniedException %q", code, msg, tc.wantMsg)
			}
			if tc.wantMsg == "" && code == "AccessDeniedException" {
				t.Errorf("refused: %s", msg)
			}
		})
	}
	t.Run("CreateDeploymentConfig", func(t *testing.T) {
		t.Parallel()
		sb := iamSandbox(t, seed, allow("codedeploy:CreateDeploymentConfig", "arn:aws:codedeploy:us-east-1:123456789012:deploymentconfig:Mine*"))
		cd := codedeploy.NewFromConfig(sb.Config())
		ctx := context.Background()
		mhh := &cdtypes.MinimumHealthyHosts{Type: cdtypes.MinimumHealthyHostsTypeHostCount, Value: 0}
		if _, err := cd.CreateDeploymentConfig(ctx, &codedeploy.CreateDeploymentConfigInput{DeploymentConfigName: aws.String("MineFast"), MinimumHealthyHosts: mhh}); err != nil {
			t.Errorf("CreateDeploymentConfig MineFast: %v", err)
		}
		_, err := cd.CreateDeploymentConfig(ctx, &codedeploy.CreateDeploymentConfigInput{DeploymentConfigName: aws.String("Other"), MinimumHealthyHosts: mhh})
		if code, msg := awssimtest.ErrorCode(t, err); msg != denied("codedeploy:CreateDeploymentConfig", "arn:aws:codedeploy:us-east-1:123456789012:deploymentconfig:Other") {
			t.Errorf("CreateDeploymentConfig Other: %s %q", code, msg)
		}
	})
}

// TestResourcePolicyServiceAllows evaluates repository-policy statements
// for Lambda's service principal: principals, action wildcards, Deny, and
// the aws:SourceArn / aws:SourceAccount conditions AWS's cross-account
// example uses (AWS Lambda Developer Guide, Amazon ECR cross-account
// permissions).
func TestResourcePolicyServiceAllows(t *testing.T) {
	const fn = "arn:aws:lambda:us-east-1:123456789012:function:web"
	tests := []struct {
		name, statements string
		want             awssim.Decision
	}{
		{"Lambda's statement", `{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]}`, awssim.Allowed},
		{"another service", `{"Effect": "Allow", "Principal": {"Service": "ecs.amazonaws.com"}, "Action": "ecr:*"}`, awssim.ImplicitDeny},
		{"an account", `{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "ecr:*"}`, awssim.ImplicitDeny},
		{"everyone", `{"Effect": "Allow", "Principal": "*", "Action": "ecr:Batch*"}`, awssim.Allowed},
		{"other actions", `{"Effect": "Allow", "Principal": {"Service": ["lambda.amazonaws.com"]}, "Action": "ecr:PutImage"}`, awssim.ImplicitDeny},
		{"deny wins", `{"Effect": "Allow", "Principal": "*", "Action": "ecr:*"}, {"Effect": "Deny", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "ecr:BatchGetImage"}`, awssim.ExplicitDeny},
		{"source ARN like", `{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "ecr:BatchGetImage", "Condition": {"StringLike": {"aws:sourceARN": "arn:aws:lambda:us-east-1:123456789012:function:*"}}}`, awssim.Allowed},
		{"another account's functions", `{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "ecr:BatchGetImage", "Condition": {"StringLike": {"aws:sourceARN": "arn:aws:lambda:us-east-1:111111111111:function:*"}}}`, awssim.ImplicitDeny},
		{"source account", `{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "ecr:BatchGetImage", "Condition": {"StringEquals": {"aws:SourceAccount": "123456789012"}}}`, awssim.Allowed},
		{"a condition not evaluated", `{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "ecr:BatchGetImage", "Condition": {"Bool": {"aws:SecureTransport": "true"}}}`, awssim.ImplicitDeny},
	}
	for _, tt := range tests {
		p, err := awssim.ParseResourcePolicy([]byte(`{"Version": "2008-10-17", "Statement": [` + tt.statements + `]}`))
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if got := p.ServiceAllows("lambda.amazonaws.com", "ecr:BatchGetImage", fn); got != tt.want {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
		}
	}
	for _, bad := range []string{`{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "ecr:*"}}`, `{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Principal": "*", "NotAction": "ecr:*"}}`, `{"Statement": []}`} {
		if _, err := awssim.ParseResourcePolicy([]byte(bad)); err == nil {
			t.Errorf("ParseResourcePolicy(%s) accepted it", bad)
		}
	}
}
