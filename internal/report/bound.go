package report

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Sizes GitHub allows. Outputs: "a maximum of 1 MB per job ... approximated
// based on UTF-16 encoding" (so up to twice their UTF-8 bytes), shared by
// every output of every step in the job. The job summary: the runner drops a
// step's summary over 1024k ("$GITHUB_STEP_SUMMARY upload aborted").
const (
	maxOutput  = 16 << 10   // UTF-8 bytes of one output: at most 32 KiB in UTF-16, so all of ours take about half the job's 1 MB at most
	maxSection = 128 << 10  // bytes of one summary section: the seven fit in a step's 1 MiB
	maxSummary = 1000 << 10 // bytes of a step's whole summary
)

// clip returns s when it has at most limit bytes; else as many of its leading
// parts (split by sep) as fit with a note saying how many were left out,
// e.g. "… (7,950 more lines not shown)". A first part longer than limit is cut
// at a character boundary, and the note counts bytes.
func clip(s string, limit int, sep, unit string) string {
	if len(s) <= limit {
		return s
	}
	if unit != "" {
		unit += " "
	}
	note := func(n int, unit string) string {
		return fmt.Sprintf("%s… (%s more %snot shown)", sep, thousands(n), unit)
	}
	parts := strings.Split(s, sep)
	size := 0
	for k, p := range parts {
		next := size + len(p)
		if k > 0 {
			next += len(sep)
		}
		if next+len(note(len(parts)-k-1, unit)) > limit {
			if k > 0 {
				return s[:size] + note(len(parts)-k, unit)
			}
			break
		}
		size = next
	}
	cut := max(limit-len(note(len(s), "bytes ")), 0)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + note(len(s)-cut, "bytes ")
}

// clipSection bounds one section of the summary to maxSection bytes, at a
// line, and closes the code block or <details> the cut leaves open.
func clipSection(md string) string {
	if len(md) <= maxSection {
		return md
	}
	const reserve = 1 << 10 // for the closing fence and tags
	kept := clip(strings.TrimRight(md, "\n"), maxSection-reserve, "\n", "lines")
	fence, details := "", 0
	for _, line := range strings.Split(kept, "\n") {
		switch t := strings.TrimSpace(line); {
		case fence == "" && strings.HasPrefix(t, "```"):
			fence = t[:len(t)-len(strings.TrimLeft(t, "`"))]
		case fence != "" && t == fence:
			fence = ""
		case fence == "":
			details += strings.Count(t, "<details>") - strings.Count(t, "</details>")
		}
	}
	if fence != "" {
		kept += "\n" + fence
	}
	kept += strings.Repeat("\n</details>", max(details, 0))
	return kept + "\n\n"
}

// thousands formats n with commas: 7950 -> "7,950".
func thousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
