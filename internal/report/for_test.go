package report

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
)

func TestFor(t *testing.T) {
	t.Parallel()
	rep, out, env := newTestReporter(t)
	rep.UnderRunner(true)
	var got [][2]string
	api := rep.For("eu-west-1/api", func(name, value string) { got = append(got, [2]string{name, value}) })
	api.Group("Deploying d-1")
	api.Infof("%d%% done", 50)
	api.LifecycleEvent("d-1", "shop:api", "Install", "Succeeded", "")
	api.EndGroup()
	api.Noticef("paused at %s", "Ready")
	api.Warningf("slow")
	api.Errorf("failed\nsecond line")
	api.FileErrorf("appspec.yml", 4, "bad hook")
	api.Mask("hunter2-secret")
	api.For("blue", nil).Infof("nested")
	want := "::group::eu-west-1/api: Deploying d-1\n" +
		"eu-west-1/api: 50% done\n" +
		"eu-west-1/api: d-1: shop:api Install Succeeded\n" +
		"::endgroup::\n" +
		"::notice::eu-west-1/api: paused at Ready\n" +
		"::warning::eu-west-1/api: slow\n" +
		"::error::eu-west-1/api: failed%0Asecond line\n" +
		"::error file=appspec.yml,line=4::eu-west-1/api: bad hook\n" +
		"::add-mask::hunter2-secret\n" +
		"eu-west-1/api: blue: nested\n"
	if out.String() != want {
		t.Errorf("commands:\n%s\nwant:\n%s", out.String(), want)
	}

	api.Output("deployment-id", "d-1")
	api.OutputResult(&Result{Deploy: &Deployment{ID: "d-1", Status: "Succeeded"}})
	rep.For("us-east-1/api", nil).Output("deployment-id", "d-2") // dropped
	if want := [][2]string{{"deployment-id", "d-1"}, {"deployment-id", "d-1"}, {"deployment-status", "Succeeded"}}; !reflect.DeepEqual(got, want) {
		t.Errorf("the target's outputs = %v, want %v", got, want)
	}
	if outputs := rep.Outputs(); len(outputs) != 0 || readFile(t, env["GITHUB_OUTPUT"]) != "" {
		t.Errorf("a target's Output set step outputs: %v", outputs)
	}
	if got := rep.Scrub("token hunter2-secret"); got != "token ***" {
		t.Errorf("the run's Scrub after a target's Mask = %q, want the value masked", got)
	}
	if got := rep.For("other", nil).Scrub("hunter2-secret"); got != "***" {
		t.Errorf("another target's Scrub = %q, want the value masked", got)
	}
}

func TestForAtTerminal(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	rep := New(func(string) string { return "" }, &out)
	rep.ForTerminal("")
	api := rep.For("eu-west-1/api", nil)
	api.LifecycleEvent("d-1", "shop:api", "Install", "Failed", "exit 1")
	api.Warningf("slow")
	if want := "  eu-west-1/api: shop:api: Install Failed exit 1\nwarning: eu-west-1/api: slow\n"; out.String() != want {
		t.Errorf("terminal:\n%q\nwant\n%q", out.String(), want)
	}
}

// TestForConcurrent uses a run's Reporter and three targets' at once:
// with -race it checks the shared state, and it checks that every line
// comes out whole.
func TestForConcurrent(t *testing.T) {
	t.Parallel()
	rep, out, env := newTestReporter(t)
	rep.UnderRunner(true)
	var mu sync.Mutex
	collected := map[string]int{}
	var wg sync.WaitGroup
	const lines = 50
	for _, name := range []string{"eu-west-1/api", "eu-west-1/worker", "us-east-1/api"} {
		target := rep.For(name, func(string, string) {
			mu.Lock()
			collected[name]++
			mu.Unlock()
		})
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range lines {
				target.Infof("line %d", i)
				target.Mask(fmt.Sprintf("%s-secret-%d", name, i))
				target.Scrub("some text")
				target.OutputResult(&Result{Deploy: &Deployment{ID: "d-1", Status: fmt.Sprint(i)}})
				target.Warningf("warning %d", i)
				target.LifecycleEvent("d-1", "shop", "Install", "Succeeded", "")
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := range lines {
			rep.Output("duration-seconds", fmt.Sprint(i))
			rep.Outputs()
			rep.Mask(fmt.Sprintf("run-secret-%d", i))
			rep.Infof("run line %d", i)
		}
	}()
	wg.Wait()

	if got := len(rep.masks()); got != 4*lines {
		t.Errorf("%d masks, want %d", got, 4*lines)
	}
	for name, n := range collected {
		if n != 2*lines { // deployment-id and deployment-status each time
			t.Errorf("%s: %d outputs handed over, want %d", name, n, 2*lines)
		}
	}
	if got := rep.Outputs(); !reflect.DeepEqual(got, map[string]string{"duration-seconds": fmt.Sprint(lines - 1)}) {
		t.Errorf("step outputs = %v, want only the run's", got)
	}
	if vars := parseFileCommands(t, readFile(t, env["GITHUB_OUTPUT"])); len(vars) != 1 {
		t.Errorf("GITHUB_OUTPUT sets %v, want only duration-seconds", vars)
	}
	for _, l := range strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n") {
		if !strings.HasPrefix(l, "::add-mask::") && !strings.HasPrefix(l, "run line ") &&
			!strings.Contains(l, "/api: ") && !strings.Contains(l, "/worker: ") {
			t.Fatalf("a line came out mixed or without its target's name: %q", l)
		}
	}
}

// TestConcludeTargets concludes a run with several targets: each target's
// text is scrubbed, its file made relative, the annotation and
// error-message name the failed target, and the summary is written.
func TestConcludeTargets(t *testing.T) {
	t.Parallel()
	rep, out, env := newTestReporter(t)
	res := severalTargets()
	worker := res.Targets[1].Result
	worker.Deploy.Failure.File = "/ws/deploy/worker/appspec.yml"
	worker.Deploy.Failure.LogTail += "\ntoken hunter2-secret"
	rep.Mask("hunter2-secret")
	rel := func(p string) string {
		if r, err := filepath.Rel("/ws", p); err == nil {
			return r
		}
		return p
	}
	if _, err := rep.Conclude(context.Background(), res.Err, res, rel); err != res.Err {
		t.Errorf("Conclude returned %v, want the run's error", err)
	}
	if got := worker.Deploy.Failure.LogTail; !strings.HasSuffix(got, "token ***") {
		t.Errorf("the target's log tail was not scrubbed: %q", got)
	}
	outputs := rep.Outputs()
	if outputs["error-code"] != "HOOK_EXECUTION_FAILURE" || !strings.HasPrefix(outputs["error-message"], "eu-west-1/worker: deployment d-WRK000001 failed") {
		t.Errorf("error outputs = %q, %q", outputs["error-code"], outputs["error-message"])
	}
	if want := "::error file=deploy/worker/appspec.yml,line=4::eu-west-1/worker: deployment d-WRK000001 failed"; !strings.Contains(out.String(), want) {
		t.Errorf("commands lack %q:\n%s", want, out.String())
	}
	if summary := readFile(t, env["GITHUB_STEP_SUMMARY"]); !strings.Contains(summary, "| us-east-1/api | 2 | us-east-1 | not started |") {
		t.Errorf("the job summary lacks the targets table:\n%s", summary)
	}
}

func TestFinalStatusOfTargets(t *testing.T) {
	t.Parallel()
	targets := severalTargets().Targets
	tests := []struct {
		target *TargetResult
		want   Status
	}{
		{targets[0], Status{State: "success", AutoInactive: true, Description: "d-API000001: deployed (Succeeded)"}},
		{targets[1], Status{State: "failure", Description: "d-WRK000001: rolled back (Failed)"}},
	}
	for _, tt := range tests {
		if got := FinalStatus(tt.target.Result); got != tt.want {
			t.Errorf("FinalStatus(%s) = %+v, want %+v", tt.target.Name, got, tt.want)
		}
	}
}

func TestTextTargets(t *testing.T) {
	t.Parallel()
	got := Text(severalTargets())
	want := "↩️ Rolled back after 3m 00s\n" +
		"  3 targets in 2 waves: 1 deployed, 1 rolled back, 1 not started.\n" +
		"  eu-west-1/api     deployed      d-API000001     1m 28s\n" +
		"  eu-west-1/worker  rolled back   d-WRK000001     1m 38s\n" +
		"                    │ deployment d-WRK000001 failed: HOOK_EXECUTION_FAILURE: lifecycle event AfterAllowTestTraffic failed\n" +
		"                    │ GET /health returned 503\n" +
		"  us-east-1/api     not started   —                    —  not started: wave 1 did not succeed\n" +
		"  image       "
	if !strings.HasPrefix(got, want) {
		t.Errorf("Text() =\n%s\nwant it to start with\n%s", got, want)
	}
	if strings.Contains(got, "error       wave 1") {
		t.Errorf("Text() shows the run's own error beside its targets':\n%s", got)
	}
}

func TestHTMLTargets(t *testing.T) {
	t.Parallel()
	page := HTML(severalTargets())
	for _, want := range []string{
		`<table id="targets">`,
		`<td>eu-west-1/worker</td><td class="d">1</td><td>eu-west-1</td><td class="failed">↩️ rolled back</td><td><a href="https://eu-west-1.console.aws.amazon.com/codesuite/codedeploy/deployments/d-WRK000001?region=eu-west-1">d-WRK000001</a> Failed, rolled back with <code>d-WRK000002</code></td>`,
		`<td>us-east-1/api</td><td class="d">2</td><td>us-east-1</td><td>not started</td><td></td><td class="d">—</td><td>not started: wave 1 did not succeed</td>`,
		`<summary>eu-west-1/worker: rolled back</summary>`,
		`<p>3 targets in 2 waves: 1 deployed, 1 rolled back, 1 not started.</p>`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %s", want)
		}
	}
	for _, lane := range []string{"Run", "eu-west-1/api", "eu-west-1/api lifecycle events", "eu-west-1/worker", "eu-west-1/worker lifecycle events"} {
		if !strings.Contains(page, `font-weight="bold">`+lane+"</text>") {
			t.Errorf("the timeline lacks the lane %q", lane)
		}
	}
	if n := strings.Count(page, "<rect "); n != 3+1+4+2+4 {
		t.Errorf("the timeline has %d bars, want 14", n)
	}
	if strings.Contains(page, `<pre id="error">`) {
		t.Error("the page shows the run's own error beside its targets'")
	}
}
