package report

import (
	"fmt"
	"html"
	"strings"
	"time"
)

// Markdown renders a run's job summary: the result line, what went wrong,
// the image, the secrets' names, the deployment, its targets' lifecycle
// events and a timeline. It is pure: the same Result gives the same text,
// and a Result holds no secret values, so neither does the summary. Each
// section is bounded (maxSection), saying how much it leaves out. A run
// with several targets has its own layout (markdownTargets).
func Markdown(res *Result) string {
	if res.Targets != nil {
		return markdownTargets(res)
	}
	var b strings.Builder
	for _, write := range []func(*strings.Builder){
		func(b *strings.Builder) { writeHeadline(b, res) },
		func(b *strings.Builder) { writeFailure(b, res) },
		func(b *strings.Builder) { writeImage(b, res.Image) },
		func(b *strings.Builder) { writeSecrets(b, res.Secrets) },
		func(b *strings.Builder) { writeDeployment(b, res.Deploy, res.GitHub) },
		func(b *strings.Builder) { writeTargets(b, res.Deploy) },
		func(b *strings.Builder) { writeTimeline(b, lanes(res)) },
	} {
		var section strings.Builder
		write(&section)
		b.WriteString(clipSection(section.String()))
	}
	return strings.TrimRight(b.String(), "\n") + "\n"
}

var headlines = map[Outcome]struct{ icon, text string }{
	OutcomeDone:       {"✅", "Done in %s"},
	OutcomeDeployed:   {"✅", "Deployed in %s"},
	OutcomePaused:     {"⏸️", "Paused at Ready after %s"},
	OutcomeShifted:    {"✅", "Traffic shifted in %s"},
	OutcomeRolledBack: {"↩️", "Rolled back after %s"},
	OutcomeFailed:     {"❌", "Failed after %s"},
	OutcomeCancelled:  {"🚫", "Cancelled after %s"},
	OutcomeTimedOut:   {"⏱️", "Timed out after %s"},
	OutcomeSuperseded: {"⏭️", "Superseded by a newer run after %s"},
}

// waitEnd says when the deployment's termination wait ends, if it is in one.
func waitEnd(d *Deployment, format string) string {
	if d.TerminationWaitEnds.IsZero() {
		return ""
	}
	return fmt.Sprintf(format, d.TerminationWaitEnds.UTC().Format("2006-01-02 15:04:05 UTC"))
}

func writeHeadline(b *strings.Builder, res *Result) {
	h, ok := headlines[res.Outcome]
	if !ok {
		h = headlines[OutcomeFailed]
	}
	fmt.Fprintf(b, "## %s "+h.text+"\n\n", h.icon, formatDuration(res.Duration()))
	d := res.Deploy
	if d == nil || d.ID == "" {
		return
	}
	id := codeSpan(d.ID)
	switch res.Outcome {
	case OutcomePaused:
		fmt.Fprintf(b, "Deployment %s waits at Ready: the new version is installed and production traffic has not moved. "+
			"Run the action with `command: continue` to shift traffic, or `command: stop` to roll back, and `deployment-id: %s`.\n\n", id, d.ID)
	case OutcomeShifted:
		fmt.Fprintf(b, "Deployment %s has moved all production traffic to the new version; %s keeps the original environment through its termination wait%s. "+
			"Until then, `command: stop` with `deployment-id: %s` rolls it back.\n\n", id, d.Service, waitEnd(d, " (until %s)"), d.ID)
	case OutcomeRolledBack:
		if d.RollbackID != "" {
			fmt.Fprintf(b, "Deployment %s ended %s and %s rolled it back with %s: production traffic stays on the previous version.\n\n",
				id, escape(d.Status), d.Service, codeSpan(d.RollbackID))
		} else {
			fmt.Fprintf(b, "Deployment %s ended %s and was rolled back: production traffic stays on the previous version.\n\n", id, escape(d.Status))
		}
	case OutcomeFailed:
		if d.Status != "" {
			fmt.Fprintf(b, "Deployment %s ended %s, and %s did not roll it back.\n\n", id, escape(d.Status), d.Service)
		}
	case OutcomeDone:
		if d.Status != "" {
			fmt.Fprintf(b, "Deployment %s is %s%s.\n\n", id, escape(d.Status), waitEnd(d, ", in its termination wait until %s"))
		}
	case OutcomeCancelled, OutcomeTimedOut:
		switch {
		case d.RollbackID != "":
			fmt.Fprintf(b, "Deployment %s was stopped and rolled back with %s.\n\n", id, codeSpan(d.RollbackID))
		case d.Status != "":
			fmt.Fprintf(b, "Deployment %s was left %s.\n\n", id, escape(d.Status))
		}
	}
}

// writeFailure writes what went wrong, and the failing lifecycle event's
// diagnostics in a collapsed block.
func writeFailure(b *strings.Builder, res *Result) {
	if res.Outcome.OK() {
		return
	}
	msg := ""
	switch {
	case res.Err != nil:
		msg = res.Err.Error()
	case res.Deploy != nil && res.Deploy.ErrorMessage != "":
		msg = res.Deploy.ErrorMessage
	}
	if msg != "" {
		writeCode(b, "text", msg)
	}
	if res.Deploy == nil || res.Deploy.Failure == nil {
		return
	}
	f := res.Deploy.Failure
	title := f.Event + " failed"
	if f.Target != "" {
		title += " on " + f.Target
	}
	if f.ErrorCode != "" {
		title += " (" + f.ErrorCode + ")"
	}
	fmt.Fprintf(b, "<details><summary>%s</summary>\n\n", html.EscapeString(title))
	if f.Script != "" {
		fmt.Fprintf(b, "- **Script:** %s\n", codeSpan(f.Script))
	}
	if f.File != "" {
		loc := f.File
		if f.Line > 0 {
			loc = fmt.Sprintf("%s:%d", f.File, f.Line)
		}
		fmt.Fprintf(b, "- **File:** %s\n", codeSpan(loc))
	}
	if f.Message != "" {
		fmt.Fprintf(b, "- **Message:** %s\n", escape(f.Message))
	}
	b.WriteString("\n")
	if f.LogTail != "" {
		b.WriteString("Log tail:\n\n")
		writeCode(b, "text", f.LogTail)
	}
	b.WriteString("</details>\n\n")
}

func writeImage(b *strings.Builder, im *Image) {
	if im == nil {
		return
	}
	b.WriteString("### Image\n\n")
	fmt.Fprintf(b, "- **URI:** %s\n", codeSpan(im.URI))
	if len(im.Tags) > 0 {
		fmt.Fprintf(b, "- **Tags:** %s\n", codeList(im.Tags))
	}
	if im.Pushed {
		b.WriteString("- **Pushed:** yes, built and pushed by this run\n")
	} else {
		b.WriteString("- **Pushed:** no, reused an image already in the registry\n")
	}
	for _, r := range im.Regions {
		fmt.Fprintf(b, "- **%s:** %s, %s\n", escape(r.Region), codeSpan(r.URI), r.How())
	}
	b.WriteString("\n")
}

func writeSecrets(b *strings.Builder, names []string) {
	if len(names) == 0 {
		return
	}
	b.WriteString("### Secrets\n\n")
	fmt.Fprintf(b, "%d fetched (names only): %s\n\n", len(names), clip(codeList(names), maxSection-100, ", ", ""))
}

func writeDeployment(b *strings.Builder, d *Deployment, gh *GitHubDeployment) {
	if d == nil && gh == nil {
		return
	}
	b.WriteString("### Deployment\n\n")
	if d != nil {
		id := codeSpan(d.ID)
		if d.ID != "" && d.URL != "" {
			id = fmt.Sprintf("[%s](%s)", escape(d.ID), d.URL)
		}
		rows := [][2]string{{"ID", id}}
		for _, f := range d.Where {
			rows = append(rows, [2]string{f.Label, factMarkdown(f)})
		}
		rows = append(rows, [2]string{"Status", escape(d.Status)}, [2]string{"Rollback", codeSpan(d.RollbackID)})
		for _, f := range d.What {
			rows = append(rows, [2]string{f.Label, factMarkdown(f)})
		}
		for _, row := range rows {
			if row[1] != "" {
				fmt.Fprintf(b, "- **%s:** %s\n", row[0], row[1])
			}
		}
	}
	if gh != nil {
		env := codeSpan(gh.Environment)
		if gh.URL != "" {
			env = fmt.Sprintf("[%s](%s)", escape(gh.Environment), gh.URL)
		}
		fmt.Fprintf(b, "- **Environment:** %s (GitHub deployment %d: %s)\n", env, gh.ID, escape(gh.State))
	}
	b.WriteString("\n")
}

// factMarkdown renders a fact's value: code unless Plain, linked when it
// has a link; "" when it has no value.
func factMarkdown(f Fact) string {
	v := codeSpan(f.Value)
	if f.Plain {
		v = escape(f.Value)
	}
	if f.Value != "" && f.Link != "" {
		v = fmt.Sprintf("[%s](%s)", v, f.Link)
	}
	return v
}

func writeTargets(b *strings.Builder, d *Deployment) {
	if d == nil || len(d.Targets) == 0 {
		return
	}
	b.WriteString("### Targets\n\n")
	for _, t := range d.Targets {
		name := codeSpan(t.ID)
		if t.Label != "" {
			name += " (" + escape(t.Label) + ")"
		}
		fmt.Fprintf(b, "#### %s: %s\n\n", name, escape(t.Status))
		if len(t.Events) == 0 {
			continue
		}
		b.WriteString("| Event | Status | Duration |\n|---|---|---:|\n")
		for _, e := range t.Events {
			dur := "—"
			if !e.Start.IsZero() && !e.End.IsZero() {
				dur = formatDuration(e.End.Sub(e.Start))
			}
			status := escape(e.Status)
			if e.Status == "Failed" {
				status = "❌ " + status
			}
			fmt.Fprintf(b, "| %s | %s | %s |\n", escape(e.Name), status, dur)
		}
		b.WriteString("\n")
	}
}

// writeTimeline draws the timeline's lanes (see lanes) as a Mermaid gantt
// chart, one section each, on one clock: time since the run's start,
// written as milliseconds from the epoch so that the axis reads as elapsed
// time.
func writeTimeline(b *strings.Builder, lanes []lane) {
	if len(lanes) == 0 {
		return
	}
	b.WriteString("### Timeline\n\n```mermaid\ngantt\n    dateFormat x\n    axisFormat %H:%M:%S\n")
	for _, l := range lanes {
		fmt.Fprintf(b, "    section %s\n", ganttName(l.Title))
		for _, s := range l.Bars {
			tag := ""
			if s.Crit {
				tag = "crit, "
			}
			fmt.Fprintf(b, "    %s :%s%d, %d\n", ganttName(s.Name), tag, s.Start.Milliseconds(), s.End.Milliseconds())
		}
	}
	b.WriteString("```\n")
}

// deploymentPhases merges the targets' lifecycle events by name, in the
// order first seen: each phase runs from its earliest start to its latest end.
func deploymentPhases(d *Deployment) []Span {
	if d == nil {
		return nil
	}
	var phases []Span
	index := map[string]int{}
	for _, t := range d.Targets {
		for _, e := range t.Events {
			if e.Start.IsZero() {
				continue
			}
			i, ok := index[e.Name]
			if !ok {
				index[e.Name] = len(phases)
				phases = append(phases, Span{Name: e.Name, Start: e.Start, End: e.End})
				continue
			}
			p := &phases[i]
			if e.Start.Before(p.Start) {
				p.Start = e.Start
			}
			if p.End.IsZero() || e.End.IsZero() {
				p.End = time.Time{}
			} else if e.End.After(p.End) {
				p.End = e.End
			}
		}
	}
	return phases
}

// ganttName keeps a task name to what Mermaid's gantt syntax accepts.
func ganttName(s string) string {
	s = strings.Map(func(r rune) rune {
		switch r {
		case ':', '#', ';', '\n', '\r':
			return ' '
		}
		return r
	}, s)
	return strings.Join(strings.Fields(s), " ")
}

// formatDuration prints a duration for people: 0.8s, 42s, 3m 05s, 1h 02m.
func formatDuration(d time.Duration) string {
	d = max(d, 0)
	switch {
	case d < 10*time.Second:
		return fmt.Sprintf("%.1fs", d.Seconds())
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Round(time.Second).Seconds()))
	case d < time.Hour:
		d = d.Round(time.Second)
		return fmt.Sprintf("%dm %02ds", int(d.Minutes()), int(d.Seconds())%60)
	}
	d = d.Round(time.Minute)
	return fmt.Sprintf("%dh %02dm", int(d.Hours()), int(d.Minutes())%60)
}

// codeSpan renders s as inline code, whatever backticks it holds; "" stays "".
func codeSpan(s string) string {
	if s == "" {
		return ""
	}
	s = strings.ReplaceAll(s, "\n", " ")
	fence := "`"
	for strings.Contains(s, fence) {
		fence += "`"
	}
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") {
		s = " " + s + " "
	}
	return fence + s + fence
}

func codeList(items []string) string {
	spans := make([]string, len(items))
	for i, s := range items {
		spans[i] = codeSpan(s)
	}
	return strings.Join(spans, ", ")
}

// writeCode writes text as a fenced code block longer than any backtick run in it.
func writeCode(b *strings.Builder, lang, text string) {
	fence := "```"
	for strings.Contains(text, fence) {
		fence += "`"
	}
	fmt.Fprintf(b, "%s%s\n%s\n%s\n\n", fence, lang, strings.TrimRight(text, "\n"), fence)
}

var markdownEscaper = strings.NewReplacer(
	`\`, `\\`, "`", "\\`", "*", `\*`, "_", `\_`, "[", `\[`, "]", `\]`, "|", `\|`,
	"<", "&lt;", ">", "&gt;", "&", "&amp;", "\n", " ",
)

// escape keeps text from being read as Markdown or HTML.
func escape(s string) string { return markdownEscaper.Replace(s) }
