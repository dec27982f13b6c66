package main

import (
	"bytes"
	"encoding/base64"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestDemoBinary runs the README's main job (internal/demo) as the plain
// binary (the act path is TestWorkflows' server workflow), outside Actions,
// and compares what a person sees at the terminal with testdata/runs/demo.txt:
// under 60 lines, no workflow commands, the outputs, and the HTML summary
// it names. The runner files of an enclosing workflow must not capture the
// demo's outputs. Rewrite the file with go test -run TestDemoBinary -update .
func TestDemoBinary(t *testing.T) {
	if _, err := exec.LookPath("docker"); err != nil && os.Getenv("CI") != "true" {
		t.Skip("the demo builds testdata/app through the Docker engine, and there is no docker")
	}
	dir := t.TempDir()
	demo := filepath.Join(dir, "demo")
	if out, err := exec.Command("go", "build", "-o", demo, "./internal/demo").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	html := filepath.Join(dir, "summary.html")
	cmd := exec.Command(demo, "-mode", "binary", "-summary-html", html)
	cmd.Env = append(os.Environ(), "GITHUB_OUTPUT="+filepath.Join(dir, "enclosing-output"), "GITHUB_ACTIONS=true")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("demo: %v\n%s", err, out.String())
	}
	got := out.String()
	if n := strings.Count(got, "\n"); n >= 60 {
		t.Errorf("the demo printed %d lines, want under 60:\n%s", n, got)
	}
	if strings.Contains(got, "::") {
		t.Errorf("the demo printed workflow commands (::):\n%s", got)
	}
	for _, want := range []string{"output deployment-status=Succeeded", "output image-pushed=true", "output secrets=", "Summary with its timeline: " + html} {
		if !strings.Contains(got, want) {
			t.Errorf("the demo's output lacks %q:\n%s", want, got)
		}
	}
	// testdata/sandbox/demo.yaml's secret values: outside Actions no
	// ::add-mask:: line may print them, nor their base64 forms.
	for _, v := range []string{"demo-user-0", "demo-password-1", "demo-token-2"} {
		for _, form := range []string{v, base64.StdEncoding.EncodeToString([]byte(v)), base64.RawURLEncoding.EncodeToString([]byte(v))} {
			if strings.Contains(got, form) {
				t.Errorf("the demo printed %q, a form of a secret value", form)
			}
		}
	}
	page, err := os.ReadFile(html)
	if err != nil {
		t.Fatalf("the HTML summary: %v", err)
	}
	for _, want := range []string{`<svg id="timeline"`, "deployment created", "Install"} {
		if !bytes.Contains(page, []byte(want)) {
			t.Errorf("the HTML summary lacks %q", want)
		}
	}

	got = maskDemo(got, dir)
	path := filepath.Join("testdata", "runs", "demo.txt")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading the golden file (run with -update to write it): %v", err)
	}
	if got != string(want) {
		t.Errorf("the demo's output differs from %s (run with -update to accept):\n%s", path, diffLines(string(want), got))
	}
}

var demoMasks = []struct {
	re   *regexp.Regexp
	with string
}{
	{regexp.MustCompile(`127\.0\.0\.1:\d+`), "SANDBOX"},
	{regexp.MustCompile(`sha256:[0-9a-f]{64}`), "sha256:DIGEST"},
	{regexp.MustCompile(`\b[0-9a-f]{64}\b`), "HASH"},
	{regexp.MustCompile(`\b[0-9a-f]{40}\b`), "SHA"},
	{deploymentID, "d-ID"},
	{instanceID, "i-ID"},
	{regexp.MustCompile(`duration-seconds=\d+`), "duration-seconds=N"},
	{regexp.MustCompile(` +\d+(\.\d+)?s\b`), " Ns"},
	{regexp.MustCompile(`\b\d+(\.\d+)?s\b`), "Ns"},
	// The build log's tail (cached or not) and a target's run of events
	// (one poll of the sandbox, or two).
	{regexp.MustCompile(`(?m)^  │ .*$`), "  │ LOG"},
	{regexp.MustCompile(`(?m)^(  (?:Green|Blue) i-ID: ).*$`), "${1}EVENTS"},
}

// maskDemo masks what differs between demo runs: addresses, ids, digests,
// durations, the temp dir, the build log; it drops what depends on when
// the driver polls (states in progress), and repeated lines.
func maskDemo(s, dir string) string {
	s = strings.ReplaceAll(s, dir, "TMP")
	for _, m := range demoMasks {
		s = m.re.ReplaceAllString(s, m.with)
	}
	var lines []string
	for _, l := range strings.SplitAfter(s, "\n") {
		if strings.Contains(l, "InProgress") || strings.Contains(l, "Queued") || strings.Contains(l, "deployment in progress") {
			continue
		}
		if n := len(lines); n > 0 && lines[n-1] == l {
			continue
		}
		lines = append(lines, l)
	}
	return strings.Join(lines, "")
}
