package deploy_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/deploy"
)

func TestDiscover(t *testing.T) {
	t.Parallel()
	f := newFixture(t, 600)
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
		{group: "inplace", wantErr: "in-place deployments: only blue/green groups are not supported"},
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
