package ecs_test

import (
	"context"
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
