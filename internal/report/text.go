package report

import (
	"fmt"
	"slices"
	"strings"
)

// Text renders a run's summary for a terminal: the result line, what went
// wrong, the image, the secrets' names, the deployment and its targets in
// a few lines, and one line per stage with its wall-clock duration; a run
// with several targets has one line per target after the result line, and
// its failed targets' reasons instead of its own error. Like Markdown it is
// pure and holds no secret values.
func Text(res *Result) string {
	var b strings.Builder
	h, ok := headlines[res.Outcome]
	if !ok {
		h = headlines[OutcomeFailed]
	}
	fmt.Fprintf(&b, "%s "+h.text+"\n", h.icon, formatDuration(res.Duration()))
	row := func(name, format string, args ...any) {
		fmt.Fprintf(&b, "  %-11s %s\n", name, strings.ReplaceAll(fmt.Sprintf(format, args...), "\n", " "))
	}
	if res.Targets != nil {
		views := targetViews(res)
		fmt.Fprintf(&b, "  %s\n", targetsSentence(views))
		textTargets(&b, views)
	}
	if !res.Outcome.OK() && len(failedTargets(res)) == 0 {
		switch {
		case res.Err != nil:
			row("error", "%v", res.Err)
		case res.Deploy != nil && res.Deploy.ErrorMessage != "":
			row("error", "%s", res.Deploy.ErrorMessage)
		}
		if d := res.Deploy; d != nil && d.Failure != nil {
			f := d.Failure
			row("failed", "%s on %s (%s, script %s): %s", f.Event, f.Target, f.ErrorCode, f.Script, f.Message)
			for _, l := range strings.Split(strings.TrimRight(f.LogTail, "\n"), "\n") {
				if l != "" {
					fmt.Fprintf(&b, "  %-11s │ %s\n", "", l)
				}
			}
		}
	}
	if im := res.Image; im != nil {
		how := "already in the registry"
		if im.Pushed {
			how = "built and pushed"
		}
		row("image", "%s (%s)", im.URI, how)
		for _, r := range im.Regions {
			row(r.Region, "%s (%s)", r.URI, r.How())
		}
	}
	if len(res.Secrets) > 0 {
		row("secrets", "%d fetched: %s", len(res.Secrets), strings.Join(res.Secrets, ", "))
	}
	if d := res.Deploy; d != nil && d.ID != "" {
		row("deployment", "%s %s (%s)", d.ID, d.Status, d.Title)
		if d.RollbackID != "" {
			row("rollback", "%s", d.RollbackID)
		}
		if len(d.Targets) > 0 {
			row("targets", "%s", targetCounts(d.Targets))
		}
	}
	for i, s := range res.Timeline {
		end := s.End
		if end.IsZero() {
			end = res.End
		}
		name := ""
		if i == 0 {
			name = "stages"
		}
		row(name, "%-24s %7s", s.Name, formatDuration(end.Sub(s.Start)))
	}
	return b.String()
}

// targetCounts counts the targets by label and status, in that order: "2
// Blue Succeeded, 2 Green Succeeded".
func targetCounts(targets []Target) string {
	var keys []string
	n := map[string]int{}
	for _, t := range targets {
		k := strings.TrimSpace(t.Label + " " + t.Status)
		if n[k] == 0 {
			keys = append(keys, k)
		}
		n[k]++
	}
	slices.Sort(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%d %s", n[k], k)
	}
	return strings.Join(parts, ", ")
}
