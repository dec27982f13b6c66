package ecs_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim/awssimtest"
)

func TestECS(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	client := ecs.NewFromConfig(awssimtest.Start(t, awssim.Options{}).Config())
	ok := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}

	ok(client.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String("prod")}))
	in := &ecs.RegisterTaskDefinitionInput{
		Family:                  aws.String("web"),
		NetworkMode:             ecstypes.NetworkModeAwsvpc,
		RequiresCompatibilities: []ecstypes.Compatibility{ecstypes.CompatibilityFargate},
		Cpu:                     aws.String("256"),
		Memory:                  aws.String("512"),
		ExecutionRoleArn:        aws.String("arn:aws:iam::123456789012:role/exec"),
		ContainerDefinitions: []ecstypes.ContainerDefinition{{
			Name:         aws.String("app"),
			Image:        aws.String("123456789012.dkr.ecr.us-east-1.amazonaws.com/web@sha256:abc"),
			Essential:    aws.Bool(true),
			PortMappings: []ecstypes.PortMapping{{ContainerPort: aws.Int32(8080), Protocol: ecstypes.TransportProtocolTcp}},
			Environment:  []ecstypes.KeyValuePair{{Name: aws.String("MODE"), Value: aws.String("prod")}},
			Secrets:      []ecstypes.Secret{{Name: aws.String("DB_PASSWORD"), ValueFrom: aws.String("arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf")}},
		}},
	}
	ok(client.RegisterTaskDefinition(ctx, in))
	reg, err := client.RegisterTaskDefinition(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := *reg.TaskDefinition.TaskDefinitionArn, "arn:aws:ecs:us-east-1:123456789012:task-definition/web:2"; got != want || reg.TaskDefinition.Revision != 2 {
		t.Errorf("second registration: %s revision %d, want %s revision 2", got, reg.TaskDefinition.Revision, want)
	}

	for _, ref := range []string{"web", "web:2", *reg.TaskDefinition.TaskDefinitionArn} {
		out, err := client.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(ref)})
		if err != nil {
			t.Fatalf("DescribeTaskDefinition(%s): %v", ref, err)
		}
		td := out.TaskDefinition
		c := td.ContainerDefinitions[0]
		if td.Revision != 2 || td.Status != ecstypes.TaskDefinitionStatusActive || *td.Cpu != "256" || *td.ExecutionRoleArn != "arn:aws:iam::123456789012:role/exec" ||
			*c.Secrets[0].ValueFrom != *in.ContainerDefinitions[0].Secrets[0].ValueFrom || *c.Environment[0].Value != "prod" ||
			*c.PortMappings[0].ContainerPort != 8080 || !*c.Essential {
			t.Errorf("DescribeTaskDefinition(%s) = %+v, want revision 2 echoing the registration", ref, td)
		}
	}
	_, err = client.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String("web:9")})
	if code, _ := awssimtest.ErrorCode(t, err); code != "ClientException" {
		t.Errorf("DescribeTaskDefinition(web:9): got %s, want ClientException", code)
	}

	svcIn := &ecs.CreateServiceInput{
		Cluster: aws.String("prod"), ServiceName: aws.String("web"), TaskDefinition: aws.String("web:1"),
		DesiredCount: aws.Int32(3), LaunchType: ecstypes.LaunchTypeFargate, PlatformVersion: aws.String("LATEST"),
		DeploymentController: &ecstypes.DeploymentController{Type: ecstypes.DeploymentControllerTypeCodeDeploy},
		LoadBalancers: []ecstypes.LoadBalancer{{
			TargetGroupArn: aws.String("arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/blue/1"),
			ContainerName:  aws.String("app"), ContainerPort: aws.Int32(8080),
		}},
		NetworkConfiguration: &ecstypes.NetworkConfiguration{AwsvpcConfiguration: &ecstypes.AwsVpcConfiguration{Subnets: []string{"subnet-1"}}},
	}
	noNetwork := *svcIn
	noNetwork.NetworkConfiguration = nil
	_, err = client.CreateService(ctx, &noNetwork)
	if code, msg := awssimtest.ErrorCode(t, err); code != "InvalidParameterException" || msg != "Network Configuration must be provided when networkMode 'awsvpc' is specified." {
		t.Errorf("CreateService of an awsvpc task definition without networkConfiguration: got %s %q, want InvalidParameterException", code, msg)
	}
	ok(client.CreateService(ctx, svcIn))
	_, err = client.CreateService(ctx, svcIn)
	if code, _ := awssimtest.ErrorCode(t, err); code != "InvalidParameterException" {
		t.Errorf("CreateService twice: got %s, want InvalidParameterException", code)
	}

	out, err := client.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String("prod"), Services: []string{"web", "nope"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Services) != 1 || len(out.Failures) != 1 || *out.Failures[0].Reason != "MISSING" {
		t.Fatalf("DescribeServices = %d services, failures %+v, want 1 and one MISSING", len(out.Services), out.Failures)
	}
	svc := out.Services[0]
	if *svc.TaskDefinition != "arn:aws:ecs:us-east-1:123456789012:task-definition/web:1" || svc.DeploymentController.Type != ecstypes.DeploymentControllerTypeCodeDeploy ||
		*svc.LoadBalancers[0].ContainerName != "app" || svc.NetworkConfiguration.AwsvpcConfiguration.Subnets[0] != "subnet-1" || svc.LaunchType != ecstypes.LaunchTypeFargate {
		t.Errorf("service = %+v, want it to echo CreateService", svc)
	}
	if len(svc.TaskSets) != 1 {
		t.Fatalf("service has %d task sets, want 1", len(svc.TaskSets))
	}
	ts := svc.TaskSets[0]
	if *ts.Status != "PRIMARY" || ts.Scale.Value != 100 || ts.Scale.Unit != ecstypes.ScaleUnitPercent || ts.ComputedDesiredCount != 3 || ts.RunningCount != 3 {
		t.Errorf("task set = %+v, want PRIMARY at scale 100 PERCENT with 3 tasks running", ts)
	}
	sets, err := client.DescribeTaskSets(ctx, &ecs.DescribeTaskSetsInput{Cluster: aws.String("prod"), Service: aws.String("web"), TaskSets: []string{*ts.TaskSetArn}})
	if err != nil {
		t.Fatal(err)
	}
	if len(sets.TaskSets) != 1 || *sets.TaskSets[0].Id != *ts.Id {
		t.Errorf("DescribeTaskSets = %+v, want the primary task set", sets.TaskSets)
	}

	_, err = client.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String("nope"), Services: []string{"web"}})
	if code, _ := awssimtest.ErrorCode(t, err); code != "ClusterNotFoundException" {
		t.Errorf("DescribeServices in a missing cluster: got %s, want ClusterNotFoundException", code)
	}
}
