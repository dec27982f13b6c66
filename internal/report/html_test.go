package report

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestHTMLInChromium opens HTML summaries in headless Chromium and checks
// the DOM it renders: the timeline's SVG with a bar per stage and per
// lifecycle event, and every stage's name. It saves a screenshot of each
// in the test's temp dir (kept with BLUEGREEN_SCREENSHOTS=dir).
func TestHTMLInChromium(t *testing.T) {
	t.Parallel()
	chromium, err := exec.LookPath("chromium")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("chromium is not installed (Debian's chromium package; .ci/run installs it)")
		}
		t.Skip("chromium is not installed (apt-get install chromium)")
	}
	cases := summaryCases()
	for _, name := range []string{"deployed-server", "rolled-back-ecs", "cancelled"} {
		res := cases[name]
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			page := filepath.Join(dir, name+".html")
			if err := os.WriteFile(page, []byte(HTML(res)), 0o644); err != nil {
				t.Fatal(err)
			}
			shots := dir
			if d := os.Getenv("BLUEGREEN_SCREENSHOTS"); d != "" {
				shots = d
			}
			shot := filepath.Join(shots, name+".png")
			dom := runChromium(t, chromium, dir, "--dump-dom", "file://"+page)
			runChromium(t, chromium, dir, "--screenshot="+shot, "--window-size=1000,1400", "file://"+page)

			run, events, _ := timeline(res)
			if got, want := strings.Count(dom, "<rect "), len(run)+len(events); got != want {
				t.Errorf("the rendered timeline has %d bars, want %d", got, want)
			}
			if !strings.Contains(dom, `<svg id="timeline"`) {
				t.Errorf("the rendered DOM has no timeline SVG:\n%s", dom)
			}
			for _, b := range append(run, events...) {
				if !strings.Contains(dom, ">"+b.Name+"</text>") {
					t.Errorf("the rendered timeline lacks %q", b.Name)
				}
			}
			png, err := os.ReadFile(shot)
			if err != nil || !bytes.HasPrefix(png, []byte("\x89PNG")) {
				t.Errorf("no PNG screenshot at %s: %v", shot, err)
			}
			t.Logf("screenshot: %s (%d bytes)", shot, len(png))
		})
	}
}

// runChromium runs headless Chromium with its own profile under dir and
// returns its stdout.
func runChromium(t *testing.T, chromium, dir string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	args = append([]string{"--headless", "--no-sandbox", "--disable-gpu", "--user-data-dir=" + filepath.Join(dir, "profile")}, args...)
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, chromium, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return stdout.String()
}

// TestHTMLFetchesNothing checks that the page loads nothing: no script, no
// stylesheet or image from elsewhere.
func TestHTMLFetchesNothing(t *testing.T) {
	t.Parallel()
	for name, res := range summaryCases() {
		page := HTML(res)
		for _, bad := range []string{"<script", "<link", "<img", "src=", "@import", "url("} {
			if strings.Contains(page, bad) {
				t.Errorf("%s: the HTML summary holds %q", name, bad)
			}
		}
	}
}
