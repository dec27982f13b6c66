package deploy_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy/types"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/deploy"
)

func TestDiscover(t *testing.T) {
	t.Parallel()
	f := newFixture(t, 600)
	_, err := f.cd.CreateDeploymentGroup(context.Background(), &codedeploy.CreateDeploymentGroupInput{
		ApplicationName:     aws.String("web"),
		DeploymentGroupName: aws.String("inplace-lb"),
		ServiceRoleArn:      aws.String("arn:aws:iam::123456789012:role/codedeploy"),
		AutoScalingGroups:   []string{"web-inplace-lb-asg"},
		DeploymentStyle: &types.DeploymentStyle{
			DeploymentType:   types.DeploymentTypeInPlace,
			DeploymentOption: types.DeploymentOptionWithTrafficControl,
		},
		LoadBalancerInfo: &types.LoadBalancerInfo{TargetGroupInfoList: []types.TargetGroupInfo{{Name: aws.String("web-tg")}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		group   string
		want    deploy.Group
		wantErr string
	}{
		{group: "bg", want: deploy.Group{
			Application: "web", Name: "bg", Platform: "Server", Config: "CodeDeployDefault.AllAtOnce",
			ReadyAction: "CONTINUE_DEPLOYMENT", GreenFleet: "COPY_AUTO_SCALING_GROUP",
			TerminateBlue: true, TerminationWait: 5 * time.Minute, AutoRollback: true,
		}},
		{group: "ready", want: deploy.Group{
			Application: "web", Name: "ready", Platform: "Server", Config: "CodeDeployDefault.AllAtOnce",
			ReadyAction: "STOP_DEPLOYMENT", ReadyWait: 120 * time.Minute, GreenFleet: "COPY_AUTO_SCALING_GROUP",
			TerminateBlue: true, TerminationWait: 5 * time.Minute, AutoRollback: true,
		}},
		{group: "inplace", want: deploy.Group{
			Application: "web", Name: "inplace", Platform: "Server", InPlace: true,
			Config: "CodeDeployDefault.OneAtATime", ReadyAction: "CONTINUE_DEPLOYMENT",
		}},
		{group: "inplace-lb", wantErr: "in-place deployments with traffic control: only blue/green groups and EC2 in-place groups without traffic control (one instance) are not supported"},
		{group: "nope", wantErr: "DeploymentGroupDoesNotExistException"},
	}
	for _, tt := range tests {
		t.Run(tt.group, func(t *testing.T) {
			t.Parallel()
			got, err := deploy.Discover(context.Background(), f.cd, "web", tt.group)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("got error %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprintf("%+v", got) != fmt.Sprintf("%+v", tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}
