package ecs_test

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	awsecs "github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim/awssimtest"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/deploy"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/deploy/deploytest"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/deploy/ecs"
)

const (
	ecsScenario = "../../../testdata/sandbox/ecs.yaml"
	apiImage    = "123456789012.dkr.ecr.us-east-1.amazonaws.com/api@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	dbARN       = "arn:aws:secretsmanager:us-east-1:123456789012:secret:api/db-AbCdEf"
	datadogRef  = "DATADOG_API_KEY=arn:aws:secretsmanager:us-east-1:123456789012:secret:datadog-Xy12Ab"
)

// apiSecrets are references as the secrets stage makes them: one key of a
// JSON secret, and a whole secret.
var apiSecrets = []deploy.SecretRef{
	{Name: "API_DB_PASSWORD", ValueFrom: dbARN + ":password::"},
	{Name: "API_TOKEN", ValueFrom: "arn:aws:secretsmanager:us-east-1:123456789012:secret:api/token-GhIjKl"},
}

// ecsFixture is a sandbox seeded with testdata/sandbox/ecs.yaml and SDK
// clients pointed at it.
type ecsFixture struct {
	sb  *awssimtest.Sandbox
	cd  *codedeploy.Client
	ecs *awsecs.Client
	obs *weights
	drv *deploy.Driver
}

func newECSFixture(t testing.TB, extra ...awssim.Scenario) *ecsFixture {
	t.Helper()
	sb := awssimtest.Start(t, awssim.Options{})
	sc, err := awssim.LoadScenario(ecsScenario)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range append([]awssim.Scenario{sc}, extra...) {
		if err := sb.Apply(s); err != nil {
			t.Fatal(err)
		}
	}
	f := &ecsFixture{sb: sb, cd: codedeploy.NewFromConfig(sb.Config()), ecs: awsecs.NewFromConfig(sb.Config()), obs: &weights{recorder: &recorder{}}}
	f.drv = &deploy.Driver{API: f.cd, Observer: f.obs, Clock: sb.Clock}
	return f
}

// revision discovers group and makes its ECS revision.
func (f *ecsFixture) revision(t testing.TB, group string, in ecs.Input) (deploy.Revision, error) {
	t.Helper()
	g, err := deploy.Discover(context.Background(), f.cd, "api", group)
	if err != nil {
		t.Fatal(err)
	}
	in.Group = g
	return ecs.Revision(context.Background(), f.ecs, in)
}

// deploy makes the revision, creates the deployment and watches it.
func (f *ecsFixture) deploy(t testing.TB, group string, in ecs.Input, opts deploy.WatchOptions) (deploy.Revision, *deploy.Outcome, error) {
	t.Helper()
	rev, err := f.revision(t, group, in)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	id, err := f.drv.Create(ctx, deploy.Spec{Application: "api", Group: group, Revision: rev, Description: "test"})
	if err != nil {
		t.Fatal(err)
	}
	opts.Timeout = watchLimit
	out, err := f.drv.Watch(ctx, id, opts)
	return rev, out, err
}

// taskDef describes a task definition.
func (f *ecsFixture) taskDef(t testing.TB, ref string) *ecstypes.TaskDefinition {
	t.Helper()
	out, err := f.ecs.DescribeTaskDefinition(context.Background(), &awsecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(ref)})
	if err != nil {
		t.Fatal(err)
	}
	return out.TaskDefinition
}

// primary returns the task definition of the service's primary task set.
func (f *ecsFixture) primary(t testing.TB, service string) string {
	t.Helper()
	out, err := f.ecs.DescribeServices(context.Background(), &awsecs.DescribeServicesInput{Cluster: aws.String("prod"), Services: []string{service}})
	if err != nil || len(out.Services) != 1 {
		t.Fatalf("describing service %s: %v %+v", service, err, out)
	}
	for _, ts := range out.Services[0].TaskSets {
		if aws.ToString(ts.Status) == "PRIMARY" {
			return aws.ToString(ts.TaskDefinition)
		}
	}
	t.Fatalf("service %s has no primary task set", service)
	return ""
}

func (f *ecsFixture) registered() int {
	n := 0
	for _, c := range f.sb.Calls() {
		if c.Operation == "RegisterTaskDefinition" {
			n++
		}
	}
	return n
}

// weights is an Observer that also keeps the green task set's traffic
// weights as the driver reports them.
type weights struct {
	*recorder
	mu    sync.Mutex
	green []float64
}

func (w *weights) Weights(id string, t deploy.Target) {
	w.recorder.Weights(id, t)
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, ts := range t.TaskSets {
		if ts.Label == "Green" {
			w.green = append(w.green, ts.Weight)
		}
	}
}

func (w *weights) greens() []float64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.green)
}

// containers maps a task definition's container names to image and secrets.
func containers(td *ecstypes.TaskDefinition) map[string]string {
	m := map[string]string{}
	for _, c := range td.ContainerDefinitions {
		var secrets []string
		for _, s := range c.Secrets {
			secrets = append(secrets, aws.ToString(s.Name)+"="+aws.ToString(s.ValueFrom))
		}
		m[aws.ToString(c.Name)] = aws.ToString(c.Image) + " " + strings.Join(secrets, ",")
	}
	return m
}

// recorder is the shared recording Observer.
type recorder = deploytest.Recorder

// watchLimit bounds a test's watch on the sandbox's simulated clock: about
// a minute of wall time at its usual 600x.
const watchLimit = 10 * time.Hour
