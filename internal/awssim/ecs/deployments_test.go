package ecs_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim/awssimtest"
)

// nativeSandbox starts a stopped-clock sandbox with cluster prod, task
// definition api (revisions 1 and 2) and service name with cfg behind a load
// balancer with an advancedConfiguration.
func nativeSandbox(t *testing.T, name string, cfg *ecstypes.DeploymentConfiguration) (*awssimtest.Sandbox, *ecs.Client) {
	t.Helper()
	sb := awssimtest.Start(t, awssim.Options{})
	sb.Clock.SetScale(0)
	client := ecs.NewFromConfig(sb.Config())
	ctx := context.Background()
	must(t)(client.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String("prod")}))
	for range 2 {
		must(t)(client.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{Family: aws.String("api"),
			ContainerDefinitions: []ecstypes.ContainerDefinition{{Name: aws.String("app"), Image: aws.String("api:1"),
				PortMappings: []ecstypes.PortMapping{{ContainerPort: aws.Int32(8080)}}}}}))
	}
	must(t)(client.CreateService(ctx, &ecs.CreateServiceInput{Cluster: aws.String("prod"), ServiceName: aws.String(name),
		TaskDefinition: aws.String("api:1"), DesiredCount: aws.Int32(4),
		DeploymentController:    &ecstypes.DeploymentController{Type: ecstypes.DeploymentControllerTypeEcs},
		DeploymentConfiguration: cfg, LoadBalancers: []ecstypes.LoadBalancer{loadBalancer()}}))
	return sb, client
}

func loadBalancer() ecstypes.LoadBalancer {
	return ecstypes.LoadBalancer{TargetGroupArn: aws.String("arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/api-blue/1"),
		ContainerName: aws.String("app"), ContainerPort: aws.Int32(8080),
		AdvancedConfiguration: &ecstypes.AdvancedConfiguration{
			AlternateTargetGroupArn: aws.String("arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/api-green/2"),
			ProductionListenerRule:  aws.String("arn:aws:elasticloadbalancing:us-east-1:123456789012:listener-rule/app/api/1/80/1"),
			TestListenerRule:        aws.String("arn:aws:elasticloadbalancing:us-east-1:123456789012:listener-rule/app/api/1/8080/2"),
			RoleArn:                 aws.String("arn:aws:iam::123456789012:role/ecs-infrastructure")}}
}

func must(t *testing.T) func(any, error) {
	return func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
}

// deploy updates the service to api:2 and returns the deployment's ARN.
func deploy(t *testing.T, client *ecs.Client, name string) string {
	t.Helper()
	out, err := client.UpdateService(context.Background(), &ecs.UpdateServiceInput{Cluster: aws.String("prod"), Service: aws.String(name), TaskDefinition: aws.String("api:2")})
	if err != nil {
		t.Fatal(err)
	}
	return *out.Service.CurrentServiceDeployment
}

func describe(t *testing.T, client *ecs.Client, arn string) ecstypes.ServiceDeployment {
	t.Helper()
	out, err := client.DescribeServiceDeployments(context.Background(), &ecs.DescribeServiceDeploymentsInput{ServiceDeploymentArns: []string{arn}})
	if err != nil || len(out.ServiceDeployments) != 1 {
		t.Fatalf("DescribeServiceDeployments: %v %+v", err, out)
	}
	return out.ServiceDeployments[0]
}

// step is what a deployment shows at a simulated time after it starts.
type step struct {
	at     time.Duration
	status ecstypes.ServiceDeploymentStatus
	stage  ecstypes.ServiceDeploymentLifecycleStage
	prod   float64
}

// follow advances the clock to each step's time and checks the deployment.
func follow(t *testing.T, sb *awssimtest.Sandbox, client *ecs.Client, arn string, steps []step) ecstypes.ServiceDeployment {
	t.Helper()
	var d ecstypes.ServiceDeployment
	var now time.Duration
	for _, s := range steps {
		sb.Clock.Advance(s.at - now)
		now = s.at
		d = describe(t, client, arn)
		if d.Status != s.status || d.LifecycleStage != s.stage || aws.ToFloat64(d.TargetServiceRevision.RequestedProductionTrafficWeight) != s.prod {
			t.Fatalf("at %v: %s %s prod %v, want %s %s prod %v", s.at, d.Status, d.LifecycleStage,
				aws.ToFloat64(d.TargetServiceRevision.RequestedProductionTrafficWeight), s.status, s.stage, s.prod)
		}
	}
	return d
}

func TestBlueGreen(t *testing.T) {
	t.Parallel()
	sb, client := nativeSandbox(t, "api", &ecstypes.DeploymentConfiguration{Strategy: ecstypes.DeploymentStrategyBlueGreen, BakeTimeInMinutes: aws.Int32(10)})
	arn := deploy(t, client, "api")
	svc, err := client.DescribeServices(context.Background(), &ecs.DescribeServicesInput{Cluster: aws.String("prod"), Services: []string{"api"}})
	if err != nil {
		t.Fatal(err)
	}
	if deps := svc.Services[0].Deployments; len(deps) != 2 || *deps[0].Status != "PRIMARY" || *deps[1].Status != "ACTIVE" || deps[0].RolloutState != ecstypes.DeploymentRolloutStateInProgress {
		t.Errorf("deployments during the rollout: %+v", deps)
	}
	d := follow(t, sb, client, arn, []step{
		{0, "PENDING", "", 0},
		{5 * time.Second, "IN_PROGRESS", "SCALE_UP", 0},
		{65 * time.Second, "IN_PROGRESS", "TEST_TRAFFIC_SHIFT", 0},
		{75 * time.Second, "IN_PROGRESS", "PRODUCTION_TRAFFIC_SHIFT", 0},
		{85 * time.Second, "IN_PROGRESS", "BAKE_TIME", 100},
		{685 * time.Second, "IN_PROGRESS", "CLEAN_UP", 100},
		{715 * time.Second, "SUCCESSFUL", "", 100},
	})
	if *d.TargetServiceRevision.RequestedTestTrafficWeight != 100 || *d.SourceServiceRevisions[0].RequestedProductionTrafficWeight != 0 || d.FinishedAt == nil {
		t.Errorf("finished deployment: %+v", d)
	}
	svc, _ = client.DescribeServices(context.Background(), &ecs.DescribeServicesInput{Cluster: aws.String("prod"), Services: []string{"api"}})
	if deps := svc.Services[0].Deployments; len(deps) != 1 || deps[0].RolloutState != ecstypes.DeploymentRolloutStateCompleted || *deps[0].TaskDefinition != "arn:aws:ecs:us-east-1:123456789012:task-definition/api:2" {
		t.Errorf("deployments after: %+v", deps)
	}
	if _, err := client.StopServiceDeployment(context.Background(), &ecs.StopServiceDeploymentInput{ServiceDeploymentArn: aws.String(arn)}); err == nil {
		t.Error("a finished deployment was stopped")
	} else if code, _ := awssimtest.ErrorCode(t, err); code != "ConflictException" {
		t.Errorf("stopping a finished deployment: %v", err)
	}
}

func TestLinear(t *testing.T) {
	t.Parallel()
	sb, client := nativeSandbox(t, "api", &ecstypes.DeploymentConfiguration{Strategy: ecstypes.DeploymentStrategyLinear, BakeTimeInMinutes: aws.Int32(0),
		LinearConfiguration: &ecstypes.LinearConfiguration{StepPercent: aws.Float64(25), StepBakeTimeInMinutes: aws.Int32(2)}})
	arn := deploy(t, client, "api")
	const shift = 75 * time.Second // production traffic shift starts
	follow(t, sb, client, arn, []step{
		{shift + 10*time.Second, "IN_PROGRESS", "PRODUCTION_TRAFFIC_SHIFT", 25},
		{shift + 130*time.Second, "IN_PROGRESS", "PRODUCTION_TRAFFIC_SHIFT", 50},
		{shift + 250*time.Second, "IN_PROGRESS", "PRODUCTION_TRAFFIC_SHIFT", 75},
		{shift + 370*time.Second, "IN_PROGRESS", "CLEAN_UP", 100},
		{shift + 400*time.Second, "SUCCESSFUL", "", 100},
	})
}

func TestCanary(t *testing.T) {
	t.Parallel()
	sb, client := nativeSandbox(t, "api", &ecstypes.DeploymentConfiguration{Strategy: ecstypes.DeploymentStrategyCanary, BakeTimeInMinutes: aws.Int32(1)})
	arn := deploy(t, client, "api")
	follow(t, sb, client, arn, []step{
		{85 * time.Second, "IN_PROGRESS", "PRODUCTION_TRAFFIC_SHIFT", 5},
		{85*time.Second + 10*time.Minute, "IN_PROGRESS", "BAKE_TIME", 100},
		{85*time.Second + 11*time.Minute, "IN_PROGRESS", "CLEAN_UP", 100},
	})
}

func TestRolling(t *testing.T) {
	t.Parallel()
	sb, client := nativeSandbox(t, "api", &ecstypes.DeploymentConfiguration{Strategy: ecstypes.DeploymentStrategyRolling, BakeTimeInMinutes: aws.Int32(2)})
	arn := deploy(t, client, "api")
	follow(t, sb, client, arn, []step{
		{5 * time.Second, "IN_PROGRESS", "SCALE_UP", 0},
		{65 * time.Second, "IN_PROGRESS", "BAKE_TIME", 0},
		{185 * time.Second, "IN_PROGRESS", "CLEAN_UP", 0},
		{215 * time.Second, "SUCCESSFUL", "", 0},
	})
}

// TestSupersede: a second update while one deployment runs stops it and
// starts with RECONCILE_SERVICE, from both revisions.
func TestSupersede(t *testing.T) {
	t.Parallel()
	sb, client := nativeSandbox(t, "api", &ecstypes.DeploymentConfiguration{Strategy: ecstypes.DeploymentStrategyCanary, BakeTimeInMinutes: aws.Int32(1)})
	first := deploy(t, client, "api")
	sb.Clock.Advance(2 * time.Minute) // canary: 5 % on api:2
	out, err := client.UpdateService(context.Background(), &ecs.UpdateServiceInput{Cluster: aws.String("prod"), Service: aws.String("api"), TaskDefinition: aws.String("api:1"), ForceNewDeployment: true})
	if err != nil {
		t.Fatal(err)
	}
	second := *out.Service.CurrentServiceDeployment
	if d := describe(t, client, first); d.Status != "STOPPED" {
		t.Errorf("superseded: %s", d.Status)
	}
	d := follow(t, sb, client, second, []step{{5 * time.Second, "IN_PROGRESS", "RECONCILE_SERVICE", 0}, {15 * time.Second, "IN_PROGRESS", "SCALE_UP", 0}})
	if len(d.SourceServiceRevisions) != 2 || *d.SourceServiceRevisions[0].RequestedProductionTrafficWeight != 95 || *d.SourceServiceRevisions[1].RequestedProductionTrafficWeight != 5 {
		t.Errorf("sources: %+v", d.SourceServiceRevisions)
	}
	sb.Clock.Advance(time.Hour)
	svc := must2(client.DescribeServices(context.Background(), &ecs.DescribeServicesInput{Cluster: aws.String("prod"), Services: []string{"api"}})).Services[0]
	if d := describe(t, client, second); d.Status != "SUCCESSFUL" || *svc.TaskDefinition != "arn:aws:ecs:us-east-1:123456789012:task-definition/api:1" {
		t.Errorf("second: %s on %s", d.Status, *svc.TaskDefinition)
	}
}

// TestMigrateFromCodeDeploy: UpdateService moves a CODE_DEPLOY service to
// the ECS controller with a BLUE_GREEN strategy, and then deploys it.
func TestMigrateFromCodeDeploy(t *testing.T) {
	t.Parallel()
	sb, client := nativeSandbox(t, "api", nil)
	ctx := context.Background()
	blue := loadBalancer()
	blue.AdvancedConfiguration = nil
	must(t)(client.CreateService(ctx, &ecs.CreateServiceInput{Cluster: aws.String("prod"), ServiceName: aws.String("cd"), TaskDefinition: aws.String("api:1"),
		DesiredCount: aws.Int32(2), DeploymentController: &ecstypes.DeploymentController{Type: ecstypes.DeploymentControllerTypeCodeDeploy},
		LoadBalancers: []ecstypes.LoadBalancer{blue}}))
	_, err := client.UpdateService(ctx, &ecs.UpdateServiceInput{Cluster: aws.String("prod"), Service: aws.String("cd"), TaskDefinition: aws.String("api:2")})
	if code, msg := awssimtest.ErrorCode(t, err); code != "InvalidParameterException" || !strings.Contains(msg, "CODE_DEPLOY") {
		t.Errorf("a task definition update of a CODE_DEPLOY service: %v", err)
	}
	out, err := client.UpdateService(ctx, &ecs.UpdateServiceInput{Cluster: aws.String("prod"), Service: aws.String("cd"),
		DeploymentController:    &ecstypes.DeploymentController{Type: ecstypes.DeploymentControllerTypeEcs},
		DeploymentConfiguration: &ecstypes.DeploymentConfiguration{Strategy: ecstypes.DeploymentStrategyBlueGreen, BakeTimeInMinutes: aws.Int32(1)},
		LoadBalancers:           []ecstypes.LoadBalancer{loadBalancer()}})
	if err != nil {
		t.Fatal(err)
	}
	if s := out.Service; s.DeploymentController.Type != "ECS" || len(s.TaskSets) != 0 || len(s.Deployments) != 1 || s.CurrentServiceDeployment != nil {
		t.Errorf("migrated service: %+v", s)
	}
	arn := deploy(t, client, "cd")
	sb.Clock.Advance(time.Hour)
	if d := describe(t, client, arn); d.Status != "SUCCESSFUL" {
		t.Errorf("first ECS deployment: %s", d.Status)
	}
}
