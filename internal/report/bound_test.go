package report

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestClip(t *testing.T) {
	t.Parallel()
	lines := func(n int) string {
		ls := make([]string, n)
		for i := range ls {
			ls[i] = fmt.Sprintf("line %04d", i) // 9 bytes
		}
		return strings.Join(ls, "\n")
	}
	tests := []struct {
		name, s   string
		limit     int
		sep, unit string
		want      string
	}{
		{"fits", "a\nb", 3, "\n", "lines", "a\nb"},
		{"lines", lines(10), 60, "\n", "lines", "line 0000\nline 0001\nline 0002\n… (7 more lines not shown)"},
		{"thousands", lines(8000), 60, "\n", "lines", "line 0000\nline 0001\n… (7,998 more lines not shown)"},
		{"list", "alpha,bravo,charlie,delta,echo,foxtrot", 37, ",", "", "alpha,bravo,… (4 more not shown)"},
		{"one long line", strings.Repeat("é", 40), 40, "\n", "lines", strings.Repeat("é", 5) + "\n… (70 more bytes not shown)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := clip(tt.s, tt.limit, tt.sep, tt.unit)
			if got != tt.want {
				t.Errorf("clip = %q, want %q", got, tt.want)
			}
			if len(got) > tt.limit {
				t.Errorf("clip gave %d bytes, more than %d", len(got), tt.limit)
			}
		})
	}
}

func TestClipSectionClosesBlocks(t *testing.T) {
	t.Parallel()
	body := strings.Repeat("x\n", maxSection)
	tests := []struct{ name, md, wantEnd string }{
		{"code block", "### Error\n\n````text\n" + body + "````\n", "more lines not shown)\n````\n\n"},
		{"details", "<details><summary>s</summary>\n\n" + body + "</details>\n", "more lines not shown)\n</details>\n\n"},
		{"short", "### Image\n\n- x\n\n", "### Image\n\n- x\n\n"},
	}
	for _, tt := range tests {
		got := clipSection(tt.md)
		if len(got) > maxSection || !strings.HasSuffix(got, tt.wantEnd) {
			t.Errorf("%s: clipSection gave %d bytes ending %q, want at most %d ending %q", tt.name, len(got), got[max(len(got)-60, 0):], maxSection, tt.wantEnd)
		}
	}
}

// TestBoundedOutputsAndSummary is the case of 8000 missing secrets: a 775 kB
// error, and as many names in the secrets section.
func TestBoundedOutputsAndSummary(t *testing.T) {
	t.Parallel()
	var errs, names []string
	for i := range 8000 {
		errs = append(errs, fmt.Sprintf(`secret "app/missing-%04d": ResourceNotFoundException: Secrets Manager can't find the specified secret.`, i))
		names = append(names, fmt.Sprintf("APP_SECRET_%04d", i))
	}
	res := &Result{Outcome: OutcomeFailed, Err: errors.New(strings.Join(errs, "\n")), Secrets: names}
	rep, _, env := newTestReporter(t)
	rep.OutputResult(res)
	f, _ := Explain(res)
	rep.Output("error-message", f.Message)
	rep.Summary(Markdown(res))

	out := rep.Outputs()
	for name, v := range out {
		if len(v) > maxOutput {
			t.Errorf("output %s has %d bytes, more than %d", name, len(v), maxOutput)
		}
	}
	if msg := out["error-message"]; !strings.HasPrefix(msg, errs[0]+"\n") || !strings.Contains(msg, "more lines not shown)") {
		t.Errorf("error-message starts %q and ends %q, want the first errors and a note", msg[:80], msg[len(msg)-40:])
	}
	if s := out["secrets"]; !strings.HasPrefix(s, "APP_SECRET_0000,") || !strings.HasSuffix(s, "more not shown)") {
		t.Errorf("secrets output ends %q, want a note", s[len(s)-40:])
	}
	summary := readFile(t, env["GITHUB_STEP_SUMMARY"])
	if len(summary) > 1<<20 {
		t.Errorf("summary has %d bytes, more than 1 MiB", len(summary))
	}
	for _, want := range []string{"more lines not shown)\n```\n", "8000 fetched (names only): `APP_SECRET_0000`", "more not shown)"} {
		if !strings.Contains(summary, want) {
			t.Errorf("summary lacks %q", want)
		}
	}
	t.Logf("error %d bytes -> output %d, summary %d bytes", len(f.Message), len(out["error-message"]), len(summary))
}
