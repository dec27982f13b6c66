package pipeline

import (
	"context"
	"strings"
	"testing"

	"github.com/moby/moby/client"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim/awssimtest"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/exitcode"
)

// TestImageBuildCache runs the action twice, the second time with a new tag
// and each build-cache value: ecr imports from the first image (registry
// reads, and the log names the mode and the digest), none reads nothing.
func TestImageBuildCache(t *testing.T) {
	t.Parallel()
	requireDocker(t)
	tests := []struct {
		cache   string
		wantLog string // after the first image's URI, when set
		reads   bool
	}{
		{"ecr", "Build cache: inline (from ", true},
		{"none", "Build cache: none", false},
	}
	for _, tt := range tests {
		t.Run(tt.cache, func(t *testing.T) {
			t.Parallel()
			sb := awssimtest.Start(t, awssim.Options{})
			inputs := map[string]string{"ecr-repository": "team/app", "create-repository": "true", "context": "testdata/app", "image-tags": "v1"}
			code, out, log := runAction(t, sb, inputs)
			if code != exitcode.OK {
				t.Fatalf("first run: exit %d; log:\n%s", code, log)
			}
			if !strings.Contains(log, "Build cache: inline (nothing to import: a cold build)") {
				t.Errorf("first run's log does not say it built cold with inline cache:\n%s", log)
			}
			removeImage(t, sb.Host+"/team/app:v1") // as on a new runner
			before := len(sb.Calls())
			inputs["image-tags"], inputs["build-cache"] = "v2", tt.cache
			code, _, log = runAction(t, sb, inputs)
			if code != exitcode.OK {
				t.Fatalf("second run: exit %d; log:\n%s", code, log)
			}
			want := tt.wantLog
			if tt.reads {
				want += out["image-uri"] + ")"
			}
			if !strings.Contains(log, want) {
				t.Errorf("second run's log lacks %q:\n%s", want, log)
			}
			reads := 0
			for _, c := range sb.Calls()[before:] {
				if c.Service == "registry" && (c.Operation == "GetManifest" || c.Operation == "GetBlob") {
					reads++
				}
			}
			if (reads > 0) != tt.reads {
				t.Errorf("second run made %d registry reads, want some: %v", reads, tt.reads)
			}
		})
	}
}

// removeImage removes ref from the Docker engine, whose BuildKit would
// otherwise read the inline cache from its own copy.
func removeImage(t *testing.T, ref string) {
	t.Helper()
	api, err := client.New(client.FromEnv)
	if err != nil {
		t.Fatal(err)
	}
	defer api.Close()
	if _, err := api.ImageRemove(context.Background(), ref, client.ImageRemoveOptions{Force: true}); err != nil {
		t.Fatalf("removing %s: %v", ref, err)
	}
}
