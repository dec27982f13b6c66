package report

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestTerminal drives a Reporter switched to a terminal as the pipeline
// does and checks what a person sees.
func TestTerminal(t *testing.T) {
	t.Parallel()
	buildLog := func(r *Reporter, log string, n int) {
		r.Group("Building web:1")
		w := r.out
		fmt.Fprintln(w, "::stop-commands::TOKEN")
		for i := range n {
			fmt.Fprintf(w, "%s %d\n", log, i)
		}
		fmt.Fprintln(w, "::TOKEN::")
		r.EndGroup()
	}
	tests := map[string]struct {
		run       func(r *Reporter)
		want, not []string
		wantLines int // 0: any
	}{
		"build log folded to its tail": {
			run: func(r *Reporter) {
				buildLog(r, "step", 10)
				r.Infof("Built sha256:abc")
			},
			want:      []string{"Building web:1 (", "  │ … 7 lines\n", "  │ step 7\n  │ step 8\n  │ step 9\nBuilt sha256:abc\n"},
			not:       []string{"step 6", "::", "TOKEN"},
			wantLines: 6,
		},
		"build log whole when the build fails": {
			run: func(r *Reporter) {
				buildLog(r, "step", 10)
				r.Output("error-code", "FAILED")
				r.FileErrorf("Dockerfile", 3, "unknown instruction: FORM")
			},
			want: []string{"output error-code=FAILED\n  │ step 0\n", "  │ step 9\nerror: Dockerfile:3: unknown instruction: FORM\n"},
			not:  []string{"…", "::"},
		},
		"masks and annotations": {
			run: func(r *Reporter) {
				r.Mask("hunter2")
				r.Noticef("a note")
				r.Warningf("50%% done\nnext line")
			},
			want: []string{"note: a note\n", "warning: 50% done\nnext line\n"},
			not:  []string{"hunter2", "::"},
		},
		"lifecycle events in a row share a line": {
			run: func(r *Reporter) {
				for _, e := range []string{"ApplicationStop", "Install", "ValidateService"} {
					r.LifecycleEvent("d-1", "Green i-1", e, "Succeeded", "")
				}
				r.LifecycleEvent("d-1", "Blue i-2", "BlockTraffic", "InProgress", "")
				r.LifecycleEvent("d-1", "Blue i-2", "BlockTraffic", "Failed", "(ScriptFailed, script x.sh): exit 1")
				r.Infof("d-1: Failed")
			},
			want: []string{
				"  Green i-1: ApplicationStop … ValidateService Succeeded (3 events)\n" +
					"  Blue i-2: BlockTraffic InProgress\n" +
					"  Blue i-2: BlockTraffic Failed (ScriptFailed, script x.sh): exit 1\n" +
					"d-1: Failed\n",
			},
			wantLines: 4,
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var out bytes.Buffer
			r := New(func(string) string { return "" }, &out)
			r.ForTerminal("")
			tt.run(r)
			got := out.String()
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("output lacks %q:\n%s", w, got)
				}
			}
			for _, n := range tt.not {
				if strings.Contains(got, n) {
					t.Errorf("output holds %q:\n%s", n, got)
				}
			}
			if n := strings.Count(got, "\n"); tt.wantLines > 0 && n != tt.wantLines {
				t.Errorf("got %d lines, want %d:\n%s", n, tt.wantLines, got)
			}
		})
	}
}

// TestFinishAtTerminal checks the end of a run at a terminal: the text
// summary, and the HTML summary's file with masked values replaced.
func TestFinishAtTerminal(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	page := filepath.Join(t.TempDir(), "summary.html")
	r := New(func(string) string { return "" }, &out)
	r.ForTerminal(page)
	r.Mask(`s3cr<e>t`)
	res := summaryCases()["rolled-back-ecs"]
	res.Err = errors.New("deployment failed near s3cr<e>t")
	r.Finish(res)
	for _, want := range []string{"↩️ Rolled back after 2m 22s\n", "  error       deployment failed near ***\n", "Summary with its timeline: " + page + "\n"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	html, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(html, []byte("s3cr")) || !bytes.Contains(html, []byte("near ***")) {
		t.Errorf("the HTML summary does not mask the value")
	}
}
