package e2e

import (
	"context"
	"encoding/json"
	"maps"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	cdtypes "github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim/awssimtest"
)

// TestTargets runs testdata/workflows/targets.yml with act against a sandbox
// of two regions: one build, then two waves: us-east-1's Server blue/green
// group bg, then eu-west-1's group bg and ECS-native service api-native (the
// worker), each deploying the image in its own region. The image is pushed once in
// us-east-1 and copied to eu-west-1's registry, or, when us-east-1's
// registry replicates to eu-west-1, waited for there: no push to eu-west-1.
func TestTargets(t *testing.T) {
	actBin, root := needAct(t)
	for _, replicate := range []bool{false, true} {
		t.Run(map[bool]string{false: "push", true: "replica"}[replicate], func(t *testing.T) {
			t.Parallel()
			front, regions := awssimtest.StartRegions(t, "us-east-1", "eu-west-1")
			home, away := regions["us-east-1"], regions["eu-west-1"]
			for _, sb := range regions {
				seedTargets(t, sb)
			}
			if err := away.Apply(scenario(t, "testdata/sandbox/ecs-native.yaml")); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
			defer cancel()
			if replicate {
				_, err := ecr.NewFromConfig(home.Config()).PutReplicationConfiguration(ctx, &ecr.PutReplicationConfigurationInput{
					ReplicationConfiguration: &ecrtypes.ReplicationConfiguration{Rules: []ecrtypes.ReplicationRule{{
						Destinations: []ecrtypes.ReplicationDestination{{Region: aws.String(away.Region), RegistryId: aws.String(awssim.Account)}},
					}}},
				})
				if err != nil {
					t.Fatal(err)
				}
			}
			env := home.Env()
			env["AWS_ENDPOINT_URL"] = front // routes each request by the region it is signed for
			act := Act{Bin: actBin, Dir: root, Env: env}
			run, log := runAct(ctx, t, act, filepath.Join(root, "testdata/workflows/targets.yml"))
			out := run.Outputs["deploy"]
			if run.Job != "success" || run.Steps["deploy"] != "success" || run.Steps["check"] != "success" {
				t.Fatalf("job %s, steps %v; want success for the job, deploy and check", run.Job, run.Steps)
			}
			if out["deployment-status"] != "Succeeded" {
				t.Errorf("deployment-status %q, want Succeeded", out["deployment-status"])
			}
			if n := strings.Count(log, "::group::Building "); n != 1 {
				t.Errorf("act's log shows %d image builds, want 1", n)
			}

			pushes := map[string]int{}
			for region, sb := range regions {
				pushes[region] = countCalls(sb, "registry", "PutManifest")
			}
			want := map[string]int{"us-east-1": 1, "eu-west-1": map[bool]int{false: 1, true: 0}[replicate]}
			t.Logf("manifest pushes by region: %v", pushes)
			if !maps.Equal(pushes, want) {
				t.Errorf("manifest pushes by region %v, want %v", pushes, want)
			}
			digest := out["image-digest"]
			if replicate && !strings.Contains(log, "waiting for "+digest) {
				t.Errorf("the log says no wait for the replica of %q in eu-west-1", digest)
			}
			if replicate && countCalls(away, "ecr", "ReplicateImage") == 0 {
				t.Error("no ECR ReplicateImage in eu-west-1's sandbox")
			}
			for region, sb := range regions {
				img, err := ecr.NewFromConfig(sb.Config()).DescribeImages(ctx, &ecr.DescribeImagesInput{RepositoryName: aws.String("team/web"),
					ImageIds: []ecrtypes.ImageIdentifier{{ImageDigest: aws.String(digest)}}})
				if err != nil || len(img.ImageDetails) != 1 {
					t.Errorf("%s: image %q: %v (%v), want it in team/web", region, digest, img, err)
				}
			}

			var ids map[string]string
			if err := json.Unmarshal([]byte(out["deployment-id"]), &ids); err != nil {
				t.Fatalf("deployment-id %q: %v", out["deployment-id"], err)
			}
			t.Logf("deployment ids: %v", ids)
			if len(ids) != 3 {
				t.Errorf("deployment-id %v, want 3 targets", ids)
			}
			wave1 := deployment(t, ctx, home, "bg")
			if got := ids["us-east-1/bg"]; got != aws.ToString(wave1.DeploymentId) {
				t.Errorf("deployment-id us-east-1/bg = %q, want us-east-1's deployment %s", got, aws.ToString(wave1.DeploymentId))
			}
			bg := deployment(t, ctx, away, "bg")
			if got := ids["eu-west-1/bg"]; got != aws.ToString(bg.DeploymentId) {
				t.Errorf("deployment-id eu-west-1/bg = %q, want eu-west-1's deployment %s", got, aws.ToString(bg.DeploymentId))
			}
			worker := serviceDeployment(t, ctx, away, ids["eu-west-1/worker"])
			for name, created := range map[string]*time.Time{"eu-west-1/bg": bg.CreateTime, "eu-west-1/worker": worker.CreatedAt} {
				if wave1.CompleteTime == nil || created.Before(*wave1.CompleteTime) {
					t.Errorf("%s created at %s, before wave 1 (%s) completed at %v", name, created, aws.ToString(wave1.DeploymentId), wave1.CompleteTime)
				}
			}
			if got, want := containerImage(t, ctx, away, "api-native"), away.Host+"/team/web@"+digest; got != want {
				t.Errorf("the worker runs %q, want eu-west-1's image %s", got, want)
			}
		})
	}
}

// seedTargets seeds a region's sandbox with testdata/sandbox/server.yaml and
// ECR repository team/web.
func seedTargets(t *testing.T, sb *awssimtest.Sandbox) {
	t.Helper()
	sc := scenario(t, "testdata/sandbox/server.yaml")
	sc.Seed = append(sc.Seed, awssim.SeedCall{Service: "ecr", Operation: "CreateRepository", Input: map[string]any{"repositoryName": "team/web"}})
	if err := sb.Apply(sc); err != nil {
		t.Fatalf("seeding %s: %v", sb.Region, err)
	}
	t.Cleanup(func() {
		if err := RemoveImages(context.Background(), sb.Host+"/"); err != nil {
			t.Error(err)
		}
	})
}

// scenario loads a scenario file of the repository.
func scenario(tb testing.TB, file string) awssim.Scenario {
	tb.Helper()
	root, err := RepoRoot()
	if err != nil {
		tb.Fatal(err)
	}
	sc, err := awssim.LoadScenario(filepath.Join(root, file))
	if err != nil {
		tb.Fatal(err)
	}
	return sc
}

// serviceDeployment returns ECS's service deployment arn in sb's region,
// which must have succeeded.
func serviceDeployment(t *testing.T, ctx context.Context, sb *awssimtest.Sandbox, arn string) ecstypes.ServiceDeployment {
	t.Helper()
	out, err := ecs.NewFromConfig(sb.Config()).DescribeServiceDeployments(ctx, &ecs.DescribeServiceDeploymentsInput{ServiceDeploymentArns: []string{arn}})
	if err != nil || len(out.ServiceDeployments) != 1 {
		t.Fatalf("%s: service deployment %q: %v (%v), want one", sb.Region, arn, out, err)
	}
	sd := out.ServiceDeployments[0]
	if sd.Status != ecstypes.ServiceDeploymentStatusSuccessful {
		t.Errorf("%s: service deployment %s is %s, want SUCCESSFUL", sb.Region, arn, sd.Status)
	}
	return sd
}

// containerImage is the image of the first container of the task
// definition that service of cluster prod runs.
func containerImage(t *testing.T, ctx context.Context, sb *awssimtest.Sandbox, service string) string {
	t.Helper()
	api := ecs.NewFromConfig(sb.Config())
	svc, err := api.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String("prod"), Services: []string{service}})
	if err != nil || len(svc.Services) != 1 {
		t.Fatalf("%s: service %s: %v (%v)", sb.Region, service, svc, err)
	}
	td, err := api.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: svc.Services[0].TaskDefinition})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(td.TaskDefinition.ContainerDefinitions[0].Image)
}

// countCalls counts the calls the sandbox logged of service's operation.
func countCalls(sb *awssimtest.Sandbox, service, operation string) int {
	n := 0
	for _, c := range sb.Calls() {
		if c.Service == service && c.Operation == operation {
			n++
		}
	}
	return n
}

// deployment returns the one deployment of application web's group in
// sb's region, which must have succeeded.
func deployment(t *testing.T, ctx context.Context, sb *awssimtest.Sandbox, group string) *cdtypes.DeploymentInfo {
	t.Helper()
	cd := codedeploy.NewFromConfig(sb.Config())
	list, err := cd.ListDeployments(ctx, &codedeploy.ListDeploymentsInput{ApplicationName: aws.String("web"), DeploymentGroupName: aws.String(group)})
	if err != nil || len(list.Deployments) != 1 {
		t.Fatalf("%s: deployments of web/%s: %v (%v), want 1", sb.Region, group, list, err)
	}
	out, err := cd.GetDeployment(ctx, &codedeploy.GetDeploymentInput{DeploymentId: aws.String(list.Deployments[0])})
	if err != nil {
		t.Fatal(err)
	}
	d := out.DeploymentInfo
	if d.Status != cdtypes.DeploymentStatusSucceeded {
		t.Errorf("%s: deployment %s of web/%s is %s, want Succeeded", sb.Region, list.Deployments[0], group, d.Status)
	}
	return d
}
