package cloudformation_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim/awssimtest"
)

// templates is where the example templates are.
const templates = "../../../examples/cloudformation"

func keys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// TestDeployTemplates deploys each example template into a sandbox with the
// AWS CLI and checks the outputs its header documents.
func TestDeployTemplates(t *testing.T) {
	t.Parallel()
	network := []string{"VpcId=vpc-0sandbox", "SubnetIds=subnet-0a,subnet-0b", "SubnetId=subnet-0a"}
	tests := []struct {
		template string
		params   []string
		outputs  []string
	}{
		{"github-role.yaml", []string{"GitHubRepository=octo/app", "EcsCodeDeployPath=true", "LambdaPath=true", "EcsNativePath=true", "SecretsPrefix=app/"}, []string{"RoleArn"}},
		{"ec2-blue-green.yaml", network, []string{"CodedeployApplication", "CodedeployDeploymentGroup", "EcrRepository", "S3Bucket", "Url"}},
		{"single-host.yaml", network, []string{"CodedeployApplication", "CodedeployDeploymentGroup", "EcrRepository", "S3Bucket", "Url"}},
		{"ecs-codedeploy.yaml", network, []string{"CodedeployApplication", "CodedeployDeploymentGroup", "EcrRepository", "EcsCluster", "EcsService", "TestUrl", "Url"}},
		{"ecs-native.yaml", network, []string{"EcrRepository", "EcsCluster", "EcsService", "TestUrl", "Url"}},
		{"lambda.yaml", nil, []string{"CodedeployApplication", "CodedeployDeploymentGroup", "EcrRepository"}},
	}
	for _, tt := range tests {
		t.Run(tt.template, func(t *testing.T) {
			t.Parallel()
			sb := awssimtest.Start(t, awssim.Options{})
			status, outputs := sb.DeployStack(t, "app", filepath.Join(templates, tt.template), tt.params...)
			if status != "CREATE_COMPLETE" || !slices.Equal(keys(outputs), tt.outputs) {
				t.Fatalf("stack %s with outputs %v, want CREATE_COMPLETE with %v", status, outputs, tt.outputs)
			}
			for k, v := range outputs {
				if strings.HasPrefix(k, "Codedeploy") || k == "EcrRepository" || k == "EcsCluster" || k == "EcsService" {
					if v != "app" {
						t.Errorf("output %s = %q, want the Name parameter's default, app", k, v)
					}
				}
			}
		})
	}
}

// TestDeployLambdaImage deploys lambda.yaml, pushes an image to the
// repository it made, and deploys it again with the image: the update
// creates the function, its version and the alias live.
func TestDeployLambdaImage(t *testing.T) {
	t.Parallel()
	sb := awssimtest.Start(t, awssim.Options{})
	file := filepath.Join(templates, "lambda.yaml")
	if status, _ := sb.DeployStack(t, "fn", file); status != "CREATE_COMPLETE" {
		t.Fatalf("stack %s, want CREATE_COMPLETE", status)
	}
	// The repository's policy lets Lambda pull (RepositoryPolicyText), so
	// Lambda needs no ecr:SetRepositoryPolicy of whoever updates the code.
	policy, err := sb.CLI(t, "ecr", "get-repository-policy", "--repository-name", "app", "--query", "policyText", "--output", "text")
	if p, perr := awssim.ParseResourcePolicy([]byte(policy)); err != nil || perr != nil ||
		p.ServiceAllows("lambda.amazonaws.com", "ecr:BatchGetImage", "arn:aws:lambda:us-east-1:123456789012:function:app") != awssim.Allowed ||
		p.ServiceAllows("lambda.amazonaws.com", "ecr:GetDownloadUrlForLayer", "arn:aws:lambda:us-east-1:123456789012:function:app") != awssim.Allowed {
		t.Errorf("repository policy: %v %v %q, want one that lets lambda.amazonaws.com pull", err, perr, policy)
	}
	image := sb.PushImageTag(t, "app", "v1")
	status, outputs := sb.DeployStack(t, "fn", file, "ImageUri="+image)
	if status != "UPDATE_COMPLETE" || outputs["LambdaFunction"] != "app" {
		t.Fatalf("stack %s with outputs %v, want UPDATE_COMPLETE with LambdaFunction app", status, outputs)
	}
	out, err := sb.CLI(t, "lambda", "get-alias", "--function-name", "app", "--name", "live", "--query", "FunctionVersion", "--output", "text")
	if err != nil || strings.TrimSpace(out) != "1" {
		t.Fatalf("alias live: %v %q, want version 1", err, out)
	}
}

// TestDeployUnsupported: a resource type the sandbox does not model fails
// the stack as CloudFormation fails it, naming the type.
func TestDeployUnsupported(t *testing.T) {
	t.Parallel()
	sb := awssimtest.Start(t, awssim.Options{})
	file := filepath.Join(t.TempDir(), "vpc.yaml")
	os.WriteFile(file, []byte("Resources:\n  Vpc:\n    Type: AWS::EC2::VPC\n    Properties: {CidrBlock: 10.0.0.0/16}\n"), 0o644)
	if status, _ := sb.DeployStack(t, "net", file); status != "ROLLBACK_COMPLETE" {
		t.Fatalf("stack %s, want ROLLBACK_COMPLETE", status)
	}
	out, err := sb.CLI(t, "cloudformation", "describe-stack-events", "--stack-name", "net", "--output", "text",
		"--query", "StackEvents[?ResourceStatus=='CREATE_FAILED'].[LogicalResourceId,ResourceStatusReason]")
	if err != nil || !strings.Contains(out, "Vpc\tResource type AWS::EC2::VPC is not supported by the sandbox") {
		t.Fatalf("CREATE_FAILED events: %v\n%s", err, out)
	}
}
