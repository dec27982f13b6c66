package report

import (
	"fmt"
	"strings"
)

// targetView is one target as the summaries show it.
type targetView struct {
	Name, Region, Note string
	Wave               int
	Icon, State        string // the outcome and its headline's icon, or the status while it has none
	ID, URL, Status    string // the deployment's
	RollbackID         string
	Duration           string // "—" until it ends
	Failure            *Failure
	Result             *Result // never nil
}

func targetViews(res *Result) []targetView {
	views := make([]targetView, len(res.Targets))
	for i, t := range res.Targets {
		r := t.Result
		if r == nil {
			r = &Result{}
		}
		v := targetView{Name: t.Name, Region: t.Region, Note: t.Note, Wave: t.Wave, Duration: "—", Result: r, State: string(r.Outcome)}
		if h, ok := headlines[r.Outcome]; ok {
			v.Icon = h.icon
		}
		if v.State == "" {
			v.State = "not started"
			if s := TargetStatus(t); s != StatusNotStarted {
				v.State = s
			}
		}
		if d := r.Deploy; d != nil {
			v.ID, v.URL, v.Status, v.RollbackID = d.ID, d.URL, d.Status, d.RollbackID
		}
		if !r.Start.IsZero() && !r.End.IsZero() {
			v.Duration = formatDuration(r.Duration())
		}
		if targetFailed(t) {
			f, _ := Explain(r)
			v.Failure = &f
		}
		views[i] = v
	}
	return views
}

// targetsSentence counts the targets by their state: "3 targets in 2
// waves: 1 deployed, 1 rolled back, 1 not started."
func targetsSentence(views []targetView) string {
	var states []string
	n := map[string]int{}
	waves := map[int]bool{}
	for _, v := range views {
		if n[v.State] == 0 {
			states = append(states, v.State)
		}
		n[v.State]++
		if v.Wave > 0 {
			waves[v.Wave] = true
		}
	}
	counts := make([]string, len(states))
	for i, s := range states {
		counts[i] = fmt.Sprintf("%d %s", n[s], s)
	}
	head := fmt.Sprintf("%d targets", len(views))
	if len(waves) > 1 {
		head += fmt.Sprintf(" in %d waves", len(waves))
	}
	return head + ": " + strings.Join(counts, ", ") + "."
}

// markdownTargets is Markdown for a run with several targets: the result
// line and the targets' count, the run's own error when no target failed,
// the image, the secrets' names, a table of the targets, one timeline with
// the run's stages and a lane or two per target, and each failed target's
// failure.
func markdownTargets(res *Result) string {
	views := targetViews(res)
	var b strings.Builder
	for _, write := range []func(*strings.Builder){
		func(b *strings.Builder) {
			writeHeadline(b, res)
			b.WriteString(escape(targetsSentence(views)) + "\n\n")
		},
		func(b *strings.Builder) {
			if len(failedTargets(res)) == 0 {
				writeFailure(b, res)
			}
		},
		func(b *strings.Builder) { writeImage(b, res.Image) },
		func(b *strings.Builder) { writeSecrets(b, res.Secrets) },
		func(b *strings.Builder) { writeTargetTable(b, views) },
		func(b *strings.Builder) {
			writeTimeline(b, targetLanes(res))
			b.WriteString("\n")
		},
	} {
		var section strings.Builder
		write(&section)
		b.WriteString(clipSection(section.String()))
	}
	for _, v := range views {
		if v.Failure == nil {
			continue
		}
		var section strings.Builder
		fmt.Fprintf(&section, "### %s %s: %s\n\n", v.Icon, escape(v.Name), escape(v.State))
		writeFailure(&section, v.Result)
		b.WriteString(clipSection(section.String()))
	}
	return strings.TrimRight(b.String(), "\n") + "\n"
}

func writeTargetTable(b *strings.Builder, views []targetView) {
	b.WriteString("### Targets\n\n| Target | Wave | Region | Status | Deployment | Duration | Note |\n|---|---:|---|---|---|---:|---|\n")
	for _, v := range views {
		fmt.Fprintf(b, "| %s | %d | %s | %s | %s | %s | %s |\n",
			escape(v.Name), v.Wave, escape(v.Region), strings.TrimSpace(v.Icon+" "+escape(v.State)), deploymentCell(v), v.Duration, escape(v.Note))
	}
	b.WriteString("\n")
}

// deploymentCell is a target's deployment in the table: its linked id, its
// status, its rollback.
func deploymentCell(v targetView) string {
	if v.ID == "" {
		return escape(v.Status)
	}
	cell := codeSpan(v.ID)
	if v.URL != "" {
		cell = fmt.Sprintf("[%s](%s)", cell, v.URL)
	}
	if v.Status != "" {
		cell += " " + escape(v.Status)
	}
	if v.RollbackID != "" {
		cell += ", rolled back with " + codeSpan(v.RollbackID)
	}
	return cell
}

// targetLanes are the timeline of a run with several targets: the run's
// own stages, then each target's stages and lifecycle events (lanes), on
// the run's clock; a target without a start has none.
func targetLanes(res *Result) []lane {
	ls := lanes(res)
	for _, t := range res.Targets {
		if t.Result == nil || t.Result.Start.IsZero() {
			continue
		}
		r := *t.Result
		if r.End.IsZero() {
			r.End = res.End
		}
		offset := max(r.Start.Sub(res.Start), 0)
		for _, l := range lanes(&r) {
			if l.Title == "Run" {
				l.Title = t.Name
			} else {
				l.Title = t.Name + " " + strings.ToLower(l.Title[:1]) + l.Title[1:]
			}
			for i := range l.Bars {
				l.Bars[i].Start += offset
				l.Bars[i].End += offset
			}
			ls = append(ls, l)
		}
	}
	return ls
}

// textTargets is the terminal's line per target, and the failed ones'
// reasons.
func textTargets(b *strings.Builder, views []targetView) {
	width := 0
	for _, v := range views {
		width = max(width, len(v.Name))
	}
	for _, v := range views {
		id := v.ID
		if id == "" {
			id = "—"
		}
		line := fmt.Sprintf("  %-*s  %-13s %-14s %7s  %s", width, v.Name, v.State, id, v.Duration, v.Note)
		fmt.Fprintln(b, strings.TrimRight(line, " "))
		if v.Failure != nil {
			msg, _, _ := strings.Cut(v.Failure.Message, "\nlog tail:\n")
			for _, l := range strings.Split(msg, "\n") {
				fmt.Fprintf(b, "  %-*s  │ %s\n", width, "", l)
			}
		}
	}
}
