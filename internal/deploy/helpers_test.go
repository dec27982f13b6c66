package deploy_test

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim/awssimtest"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/deploy"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/deploy/deploytest"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/deploy/server"
)

const (
	scenarioFile = "../../testdata/sandbox/server.yaml"
	imageURI     = "123456789012.dkr.ecr.us-east-1.amazonaws.com/web@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	secretARN    = "arn:aws:secretsmanager:us-east-1:123456789012:secret:web/db-AbCdEf"
)

// fixture is a sandbox seeded with testdata/sandbox/server.yaml and SDK
// clients pointed at it.
type fixture struct {
	sb  *awssimtest.Sandbox
	cd  *codedeploy.Client
	s3  *s3.Client
	obs *recorder
	drv *deploy.Driver
}

func newFixture(t testing.TB, scale float64, extra ...awssim.Scenario) *fixture {
	t.Helper()
	sb := awssimtest.Start(t, awssim.Options{TimeScale: scale})
	sc, err := awssim.LoadScenario(scenarioFile)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range append([]awssim.Scenario{sc}, extra...) {
		if err := sb.Apply(s); err != nil {
			t.Fatal(err)
		}
	}
	cfg := sb.Config()
	f := &fixture{
		sb:  sb,
		cd:  codedeploy.NewFromConfig(cfg),
		s3:  s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true }),
		obs: &recorder{},
	}
	f.drv = &deploy.Driver{API: f.cd, Observer: f.obs, Clock: sb.Clock}
	return f
}

// create uploads the default bundle and creates a deployment in group.
func (f *fixture) create(t testing.TB, group string, onActive deploy.OnActive) string {
	t.Helper()
	ctx := context.Background()
	rev, err := server.Revision(ctx, f.s3, server.Input{
		Bucket: "web-bundles", Prefix: "web", Region: "us-east-1", ImageURI: imageURI,
		ContainerPort: 8080, Secrets: []deploy.SecretRef{{Name: "DB_PASSWORD", ValueFrom: secretARN}},
	})
	if err != nil {
		t.Fatal(err)
	}
	id, err := f.drv.Create(ctx, deploy.Spec{Application: "web", Group: group, Revision: rev, OnActive: onActive, Description: "test"})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// calls counts the sandbox's recorded calls of a CodeDeploy operation.
func (f *fixture) calls(op string) int {
	n := 0
	for _, c := range f.sb.Calls() {
		if c.Operation == op {
			n++
		}
	}
	return n
}

// recorder is the shared recording Observer.
type recorder = deploytest.Recorder

// watchLimit bounds a test's watch on the sandbox's simulated clock: about
// a minute of wall time at its usual 600x.
const watchLimit = 10 * time.Hour
