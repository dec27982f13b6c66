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

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim/awssimtest"
)

// TestTargets runs testdata/workflows/targets.yml with act against a sandbox
// of two regions: one build, three Server blue/green groups in two waves
// (us-east-1's bg, then eu-west-1's bg and bg2). The image is pushed once in
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
			for _, group := range []string{"bg", "bg2"} {
				d := deployment(t, ctx, away, group)
				name := "eu-west-1/" + group
				if got := ids[name]; got != aws.ToString(d.DeploymentId) {
					t.Errorf("deployment-id %s = %q, want eu-west-1's deployment %s", name, got, aws.ToString(d.DeploymentId))
				}
				if wave1.CompleteTime == nil || d.CreateTime.Before(*wave1.CompleteTime) {
					t.Errorf("%s created at %s, before wave 1 (%s) completed at %v", name, d.CreateTime, aws.ToString(wave1.DeploymentId), wave1.CompleteTime)
				}
			}
		})
	}
}

// seedTargets seeds a region's sandbox with testdata/sandbox/server.yaml,
// ECR repository team/web and group bg2, a copy of bg on its own Auto
// Scaling group.
func seedTargets(t *testing.T, sb *awssimtest.Sandbox) {
	t.Helper()
	root, err := RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	sc, err := awssim.LoadScenario(filepath.Join(root, "testdata/sandbox/server.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	sc.Seed = append(sc.Seed, awssim.SeedCall{Service: "ecr", Operation: "CreateRepository", Input: map[string]any{"repositoryName": "team/web"}})
	for _, c := range sc.Seed {
		if c.Operation == "CreateDeploymentGroup" && c.Input["deploymentGroupName"] == "bg" {
			bg2 := maps.Clone(c.Input)
			bg2["deploymentGroupName"], bg2["autoScalingGroups"] = "bg2", []any{"web-bg2-asg"}
			sc.Seed = append(sc.Seed, awssim.SeedCall{Service: c.Service, Operation: c.Operation, Input: bg2})
			break
		}
	}
	if err := sb.Apply(sc); err != nil {
		t.Fatalf("seeding %s: %v", sb.Region, err)
	}
	t.Cleanup(func() {
		if err := RemoveImages(context.Background(), sb.Host+"/"); err != nil {
			t.Error(err)
		}
	})
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
