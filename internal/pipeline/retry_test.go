package pipeline

import (
	"testing"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim/awssimtest"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/exitcode"
)

// TestPushSurvivesRegistryBlips injects one 500 on a layer upload and one
// on the manifest PUT through the sandbox's scenario: the run pushes anyway.
func TestPushSurvivesRegistryBlips(t *testing.T) {
	t.Parallel()
	requireDocker(t)
	sb := awssimtest.Start(t, awssim.Options{})
	if err := sb.Apply(awssim.Scenario{Faults: []awssim.Fault{
		{Service: "registry", Operation: "PatchUpload", Status: 500, Error: "UNKNOWN", Count: 1},
		{Service: "registry", Operation: "PutManifest", Status: 500, Error: "UNKNOWN", Count: 1},
	}}); err != nil {
		t.Fatal(err)
	}
	code, out, log := runAction(t, sb, map[string]string{"ecr-repository": "team/app", "create-repository": "true",
		"context": "testdata/app", "build-args": "RUN_ID=" + t.Name()})
	if code != exitcode.OK || out["image-pushed"] != "true" {
		t.Fatalf("exit %d, image-pushed %q; want 0 and true; log:\n%s", code, out["image-pushed"], log)
	}
	if got := countCalls(sb, "registry", "PutManifest"); got != 2 {
		t.Errorf("%d manifest puts, want 2 (one refused, one retried)", got)
	}
}
