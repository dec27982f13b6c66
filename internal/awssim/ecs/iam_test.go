package ecs_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim/awssimtest"
)

// TestNativeIAM: UpdateService and ListServiceDeployments are checked on the
// service, the other deployment calls on the service deployment, and the
// load balancers' role needs iam:PassRole.
func TestNativeIAM(t *testing.T) {
	t.Parallel()
	sb, client := nativeSandbox(t, "api", blueGreen(pauseHook(30, "ROLLBACK")))
	ctx := context.Background()
	const svc = "arn:aws:ecs:us-east-1:123456789012:service/prod/api"
	policy, err := awssim.ParsePolicy([]byte(`{"Version": "2012-10-17", "Statement": [
		{"Effect": "Allow", "Action": ["ecs:UpdateService", "ecs:ListServiceDeployments"], "Resource": "` + svc + `"},
		{"Effect": "Allow", "Action": ["ecs:DescribeServiceDeployments", "ecs:ContinueServiceDeployment"], "Resource": "arn:aws:ecs:us-east-1:123456789012:service-deployment/prod/api/*"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	sb.SetPolicy(policy)
	denied := func(what string, err error, action string) {
		t.Helper()
		code, msg := awssimtest.ErrorCode(t, err)
		if code != "AccessDeniedException" || !strings.Contains(msg, action) {
			t.Errorf("%s: %v, want AccessDeniedException for %s", what, err, action)
		}
	}
	_, err = client.UpdateService(ctx, &ecs.UpdateServiceInput{Cluster: aws.String("prod"), Service: aws.String("api"), LoadBalancers: []ecstypes.LoadBalancer{loadBalancer()}})
	denied("a role without iam:PassRole", err, "iam:PassRole on resource: arn:aws:iam::123456789012:role/ecs-infrastructure")
	arn := deploy(t, client, "api")
	must(t)(client.ListServiceDeployments(ctx, &ecs.ListServiceDeploymentsInput{Cluster: aws.String("prod"), Service: aws.String("api")}))
	describe(t, client, arn)
	_, err = client.StopServiceDeployment(ctx, &ecs.StopServiceDeploymentInput{ServiceDeploymentArn: aws.String(arn)})
	denied("StopServiceDeployment", err, "ecs:StopServiceDeployment on resource: "+arn)
	_, err = client.UpdateService(ctx, &ecs.UpdateServiceInput{Cluster: aws.String("prod"), Service: aws.String("other"), TaskDefinition: aws.String("api:1")})
	denied("another service", err, "ecs:UpdateService on resource: arn:aws:ecs:us-east-1:123456789012:service/prod/other")
}

// TestTagOnCreate: RegisterTaskDefinition with tags also needs
// ecs:TagResource on the new revision (ECS's tag-on-create authorization),
// and DescribeTaskDefinition gives the tags only with include TAGS; the
// AWS CLI reads both answers the same way.
func TestTagOnCreate(t *testing.T) {
	t.Parallel()
	sb, client := nativeSandbox(t, "api", blueGreen())
	ctx := context.Background()
	const family = "arn:aws:ecs:us-east-1:123456789012:task-definition/api:"
	register := &ecs.RegisterTaskDefinitionInput{
		Family:               aws.String("api"),
		ContainerDefinitions: []ecstypes.ContainerDefinition{{Name: aws.String("app"), Image: aws.String("api:3")}},
		Tags:                 []ecstypes.Tag{{Key: aws.String("bluegreen-deploy:run"), Value: aws.String("7/1")}},
	}
	policy := func(actions string) {
		p, err := awssim.ParsePolicy([]byte(`{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": [` + actions + `], "Resource": "*"}]}`))
		if err != nil {
			t.Fatal(err)
		}
		sb.SetPolicy(p)
	}

	policy(`"ecs:RegisterTaskDefinition", "ecs:DescribeTaskDefinition"`)
	_, err := client.RegisterTaskDefinition(ctx, register)
	if code, msg := awssimtest.ErrorCode(t, err); code != "AccessDeniedException" || !strings.Contains(msg, "ecs:TagResource on resource: "+family+"3 ") {
		t.Errorf("tags without ecs:TagResource: %s %q, want AccessDeniedException for ecs:TagResource on %s3", code, msg, family)
	}
	untagged := *register
	untagged.Tags = nil
	must(t)(client.RegisterTaskDefinition(ctx, &untagged)) // revision 3: no tags, no ecs:TagResource

	policy(`"ecs:RegisterTaskDefinition", "ecs:DescribeTaskDefinition", "ecs:TagResource"`)
	out, err := client.RegisterTaskDefinition(ctx, register)
	if err != nil {
		t.Fatalf("tags with ecs:TagResource: %v", err)
	}
	if arn := aws.ToString(out.TaskDefinition.TaskDefinitionArn); arn != family+"4" || len(out.Tags) != 1 {
		t.Errorf("registered %s with tags %v, want %s4 with its tag", arn, out.Tags, family)
	}
	calls := sb.Calls()
	if got := calls[len(calls)-1].IAMActions; !slices.Equal(got, []string{"ecs:RegisterTaskDefinition", "ecs:TagResource"}) {
		t.Errorf("iamActions = %v, want RegisterTaskDefinition and TagResource", got)
	}

	for _, tt := range []struct {
		taskDef string
		include []ecstypes.TaskDefinitionField
		want    string // the tags, key=value; "-": none in the answer
	}{
		{"api:4", nil, "-"},
		{"api:4", []ecstypes.TaskDefinitionField{ecstypes.TaskDefinitionFieldTags}, "bluegreen-deploy:run=7/1"},
		{"api:3", []ecstypes.TaskDefinitionField{ecstypes.TaskDefinitionFieldTags}, ""},
	} {
		out, err := client.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(tt.taskDef), Include: tt.include})
		if err != nil {
			t.Fatal(err)
		}
		got := "-"
		if out.Tags != nil {
			var kv []string
			for _, tag := range out.Tags {
				kv = append(kv, aws.ToString(tag.Key)+"="+aws.ToString(tag.Value))
			}
			got = strings.Join(kv, ",")
		}
		if got != tt.want {
			t.Errorf("DescribeTaskDefinition %s include %v: tags %q, want %q", tt.taskDef, tt.include, got, tt.want)
		}
	}

	cli, err := sb.CLI(t, "ecs", "register-task-definition", "--family", "api", "--output", "json",
		"--container-definitions", `[{"name": "app", "image": "api:5"}]`, "--tags", "key=bluegreen-deploy:run,value=8/2", "--query", "tags")
	if err != nil || !strings.Contains(cli, `"value": "8/2"`) {
		t.Errorf("aws ecs register-task-definition --tags: %v\n%s", err, cli)
	}
	for include, want := range map[string]string{"": "null", "TAGS": `"value": "8/2"`} {
		args := []string{"ecs", "describe-task-definition", "--task-definition", "api:5", "--output", "json", "--query", "tags"}
		if include != "" {
			args = append(args, "--include", include)
		}
		if cli, err := sb.CLI(t, args...); err != nil || !strings.Contains(cli, want) {
			t.Errorf("aws %s: %v, want %s\n%s", strings.Join(args, " "), err, want, cli)
		}
	}
}
