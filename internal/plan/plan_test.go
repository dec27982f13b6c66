package plan

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	cdtypes "github.com/aws/aws-sdk-go-v2/service/codedeploy/types"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/rollout"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

const (
	repo   = "123456789012.dkr.ecr.us-east-1.amazonaws.com/shop"
	liveID = repo + "@sha256:1111111111111111111111111111111111111111111111111111111111111111"
	nextID = repo + "@sha256:2222222222222222222222222222222222222222222222222222222222222222"
)

// ecsPlan is a plan for an ECS deployment group with a new image.
func ecsPlan() *Plan {
	p := &Plan{
		Target: Target{Platform: "ECS", Kind: "CodeDeploy deployment group", Name: "shop/web", Environment: "production"},
		Secrets: []Secret{
			{ID: "prod/db", Name: "prod/db", Region: "us-east-1", Status: SecretFound},
			{ID: "prod/gone", Region: "us-east-1", Status: SecretMissing, Detail: "Secrets Manager can't find the specified secret."},
			{ID: "team/*", Name: "team/api-key", Region: "us-east-1", Status: SecretFound},
		},
		Image: &Image{Action: ImageSkip, Repository: repo, Tags: []string{"9f3c2ab"}, URI: nextID, Digest: "sha256:2222222222222222222222222222222222222222222222222222222222222222"},
		Live: []Fact{
			{"task definition", "arn:aws:ecs:us-east-1:123456789012:task-definition/shop-web:7"},
			{"image", liveID},
		},
		Diffs: []Diff{{Title: "task definition shop-web", Unified: "--- live\n+++ would be registered\n@@ -1,3 +1,3 @@\n {\n-  \"image\": \"" + liveID + "\"\n+  \"image\": \"" + nextID + "\"\n }\n"}},
	}
	p.Compare("image", liveID, nextID)
	p.Compare("container port", "8080", "8080") // the same: no change
	p.Rollout = &Rollout{Config: "CodeDeployDefault.ECSLinear10PercentEvery1Minutes", Estimate: rollout.CodeDeploy(
		cdtypes.DeploymentConfigInfo{TrafficRoutingConfig: &cdtypes.TrafficRoutingConfig{TimeBasedLinear: &cdtypes.TimeBasedLinear{LinearPercentage: 10, LinearInterval: 1}}},
		rollout.Group{Platform: cdtypes.ComputePlatformEcs, TerminationWait: 5 * time.Minute},
	)}
	p.Warn(Situation{AutoRollback: true, Alarms: 0, Active: "d-ABCDEFGHI", OnActive: "wait"})
	return p
}

// livePlan is a plan whose image is already live.
func livePlan() *Plan {
	p := &Plan{
		Target: Target{Platform: "Lambda", Kind: "CodeDeploy deployment group", Name: "shop/fn"},
		Image:  &Image{Action: ImageExisting, URI: liveID, Digest: "sha256:1111111111111111111111111111111111111111111111111111111111111111"},
		Live:   []Fact{{"alias live", "version 3"}, {"image", liveID}},
	}
	p.Compare("image", liveID, liveID)
	p.Warn(Situation{AutoRollback: true, Alarms: 2})
	return p
}

func TestGolden(t *testing.T) {
	t.Parallel()
	for name, p := range map[string]*Plan{"ecs": ecsPlan(), "live": livePlan()} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			js, err := json.MarshalIndent(p, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			golden(t, name+".md", p.Markdown())
			golden(t, name+".json", string(js)+"\n")
		})
	}
}

func golden(t *testing.T, file, got string) {
	t.Helper()
	path := filepath.Join("testdata", file)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to write it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from the golden file (run with -update to rewrite it):\n%s", file, got)
	}
}

func TestChanged(t *testing.T) {
	t.Parallel()
	if !ecsPlan().Changed() {
		t.Error("a plan with a new image: Changed() = false")
	}
	if livePlan().Changed() {
		t.Error("a plan whose image is live: Changed() = true")
	}
	if p := (&Plan{Diffs: []Diff{{Title: "appspec", Unified: "--- live\n"}}}); !p.Changed() {
		t.Error("a plan with a diff: Changed() = false")
	}
}

func TestJSON(t *testing.T) {
	t.Parallel()
	data, err := json.Marshal(ecsPlan())
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Changes     bool
		Differences []Change
		Rollout     struct {
			Steps []struct{ AfterSeconds, Percent float64 }
			Wait  struct {
				Name    string
				Seconds int
			}
			ToTraffic int `json:"toTrafficSeconds"`
			Total     int `json:"totalSeconds"`
		}
		Secrets  []map[string]string
		Warnings []string
	}
	if err := json.Unmarshal(data, &got); err != nil {
		t.Fatal(err)
	}
	if !got.Changes || !reflect.DeepEqual(got.Differences, []Change{{"image", liveID, nextID}}) {
		t.Errorf("changes %v, differences %+v; want true and the image", got.Changes, got.Differences)
	}
	if r := got.Rollout; len(r.Steps) != 10 || r.Wait.Name != "termination wait" || r.Wait.Seconds != 300 || r.ToTraffic != 600 || r.Total != 900 {
		t.Errorf("rollout = %+v; want 10 steps, a 300s termination wait, 600s to traffic and 900s in all", r)
	}
	if len(got.Secrets) != 3 || got.Secrets[1]["status"] != "not found" {
		t.Errorf("secrets = %v", got.Secrets)
	}
	empty, err := json.Marshal(&Plan{})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"changes":false`, `"secrets":[]`, `"live":[]`, `"differences":[]`, `"diffs":[]`, `"warnings":[]`} {
		if !strings.Contains(string(empty), want) {
			t.Errorf("an empty plan's JSON %s lacks %s", empty, want)
		}
	}
	if strings.Contains(string(empty), `"rollout"`) || strings.Contains(string(empty), `"image"`) {
		t.Errorf("an empty plan's JSON %s has a rollout or an image", empty)
	}
}

func TestWarn(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		s    Situation
		want []string
	}{
		"all is well": {s: Situation{AutoRollback: true, Alarms: 1, Pause: true, ReadyWait: true}},
		"auto-rollback off, no alarms": {s: Situation{}, want: []string{
			"auto-rollback is off: a failed deployment stays failed until someone rolls it back",
			"no alarms: nothing stops the deployment when the new revision misbehaves under traffic",
		}},
		"another deployment, to be stopped": {s: Situation{AutoRollback: true, Alarms: 1, Active: "d-1", OnActive: "stop"}, want: []string{
			"deployment d-1 is in progress: the deploy would stop it (on-active-deployment: stop)",
		}},
		"a newer run's deployment": {s: Situation{AutoRollback: true, Alarms: 1, Newer: "d-2"}, want: []string{
			"deployment d-2 of a newer workflow run is live: this run's deploy would be superseded",
		}},
		"pause without a Ready wait": {s: Situation{AutoRollback: true, Alarms: 1, Pause: true}, want: []string{
			"on-ready: pause, but the deployment does not wait at Ready: traffic would move without a pause",
		}},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			p := &Plan{}
			p.Warn(tt.s)
			if !reflect.DeepEqual(p.Warnings, tt.want) {
				t.Errorf("Warn(%+v) = %q, want %q", tt.s, p.Warnings, tt.want)
			}
		})
	}
	p := &Plan{Secrets: []Secret{{ID: "a", Status: SecretFound}, {ID: "b*", Status: SecretNoMatch}}}
	p.Warn(Situation{AutoRollback: true, Alarms: 1})
	if want := []string{`secret "b*": no match: the deploy would fail fetching it`}; !reflect.DeepEqual(p.Warnings, want) {
		t.Errorf("Warn with a prefix that matches nothing = %q, want %q", p.Warnings, want)
	}
}

func TestMarkdownCutsLongDiffs(t *testing.T) {
	t.Parallel()
	long := "--- live\n+++ would be registered\n" + strings.Repeat("+  \"x\": 1,\n", 5000)
	md := (&Plan{Diffs: []Diff{{Title: "task definition", Unified: long}}}).Markdown()
	if len(md) > maxDiff+1000 || !strings.Contains(md, "more lines: the plan-json output has the whole diff") {
		t.Errorf("Markdown of a %d-byte diff is %d bytes, want it cut to about %d with a note", len(long), len(md), maxDiff)
	}
}
