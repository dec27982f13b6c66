package pipeline

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/exitcode"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/report"
)

// TestFleetConcurrentRuns runs the same two-wave targets twice at once, an
// older and a newer workflow run, each with its own image, the second
// starting as the first checks for newer runs: the newer run's image ends up
// live in both groups, every target of the newer run succeeds (the older run
// stops none of its deployments), each of the older run's targets succeeds
// or is superseded, and nothing is left running. With the newer run first,
// the older run is superseded in wave 1 and so starts no wave 2: its
// target there is superseded too, and it creates no deployment in bg2.
func TestFleetConcurrentRuns(t *testing.T) {
	t.Parallel()
	const older, newer = 400, 401
	for _, first := range []int{older, newer} {
		t.Run(map[int]string{older: "older first", newer: "newer first"}[first], func(t *testing.T) {
			t.Parallel()
			concurrentRuns(t, older, newer, first)
		})
	}
}

func concurrentRuns(t *testing.T, older, newer, first int) {
	sb := deploySandbox(t, moreGroups("bg2"))
	sb.PushImage(t, "web")
	targets := `
- {wave: 1, codedeploy-application: web, codedeploy-deployment-group: bg}
- {wave: 2, codedeploy-application: web, codedeploy-deployment-group: bg2}
`
	type result struct {
		code int
		out  map[string]string
		log  string
	}
	results := map[int]*result{older: {}, newer: {}}
	var wg sync.WaitGroup
	for i, run := range []int{first, older + newer - first} {
		if i == 1 {
			waitForCall(t, sb, "ListDeployments") // the first run's supersede check
		}
		r, image := results[run], sb.PushImageTag(t, "web", fmt.Sprint("run", run))
		wg.Go(func() { r.code, r.out, r.log = runActionEnv(t, sb, fleetInputs(image, targets), runEnv(run, 1)) })
	}
	wg.Wait()

	n := results[newer]
	if n.code != exitcode.OK || n.out["deployment-status"] != "Succeeded" {
		t.Fatalf("newer run: exit %d, deployment-status %q; want 0, Succeeded\n%s", n.code, n.out["deployment-status"], n.log)
	}
	newIDs := deploymentIDs(t, n.out)
	for name, r := range targetsOutput(t, n.out) {
		if r.Status != "Succeeded" {
			t.Errorf("newer run: target %s is %s, want Succeeded\n%s", name, r.Status, n.log)
		}
	}
	o := results[older]
	if o.code != exitcode.OK {
		t.Errorf("older run: exit %d, want 0\n%s", o.code, o.log)
	}
	for name, r := range targetsOutput(t, o.out) {
		if r.Status != "Succeeded" && r.Status != report.StatusSuperseded {
			t.Errorf("older run: target %s is %s, want Succeeded or Superseded\n%s", name, r.Status, o.log)
		}
	}
	if first == newer {
		bg2 := targetsOutput(t, o.out)["us-east-1/bg2"]
		if o.out["deployment-status"] != report.StatusSuperseded || bg2.Status != report.StatusSuperseded || bg2.DeploymentID != "" ||
			bg2.Note != "not started: a newer run superseded us-east-1/bg in wave 1" {
			t.Errorf("older run: deployment-status %q, bg2 %+v; want Superseded, bg2 superseded and not started\n%s", o.out["deployment-status"], bg2, o.log)
		}
		if all := settledDeployments(t, sb, "web", "bg2"); len(all) != 1 {
			t.Errorf("%d deployments in bg2, want the newer run's only: %+v", len(all), all)
		}
	}
	for _, group := range []string{"bg", "bg2"} {
		if live, want := liveRevision(t, sb, group), revisionOf(t, sb, newIDs["us-east-1/"+group]); live != want {
			t.Errorf("%s: live revision %s, want the newer run's %s\nolder run:\n%s", group, live, want, o.log)
		}
	}
	if running := leftRunning(settledDeployments(t, sb, "web", "bg", "bg2")); len(running) > 0 {
		t.Errorf("left running: %+v", running)
	}
	var statuses []string
	for _, run := range []int{older, newer} {
		for _, name := range []string{"us-east-1/bg", "us-east-1/bg2"} {
			statuses = append(statuses, fmt.Sprintf("run %d %s: %s", run, name, targetsOutput(t, results[run].out)[name].Status))
		}
	}
	t.Log(strings.Join(statuses, "; "))
}
