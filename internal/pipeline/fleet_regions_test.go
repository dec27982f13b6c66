package pipeline

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim/awssimtest"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/exitcode"
)

// TestFleetTwoRegions builds once and deploys three targets in two waves
// across two sandbox regions: the image is copied to the second region, or
// with ECR replication from the first, waited for there; a replication
// configuration it may not read, and a registry answer lost in the copy,
// end in a copy.
func TestFleetTwoRegions(t *testing.T) {
	t.Parallel()
	requireDocker(t)
	for _, tc := range []struct {
		name       string
		replicate  bool
		home, away awssim.Scenario // faults
		pushes     int             // manifest PUTs to eu-west-1's registry
		copied     bool            // else replicated
	}{
		{name: "push", pushes: 1, copied: true},
		{name: "replica", replicate: true},
		{name: "replication unreadable", replicate: true, pushes: 1, copied: true,
			home: awssim.Scenario{Faults: []awssim.Fault{{Service: "ecr", Operation: "DescribeRegistry", Status: 400, Error: "AccessDeniedException", Message: "not authorized to perform: ecr:DescribeRegistry"}}}},
		{name: "copy retried", pushes: 2, copied: true,
			away: awssim.Scenario{Faults: []awssim.Fault{{Service: "registry", Operation: "PutManifest", Status: 503, Error: "UNAVAILABLE", Message: "service unavailable", Count: 1}}}},
	} {
		replicate, name := tc.replicate, strings.ReplaceAll(tc.name, " ", "-")
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, regions := awssimtest.StartRegions(t, "us-east-1", "eu-west-1")
			home, away := regions["us-east-1"], regions["eu-west-1"]
			applyScenario(t, home, "server.yaml", moreGroups("bg2"), tc.home)
			applyScenario(t, away, "server.yaml", moreGroups("bg2"), tc.away)
			ctx := context.Background()
			if _, err := ecr.NewFromConfig(away.Config()).CreateRepository(ctx, &ecr.CreateRepositoryInput{RepositoryName: aws.String("web")}); err != nil {
				t.Fatal(err)
			}
			if replicate {
				_, err := ecr.NewFromConfig(home.Config()).PutReplicationConfiguration(ctx, &ecr.PutReplicationConfigurationInput{
					ReplicationConfiguration: &ecrtypes.ReplicationConfiguration{Rules: []ecrtypes.ReplicationRule{{
						Destinations: []ecrtypes.ReplicationDestination{{Region: aws.String("eu-west-1"), RegistryId: aws.String(awssim.Account)}},
					}}},
				})
				if err != nil {
					t.Fatal(err)
				}
			}
			inputs := fleetInputs("", `
- {wave: 1, aws-region: us-east-1, codedeploy-application: web, codedeploy-deployment-group: bg}
- {wave: 2, aws-region: eu-west-1, codedeploy-application: web, codedeploy-deployment-group: bg}
- {wave: 2, aws-region: eu-west-1, codedeploy-application: web, codedeploy-deployment-group: bg2}
`)
			delete(inputs, "image")
			inputs["ecr-repository"] = "web"
			inputs["create-repository"] = "true"
			inputs["context"] = "testdata/app"
			inputs["image-tags"] = "fleet-" + name
			code, out, log := runAction(t, home, inputs)
			if code != exitcode.OK || out["deployment-status"] != "Succeeded" {
				t.Fatalf("exit %d, status %q; want 0, Succeeded; log:\n%s", code, out["deployment-status"], log)
			}
			if n := strings.Count(log, "::group::Building "); n != 1 {
				t.Errorf("%d builds, want 1", n)
			}
			digest := out["image-digest"]
			pushes := map[string]int{}
			for region, sb := range regions {
				pushes[region] = countCalls(sb, "registry", "PutManifest")
				for _, group := range []string{"bg", "bg2"} {
					if region == "us-east-1" && group == "bg2" {
						continue
					}
					list, err := codedeploy.NewFromConfig(sb.Config()).ListDeployments(ctx, &codedeploy.ListDeploymentsInput{ApplicationName: aws.String("web"), DeploymentGroupName: aws.String(group)})
					if err != nil || len(list.Deployments) != 1 {
						t.Fatalf("%s %s: deployments %v (%v), want 1", region, group, list, err)
					}
				}
				img, err := ecr.NewFromConfig(sb.Config()).DescribeImages(ctx, &ecr.DescribeImagesInput{RepositoryName: aws.String("web"), ImageIds: []ecrtypes.ImageIdentifier{{ImageDigest: aws.String(digest)}}})
				if err != nil || len(img.ImageDetails) != 1 {
					t.Errorf("%s: image %s: %v %v", region, digest, img, err)
				}
			}
			t.Logf("manifest pushes by region: %v", pushes)
			if pushes["us-east-1"] != 1 || pushes["eu-west-1"] != tc.pushes {
				t.Errorf("manifest pushes by region %v, want us-east-1 1 and eu-west-1 %d", pushes, tc.pushes)
			}
			switch {
			case !tc.copied && (!strings.Contains(log, "waiting for "+digest) || countCalls(away, "ecr", "ReplicateImage") == 0):
				t.Errorf("want a replica wait and ECR's ReplicateImage in eu-west-1; log:\n%s", log)
			case tc.copied && !strings.Contains(log, "Pushed "+away.Host+"/web@"+digest):
				t.Errorf("want a push to eu-west-1's registry; log:\n%s", log)
			case tc.name == "replication unreadable" && !strings.Contains(log, "ecr:DescribeRegistry"):
				t.Errorf("the log does not say why it pushed:\n%s", log)
			}
		})
	}
}
