package pipeline

import (
	"context"
	"maps"
	"sort"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy/types"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim/awssimtest"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/config"
)

// runActionCtx is runActionEnv on ctx, so that a test can cancel the run.
func runActionCtx(ctx context.Context, t *testing.T, sb *awssimtest.Sandbox, inputs, extraEnv map[string]string) (int, map[string]string, string) {
	t.Helper()
	env := sb.Env()
	env["GITHUB_WORKSPACE"] = workspace(t)
	env["GITHUB_REPOSITORY"] = "octo/app"
	env["GITHUB_SHA"] = "0123456789abcdef0123456789abcdef01234567"
	for k, v := range inputs {
		env[config.InputKey(k)] = v
	}
	maps.Copy(env, extraEnv)
	var out syncBuffer
	code := Run(ctx, Env{Getenv: func(k string) string { return env[k] }, Stdout: &out, Clock: sb.Clock})
	return code, parseOutputs(out.String()), out.String()
}

// sandboxDeployment is a deployment as the sandbox holds it at the end of a test.
type sandboxDeployment struct {
	ID, Group, Description string
	Status                 types.DeploymentStatus
	Creator                types.DeploymentCreator
	Complete               time.Time
}

// settledDeployments clears the sandbox's faults, lets 15 simulated seconds
// pass (a requested stop lands after 5) and lists every deployment of
// app's groups.
func settledDeployments(t *testing.T, sb *awssimtest.Sandbox, app string, groups ...string) []sandboxDeployment {
	t.Helper()
	sb.ClearFaults()
	ctx := context.Background()
	sb.Clock.Sleep(ctx, 15*time.Second)
	api := codedeploy.NewFromConfig(sb.Config())
	var all []sandboxDeployment
	for _, g := range groups {
		list, err := api.ListDeployments(ctx, &codedeploy.ListDeploymentsInput{ApplicationName: aws.String(app), DeploymentGroupName: aws.String(g)})
		if err != nil {
			t.Fatal(err)
		}
		for _, id := range list.Deployments {
			info := deploymentInfo(t, sb, id).DeploymentInfo
			all = append(all, sandboxDeployment{
				ID: id, Group: g, Description: aws.ToString(info.Description), Status: info.Status,
				Creator: info.Creator, Complete: aws.ToTime(info.CompleteTime),
			})
		}
	}
	sort.Slice(all, func(i, j int) bool { return all[i].ID < all[j].ID })
	return all
}

// leftRunning lists the deployments (not CodeDeploy's rollbacks) that are
// not in a terminal status.
func leftRunning(all []sandboxDeployment) []sandboxDeployment {
	var running []sandboxDeployment
	for _, d := range all {
		switch d.Status {
		case types.DeploymentStatusSucceeded, types.DeploymentStatusFailed, types.DeploymentStatusStopped:
			continue
		}
		if d.Creator != types.DeploymentCreatorCodeDeployRollback {
			running = append(running, d)
		}
	}
	return running
}
