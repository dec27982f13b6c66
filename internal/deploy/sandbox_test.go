package deploy_test

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim/awssimtest"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/deploy"
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
	f.drv = &deploy.Driver{API: f.cd, Observer: f.obs, PollMin: 50 * time.Millisecond, PollMax: 200 * time.Millisecond}
	return f
}

// create uploads the default bundle and creates a deployment in group.
func (f *fixture) create(t testing.TB, group string, onActive deploy.OnActive) string {
	t.Helper()
	ctx := context.Background()
	rev, err := deploy.ServerRevision(ctx, f.s3, deploy.ServerInput{
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

// recorder is an Observer that keeps what it hears as lines.
type recorder struct {
	mu    sync.Mutex
	lines []string
}

func (r *recorder) add(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lines = append(r.lines, fmt.Sprintf(format, args...))
}

func (r *recorder) Created(id string)                   { r.add("created %s", id) }
func (r *recorder) Phase(id, phase string, _ time.Time) { r.add("phase %s %s", id, phase) }
func (r *recorder) Event(id string, t deploy.Target, e deploy.Event) {
	r.add("event %s %s %s %s", t.Label, t.ID, e.Name, e.Status)
}
func (r *recorder) Weights(id string, t deploy.Target) { r.add("weights %s", t.ID) }
func (r *recorder) Rollback(id, rb string)             { r.add("rollback %s %s", id, rb) }
func (r *recorder) Note(id, msg string)                { r.add("note %s %s", id, msg) }

func (r *recorder) has(prefix string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, l := range r.lines {
		if strings.HasPrefix(l, prefix) {
			return true
		}
	}
	return false
}

func (r *recorder) String() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return strings.Join(r.lines, "\n")
}

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

func TestServerRevisionUploadsOnce(t *testing.T) {
	t.Parallel()
	f := newFixture(t, 600)
	ctx := context.Background()
	in := deploy.ServerInput{
		Bucket: "web-bundles", Prefix: "web", Region: "us-east-1", ImageURI: imageURI, ContainerPort: 8080,
		Secrets: []deploy.SecretRef{{Name: "DB_PASSWORD", ValueFrom: secretARN}},
	}
	first, err := deploy.ServerRevision(ctx, f.s3, in)
	if err != nil {
		t.Fatal(err)
	}
	second, err := deploy.ServerRevision(ctx, f.s3, in)
	if err != nil {
		t.Fatal(err)
	}
	if first.Where != second.Where || aws.ToString(first.Location.S3Location.ETag) != aws.ToString(second.Location.S3Location.ETag) {
		t.Errorf("identical bundles gave %s and %s", first.Where, second.Where)
	}
	if got := f.calls("PutObject"); got != 1 {
		t.Errorf("got %d PutObject calls for two identical bundles, want 1", got)
	}
	if etag := aws.ToString(first.Location.S3Location.ETag); len(etag) != 32 || strings.Contains(etag, `"`) {
		t.Errorf("got ETag %q, want 32 hex digits without quotes", etag)
	}
	obj, err := f.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("web-bundles"), Key: first.Location.S3Location.Key})
	if err != nil {
		t.Fatal(err)
	}
	data, _ := io.ReadAll(obj.Body)
	files := unzip(t, data)
	for _, name := range []string{"appspec.yml", "deploy.env", "scripts/pull.sh", "scripts/validate.sh"} {
		if _, ok := files[name]; !ok {
			t.Errorf("bundle has no %s", name)
		}
	}
	env := files["deploy.env"]
	for _, want := range []string{"IMAGE_URI='" + imageURI + "'", "SECRET_ARN_DB_PASSWORD='" + secretARN + "'", "CONTAINER_PORT='8080'"} {
		if !strings.Contains(env, want) {
			t.Errorf("deploy.env lacks %s:\n%s", want, env)
		}
	}

	in.ImageURI = strings.Replace(imageURI, "0123", "4567", 1)
	third, err := deploy.ServerRevision(ctx, f.s3, in)
	if err != nil {
		t.Fatal(err)
	}
	if third.Where == first.Where {
		t.Errorf("a different image gave the same key %s", third.Where)
	}
}

func unzip(t testing.TB, data []byte) map[string]string {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(rc)
		rc.Close()
		files[f.Name] = string(b)
	}
	return files
}
