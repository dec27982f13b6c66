package deploy

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// DescriptionLimit is the longest description CodeDeploy accepts, in
// characters (runes), as its quotas page counts them.
const DescriptionLimit = 100

// Description is the deployment's description: the user's text (or a
// default) trimmed so that the commit still fits in DescriptionLimit
// characters. The run link is left to the GitHub deployment and the summary.
func Description(text, commit string) string {
	return RunDescription(text, commit, Run{})
}

// RunDescription is Description ending with the run's marker, "run
// <id>/<attempt>", by which the driver finds the deployments a run made.
func RunDescription(text, commit string, run Run) string {
	if text == "" {
		text = "bluegreen-deploy"
	}
	var parts []string
	if commit != "" {
		parts = append(parts, "commit "+commit[:min(len(commit), 12)])
	}
	if run.ID > 0 {
		parts = append(parts, run.Marker())
	}
	if len(parts) == 0 {
		return trimRunes(text, DescriptionLimit)
	}
	suffix := " (" + strings.Join(parts, ", ") + ")"
	return trimRunes(text, DescriptionLimit-len(suffix)) + suffix
}

// Run is a GitHub Actions workflow run: GITHUB_RUN_ID, which grows with
// each triggered run, and GITHUB_RUN_ATTEMPT, which grows with each re-run.
type Run struct {
	ID, Attempt int64
}

// String is the run as "<id>/<attempt>".
func (r Run) String() string { return fmt.Sprintf("%d/%d", r.ID, r.Attempt) }

// Marker is how a description names the run.
func (r Run) Marker() string { return "run " + r.String() }

// markerPattern finds a run's marker at the end of a description.
var markerPattern = regexp.MustCompile(`\brun (\d+/\d+)\)$`)

// runOf reads the run a description names; ok is false when it names none.
func runOf(description string) (Run, bool) {
	m := markerPattern.FindStringSubmatch(description)
	if m == nil {
		return Run{}, false
	}
	return ParseRun(m[1])
}

// runPattern is a run as String writes it.
var runPattern = regexp.MustCompile(`^(\d+)/(\d+)$`)

// ParseRun reads a run written by String; ok is false when s is not one.
func ParseRun(s string) (Run, bool) {
	m := runPattern.FindStringSubmatch(s)
	if m == nil {
		return Run{}, false
	}
	id, err1 := strconv.ParseInt(m[1], 10, 64)
	attempt, err2 := strconv.ParseInt(m[2], 10, 64)
	if err1 != nil || err2 != nil {
		return Run{}, false
	}
	return Run{ID: id, Attempt: attempt}, true
}

// trimRunes shortens s to at most n runes, ending with "…" when cut.
func trimRunes(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
