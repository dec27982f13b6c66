package ecsnative_test

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awscfg"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim/awssimtest"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/config"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/platform"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/platform/ecsnative"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/report"
)

// TestUndo: the command Undo gives, run by the real AWS CLI after the
// service moved on to another revision, puts back the one it ran when the
// target was discovered.
func TestUndo(t *testing.T) {
	t.Parallel()
	sb := awssimtest.Start(t, awssim.Options{})
	sc, err := awssim.LoadScenario(scenarioFile)
	if err != nil {
		t.Fatal(err)
	}
	if err := sb.Apply(sc); err != nil {
		t.Fatal(err)
	}
	sb.CLI(t, "--version") // skips without the CLI, fails in CI
	env := sb.Env()
	getenv := func(k string) string { return env[k] }
	ctx := context.Background()
	clients, err := awscfg.Load(ctx, config.AWS{Region: sb.Region}, getenv)
	if err != nil {
		t.Fatal(err)
	}
	cfg := &config.Config{AWS: config.AWS{Region: sb.Region}, Deploy: config.Deploy{Own: map[string]string{"ecs-cluster": "prod", "ecs-service": "api-native"}}}
	target := ecsnative.New(platform.Env{Config: cfg, Clients: clients, Report: report.New(getenv, &strings.Builder{}), Result: &report.Result{}})
	if err := target.Discover(ctx); err != nil {
		t.Fatal(err)
	}
	undo := target.Undo()
	before := taskDefinition(t, clients.ECS)
	if !strings.HasPrefix(undo, "aws ecs update-service --region us-east-1 --cluster prod --service api-native --task-definition ") || !strings.HasSuffix(undo, " "+before) {
		t.Fatalf("Undo = %q, want update-service back to %s", undo, before)
	}

	td, err := clients.ECS.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{
		Family: aws.String("api"), NetworkMode: types.NetworkModeAwsvpc, RequiresCompatibilities: []types.Compatibility{types.CompatibilityFargate},
		Cpu: aws.String("256"), Memory: aws.String("512"),
		ContainerDefinitions: []types.ContainerDefinition{{Name: aws.String("app"), Image: aws.String(imageURI), Essential: aws.Bool(true)}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := clients.ECS.UpdateService(ctx, &ecs.UpdateServiceInput{Cluster: aws.String("prod"), Service: aws.String("api-native"), TaskDefinition: td.TaskDefinition.TaskDefinitionArn}); err != nil {
		t.Fatal(err)
	}
	sb.Clock.Sleep(ctx, 15*time.Minute) // the deployment to the new revision ends
	if now := taskDefinition(t, clients.ECS); now == before {
		t.Fatalf("the service still runs %s after its update", now)
	}

	cmd := exec.Command("bash", "-c", undo)
	cmd.Env = append(os.Environ(), "AWS_PAGER=", "AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null")
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", undo, err, out)
	}
	if now := taskDefinition(t, clients.ECS); now != before {
		t.Errorf("after the command the service runs %s, want %s", now, before)
	}
}

// taskDefinition is the task definition service api-native of cluster prod runs.
func taskDefinition(t *testing.T, api *ecs.Client) string {
	t.Helper()
	out, err := api.DescribeServices(context.Background(), &ecs.DescribeServicesInput{Cluster: aws.String("prod"), Services: []string{"api-native"}})
	if err != nil || len(out.Services) != 1 {
		t.Fatalf("DescribeServices: %v", err)
	}
	return aws.ToString(out.Services[0].TaskDefinition)
}
