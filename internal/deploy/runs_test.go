package deploy_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/deploy"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/deploy/server"
)

// lostAnswer is the sandbox's CodeDeploy whose CreateDeployment creates the
// deployment but answers with an error, as when the answer is lost.
type lostAnswer struct {
	*codedeploy.Client
	created string
}

func (l *lostAnswer) CreateDeployment(ctx context.Context, in *codedeploy.CreateDeploymentInput, opts ...func(*codedeploy.Options)) (*codedeploy.CreateDeploymentOutput, error) {
	out, err := l.Client.CreateDeployment(ctx, in, opts...)
	if err != nil {
		return nil, err
	}
	l.created = aws.ToString(out.DeploymentId)
	return nil, errors.New("read tcp: connection reset by peer")
}

// TestCreateFindsItsDeployment checks that a CreateDeployment whose answer
// was lost is found by the run's marker in the description and carried on
// with, once, instead of being created twice.
func TestCreateFindsItsDeployment(t *testing.T) {
	t.Parallel()
	f := newFixture(t, 600)
	api := &lostAnswer{Client: f.cd}
	drv := &deploy.Driver{API: api, Observer: f.obs, Clock: f.sb.Clock}
	rev, err := server.Revision(context.Background(), f.s3, server.Input{
		Bucket: "web-bundles", Prefix: "web", Region: "us-east-1", ImageURI: imageURI, ContainerPort: 8080,
	})
	if err != nil {
		t.Fatal(err)
	}
	run := deploy.Run{ID: 42, Attempt: 1}
	id, err := drv.Create(context.Background(), deploy.Spec{
		Application: "web", Group: "bg", Revision: rev, OnActive: deploy.ActiveFail,
		Description: deploy.RunDescription("test", "0123456789abcdef", run), Run: run,
	})
	if err != nil || id == "" || id != api.created {
		t.Fatalf("Create = %q, %v; want the deployment the lost call created, %q", id, err, api.created)
	}
	if n := f.calls("CreateDeployment"); n != 1 {
		t.Errorf("%d CreateDeployment calls, want 1", n)
	}
	if !strings.Contains(f.obs.String(), "yet this run's deployment "+id+" exists") {
		t.Errorf("the observer was not told:\n%s", f.obs.String())
	}
}
