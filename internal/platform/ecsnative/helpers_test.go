package ecsnative_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim/awssimtest"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/deploy"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/platform/ecsnative"
)

const (
	scenarioFile = "../../../testdata/sandbox/ecs-native.yaml"
	imageURI     = "123456789012.dkr.ecr.us-east-1.amazonaws.com/api@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	secretARN    = "arn:aws:secretsmanager:us-east-1:123456789012:secret:api/db-AbCdEf"
)

// fixture is a sandbox seeded with testdata/sandbox/ecs-native.yaml on a
// stopped clock that the driver's sleeps move (steppedClock), a real SDK
// client pointed at it that keeps its requests, and a driver that records
// what it prints.
type fixture struct {
	sb     *awssimtest.Sandbox
	client *ecs.Client
	sent   *requestLog
	log    *lines
	drv    *ecsnative.Driver
}

func newFixture(t testing.TB, extra ...awssim.Scenario) *fixture {
	t.Helper()
	sb := awssimtest.Start(t, awssim.Options{})
	sb.Clock.SetScale(0)
	sc, err := awssim.LoadScenario(scenarioFile)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range append([]awssim.Scenario{sc}, extra...) {
		if err := sb.Apply(s); err != nil {
			t.Fatal(err)
		}
	}
	f := &fixture{sb: sb, sent: &requestLog{}, log: &lines{}}
	cfg := sb.Config()
	cfg.HTTPClient = f.sent
	f.client = ecs.NewFromConfig(cfg)
	f.drv = &ecsnative.Driver{API: f.client, Observer: ecsnative.Printer(f.log.add), Clock: steppedClock{sb.Clock}}
	return f
}

// discover discovers service (on-ready: continue).
func (f *fixture) discover(t testing.TB, service string) *ecsnative.Service {
	t.Helper()
	s, err := f.drv.Discover(context.Background(), "prod", service, false)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// start discovers service, registers a revision of the new image with a
// secret reference and starts the deployment.
func (f *fixture) start(t testing.TB, service string, pause bool) (*ecsnative.Service, string) {
	t.Helper()
	ctx := context.Background()
	s, err := f.drv.Discover(ctx, "prod", service, pause)
	if err != nil {
		t.Fatal(err)
	}
	td, err := f.drv.Revision(ctx, s, ecsnative.RevisionInput{ImageURI: imageURI, Secrets: []deploy.SecretRef{{Name: "DB_PASSWORD", ValueFrom: secretARN + ":password::"}}})
	if err != nil {
		t.Fatal(err)
	}
	arn, err := f.drv.Start(ctx, s, td)
	if err != nil {
		t.Fatal(err)
	}
	return s, arn
}

// describe reads a service deployment straight from the sandbox.
func (f *fixture) describe(t testing.TB, arn string) types.ServiceDeployment {
	t.Helper()
	out, err := f.client.DescribeServiceDeployments(context.Background(), &ecs.DescribeServiceDeploymentsInput{ServiceDeploymentArns: []string{arn}})
	if err != nil || len(out.ServiceDeployments) != 1 {
		t.Fatalf("describing %s: %v %+v", arn, err, out)
	}
	return out.ServiceDeployments[0]
}

// service reads a service straight from the sandbox.
func (f *fixture) service(t testing.TB, name string) types.Service {
	t.Helper()
	out, err := f.client.DescribeServices(context.Background(), &ecs.DescribeServicesInput{Cluster: aws.String("prod"), Services: []string{name}})
	if err != nil || len(out.Services) != 1 {
		t.Fatalf("describing service %s: %v", name, err)
	}
	return out.Services[0]
}

// calls counts the sandbox's recorded calls of an operation.
func (f *fixture) calls(op string) int {
	n := 0
	for _, c := range f.sb.Calls() {
		if c.Operation == op {
			n++
		}
	}
	return n
}

// steppedClock is the sandbox's clock stopped, moved only by the driver's
// sleeps: a test runs a whole deployment without waiting in real time.
type steppedClock struct{ *awssim.Clock }

func (c steppedClock) Sleep(ctx context.Context, d time.Duration) bool {
	if ctx.Err() != nil {
		return false
	}
	c.Advance(d)
	return true
}

// lines keeps what the driver's Printer says.
type lines struct {
	mu sync.Mutex
	l  []string
}

func (l *lines) add(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.l = append(l.l, fmt.Sprintf(format, args...))
}

// matching returns the lines containing s, in order.
func (l *lines) matching(s string) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, line := range l.l {
		if strings.Contains(line, s) {
			out = append(out, line)
		}
	}
	return out
}

func (l *lines) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.l, "\n")
}
