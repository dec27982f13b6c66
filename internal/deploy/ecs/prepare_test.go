package ecs_test

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/deploy"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/deploy/ecs"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/taskdiff"
)

// TestPrepareDiff deploys a task definition file to the sandbox, then
// prepares the next deploy without registering anything and diffs the live
// task definition against the one it would register: only the image line
// changes, plus an environment variable when the file adds one.
func TestPrepareDiff(t *testing.T) {
	t.Parallel()
	f := newECSFixture(t)
	const file = "../../../testdata/taskdefs/api.json"
	if _, out, err := f.deploy(t, "linear", ecs.Input{TaskDefinition: file, ImageURI: apiImage}, deploy.WatchOptions{}); err != nil || out.Status != "Succeeded" {
		t.Fatalf("the first deploy: %v", err)
	}
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	added := filepath.Join(t.TempDir(), "api.json")
	withEnv := strings.Replace(string(data), `{"name": "LOG_LEVEL", "value": "debug"}`, `{"name": "LOG_LEVEL", "value": "debug"}, {"name": "FEATURE_X", "value": "on"}`, 1)
	if err := os.WriteFile(added, []byte(withEnv), 0o644); err != nil {
		t.Fatal(err)
	}
	g, err := deploy.Discover(context.Background(), f.cd, "api", "linear")
	if err != nil {
		t.Fatal(err)
	}
	const next = "123456789012.dkr.ecr.us-east-1.amazonaws.com/api@sha256:fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"
	imageLine := func(image string) string { return `      "image": "` + image + `",` }

	tests := map[string]struct {
		file  string
		added []string
	}{
		"the service's task definition, new image": {added: []string{imageLine(next)}},
		"the same file, new image":                 {file: file, added: []string{imageLine(next)}},
		"the file adds an environment variable":    {file: added, added: []string{`        {"name": "FEATURE_X", "value": "on"},`, imageLine(next)}},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			registered := f.registered()
			d, err := ecs.Prepare(context.Background(), f.ecs, ecs.Input{Group: g, TaskDefinition: tt.file, ImageURI: next})
			if err != nil {
				t.Fatal(err)
			}
			if d.Live != f.primary(t, "api") {
				t.Errorf("Draft.Live = %s, want the primary task set's %s", d.Live, f.primary(t, "api"))
			}
			live := f.taskDef(t, d.Live)
			diff := taskdiff.Diff(live, d.TaskDefinition, nil)
			removed, got := taskdiff.Changed(diff)
			if want := []string{imageLine(apiImage)}; !reflect.DeepEqual(removed, want) || !reflect.DeepEqual(got, tt.added) {
				t.Errorf("diff removes %q and adds %q, want %q and %q:\n%s", removed, got, want, tt.added, diff)
			}
			if n := f.registered(); n != registered {
				t.Errorf("Prepare registered %d task definitions, want none", n-registered)
			}
			if img := containerImage(d.TaskDefinition.ContainerDefinitions, "app"); img != next {
				t.Errorf("the draft's app container runs %s, want %s", img, next)
			}
		})
	}
}

func containerImage(cs []types.ContainerDefinition, name string) string {
	for _, c := range cs {
		if aws.ToString(c.Name) == name {
			return aws.ToString(c.Image)
		}
	}
	return ""
}
