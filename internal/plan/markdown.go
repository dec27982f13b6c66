package plan

import (
	"fmt"
	"strings"
	"time"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/rollout"
)

// maxDiff is the most of one diff the Markdown shows: a pull request
// comment holds at most 65,536 characters (plan-json has the whole diff).
const maxDiff = 20000

// Markdown renders the plan for the job summary and the pull request
// comment.
func (p *Plan) Markdown() string {
	var b strings.Builder
	if len(p.Targets) > 0 {
		p.targetsMarkdown(&b)
	} else {
		p.targetMarkdown(&b)
	}
	p.sharedMarkdown(&b)
	return strings.TrimRight(b.String(), "\n") + "\n"
}

// targetsMarkdown is the plan of a run with several targets: a line on
// them all, then each target's plan, its headings one level down.
func (p *Plan) targetsMarkdown(b *strings.Builder) {
	changed, waves := 0, map[int]bool{}
	for _, t := range p.Targets {
		waves[t.Wave] = true
		if t.Plan.Changed() {
			changed++
		}
	}
	fmt.Fprintf(b, "### Plan: %d targets in %d waves\n\n", len(p.Targets), len(waves))
	if changed > 0 {
		fmt.Fprintf(b, "**Changes**: the deploy would change what is live in %d of %d targets.\n\n", changed, len(p.Targets))
	} else {
		b.WriteString("**No changes**: the deploy would change nothing live.\n\n")
	}
	for _, w := range p.Warnings {
		fmt.Fprintf(b, "- ⚠️ %s\n\n", w)
	}
	for _, t := range p.Targets {
		var tb strings.Builder
		t.Plan.targetMarkdown(&tb)
		md := strings.ReplaceAll(tb.String(), "\n#### ", "\n##### ")
		md = strings.Replace(md, "### Plan: ", fmt.Sprintf("#### %s (wave %d): ", t.Name, t.Wave), 1)
		b.WriteString(md)
	}
}

// targetMarkdown is one target's part of the plan: what would change,
// the warnings, the rollout and what is live.
func (p *Plan) targetMarkdown(b *strings.Builder) {
	t := p.Target
	fmt.Fprintf(b, "### Plan: %s %s `%s`", t.Platform, t.Kind, t.Name)
	if t.Environment != "" {
		fmt.Fprintf(b, " → %s", t.Environment)
	}
	b.WriteString("\n\n")
	if p.Changed() {
		b.WriteString("**Changes**: the deploy would change what is live.\n\n")
	} else {
		b.WriteString("**No changes**: the deploy would change nothing live.\n\n")
	}
	if len(p.Changes) > 0 {
		b.WriteString("| | live | after the deploy |\n|---|---|---|\n")
		for _, c := range p.Changes {
			fmt.Fprintf(b, "| %s | %s | %s |\n", cell(c.What), code(c.Live), code(c.Next))
		}
		b.WriteString("\n")
	}
	for _, d := range p.Diffs {
		fmt.Fprintf(b, "<details open><summary>%s</summary>\n\n```diff\n%s```\n</details>\n\n", html(d.Title), cut(d.Unified))
	}
	if len(p.Warnings) > 0 {
		b.WriteString("#### Warnings\n\n")
		for _, w := range p.Warnings {
			fmt.Fprintf(b, "- ⚠️ %s\n", w)
		}
		b.WriteString("\n")
	}
	if r := p.Rollout; r != nil {
		p.rolloutMarkdown(b, r)
	}
	if len(p.Live) > 0 {
		b.WriteString("#### Live now\n\n| | |\n|---|---|\n")
		for _, f := range p.Live {
			fmt.Fprintf(b, "| %s | %s |\n", cell(f.Label), code(f.Value))
		}
		b.WriteString("\n")
	}
}

// sharedMarkdown is the plan's image and secrets, the same for every
// target.
func (p *Plan) sharedMarkdown(b *strings.Builder) {
	if img := p.Image; img != nil {
		b.WriteString("#### Image\n\n")
		b.WriteString(img.sentence())
		b.WriteString("\n\n")
	}
	if len(p.Secrets) > 0 {
		b.WriteString("#### Secrets\n\n| secret | status |\n|---|---|\n")
		for _, s := range p.Secrets {
			status := string(s.Status)
			if s.Detail != "" && !s.Fetchable() {
				status += ": " + s.Detail
			}
			id := code(s.ID)
			if s.Name != "" && s.Name != s.ID {
				id += " → " + code(s.Name)
			}
			fmt.Fprintf(b, "| %s | %s |\n", id, cell(status))
		}
		b.WriteString("\nNo secret value was read: the plan describes secrets, it does not fetch them.\n")
	}
}

func (p *Plan) rolloutMarkdown(b *strings.Builder, r *Rollout) {
	b.WriteString("#### Rollout\n\n")
	if r.Config != "" {
		fmt.Fprintf(b, "`%s`: ", r.Config)
	}
	b.WriteString(r.Strategy + "\n\n")
	if len(r.Steps) > 1 {
		var steps []string
		for _, s := range r.Steps {
			steps = append(steps, fmt.Sprintf("%s %s%%", clock(s.After), percent(s.Percent)))
		}
		fmt.Fprintf(b, "- traffic on the new revision: %s\n", strings.Join(steps, " · "))
	}
	if r.Pause {
		wait := "until it is continued"
		if r.ReadyWait > 0 {
			wait = fmt.Sprintf("until it is continued, at most %s (then it stops)", clock(r.ReadyWait))
		}
		fmt.Fprintf(b, "- waits at Ready, before production traffic moves, %s; the times below count from the continue\n", wait)
	}
	if r.AfterLabel != "" {
		fmt.Fprintf(b, "- %s: %s\n", r.AfterLabel, clock(r.After))
	}
	fmt.Fprintf(b, "- all traffic shifted after %s; done after %s (counting %s for the new revision to start)\n\n",
		rollout.Approx(r.ToTraffic()), rollout.Approx(r.Total()), clock(rollout.Setup))
}

// sentence says what the image stage would do.
func (img *Image) sentence() string {
	tag := ""
	if len(img.Tags) > 0 {
		tag = img.Tags[0]
	}
	switch img.Action {
	case ImageBuild:
		s := fmt.Sprintf("Would build %s in %s and push it as %s; its digest is known only after the build.",
			code(img.Dockerfile), code(img.Context), code(img.Repository+":"+strings.Join(img.Tags, ", :")))
		if img.CreateRepository {
			s += " The repository does not exist: the deploy would create it (create-repository)."
		}
		return s
	case ImageSkip:
		return fmt.Sprintf("Tag %s is in ECR: %s; nothing would be built or pushed.", code(tag), code(img.URI))
	}
	return fmt.Sprintf("The image input is %s.", code(img.URI))
}

// clock spells a duration of whole minutes as the rollout's settings do:
// "0m", "5m", "1h30m".
func clock(d time.Duration) string {
	if d < time.Hour {
		return fmt.Sprintf("%dm", int(d/time.Minute))
	}
	return strings.TrimSuffix(d.Truncate(time.Minute).String(), "0s")
}

func percent(p float64) string {
	return strings.TrimSuffix(strings.TrimRight(fmt.Sprintf("%.1f", p), "0"), ".")
}

// code is s as inline code in a table cell; "" is a dash.
func code(s string) string {
	if s == "" {
		return "—"
	}
	return "`" + strings.ReplaceAll(s, "|", `\|`) + "`"
}

func cell(s string) string { return strings.ReplaceAll(s, "|", `\|`) }

func html(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// cut shortens a diff to maxDiff, on a line boundary, saying how much is left out.
func cut(diff string) string {
	if len(diff) <= maxDiff {
		return diff
	}
	i := strings.LastIndexByte(diff[:maxDiff], '\n') + 1
	return diff[:i] + fmt.Sprintf("… %d more lines: the plan-json output has the whole diff\n", strings.Count(diff[i:], "\n"))
}
