package report

import (
	"bytes"
	"fmt"
	"html"
	"html/template"
	"strings"
	"time"
)

// HTML renders a run's job summary as a standalone HTML page, for a person
// to open in a browser: the same content as Markdown, with the timeline
// drawn as an inline SVG; a run with several targets has a table of them,
// their failures, and a lane or two each on the timeline. It fetches
// nothing: no scripts, styles or fonts from the network.
func HTML(res *Result) string {
	h, ok := headlines[res.Outcome]
	if !ok {
		h = headlines[OutcomeFailed]
	}
	var md strings.Builder
	writeHeadline(&md, res)
	_, sentence, _ := strings.Cut(md.String(), "\n\n")
	page := struct {
		Title, Sentence string
		Res             *Result
		Error           string
		Targets         []targetView
		Timeline        template.HTML
	}{
		Title:    h.icon + " " + fmt.Sprintf(h.text, formatDuration(res.Duration())),
		Sentence: strings.NewReplacer("`", "").Replace(strings.TrimSpace(sentence)),
		Res:      res,
		Timeline: svgTimeline(lanes(res)),
	}
	if res.Targets != nil {
		page.Targets = targetViews(res)
		page.Sentence = targetsSentence(page.Targets)
		page.Timeline = svgTimeline(targetLanes(res))
	}
	if !res.Outcome.OK() && len(failedTargets(res)) == 0 {
		switch {
		case res.Err != nil:
			page.Error = res.Err.Error()
		case res.Deploy != nil:
			page.Error = res.Deploy.ErrorMessage
		}
	}
	var b bytes.Buffer
	if err := pageTemplate.Execute(&b, page); err != nil {
		panic("report: the HTML template: " + err.Error()) // the template and its data are ours
	}
	return b.String()
}

var pageTemplate = template.Must(template.New("summary").Funcs(template.FuncMap{
	"duration": func(e Event) string {
		if e.Start.IsZero() || e.End.IsZero() {
			return "—"
		}
		return formatDuration(e.End.Sub(e.Start))
	},
	"join": func(s []string) string { return strings.Join(s, ", ") },
}).Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>bluegreen-deploy: {{.Title}}</title>
<style>
body{font-family:system-ui,sans-serif;margin:2em;max-width:72em;color:#1f2328}
code,pre{font-family:ui-monospace,monospace;font-size:90%}pre{background:#f6f8fa;padding:1em;overflow:auto}
table{border-collapse:collapse;margin-bottom:1em}td,th{border:1px solid #d0d7de;padding:.2em .6em}td.d{text-align:right}
.failed{color:#cf222e}svg text{font:12px system-ui,sans-serif}
</style></head><body>
<h1 id="headline">{{.Title}}</h1>
{{with .Sentence}}<p>{{.}}</p>{{end}}
{{with .Error}}<pre id="error">{{.}}</pre>{{end}}
{{with .Res.Deploy}}{{with .Failure}}<details open><summary>{{.Event}} failed{{with .Target}} on {{.}}{{end}}{{with .ErrorCode}} ({{.}}){{end}}</summary>
<ul>{{with .Script}}<li>Script: <code>{{.}}</code></li>{{end}}{{with .File}}<li>File: <code>{{.}}</code></li>{{end}}{{with .Message}}<li>Message: {{.}}</li>{{end}}</ul>
{{with .LogTail}}<pre>{{.}}</pre>{{end}}</details>{{end}}{{end}}
{{with .Res.Image}}<h2>Image</h2><ul id="image"><li>URI: <code>{{.URI}}</code></li>{{with .Tags}}<li>Tags: <code>{{join .}}</code></li>{{end}}
<li>Pushed: {{if .Pushed}}yes, built and pushed by this run{{else}}no, reused an image already in the registry{{end}}</li>{{range .Regions}}<li>{{.Region}}: <code>{{.URI}}</code>, {{.How}}</li>{{end}}</ul>{{end}}
{{with .Res.Secrets}}<h2>Secrets</h2><p id="secrets">{{len .}} fetched (names only): <code>{{join .}}</code></p>{{end}}
{{with .Targets}}<h2>Targets</h2><table id="targets"><tr><th>Target</th><th>Wave</th><th>Region</th><th>Status</th><th>Deployment</th><th>Duration</th><th>Note</th></tr>
{{range $t := .}}<tr><td>{{.Name}}</td><td class="d">{{.Wave}}</td><td>{{.Region}}</td><td{{if .Failure}} class="failed"{{end}}>{{with .Icon}}{{.}} {{end}}{{.State}}</td><td>{{with .ID}}{{if $t.URL}}<a href="{{$t.URL}}">{{.}}</a>{{else}}<code>{{.}}</code>{{end}} {{end}}{{.Status}}{{with .RollbackID}}, rolled back with <code>{{.}}</code>{{end}}</td><td class="d">{{.Duration}}</td><td>{{.Note}}</td></tr>
{{end}}</table>
{{range .}}{{if .Failure}}<details open class="target-failure"><summary>{{.Name}}: {{.State}}</summary><pre>{{.Failure.Message}}</pre></details>
{{end}}{{end}}{{end}}
{{if or .Res.Deploy .Res.GitHub}}<h2>Deployment</h2><ul id="deployment">{{with .Res.Deploy}}
{{with .ID}}<li>ID: {{if $.Res.Deploy.URL}}<a href="{{$.Res.Deploy.URL}}">{{.}}</a>{{else}}<code>{{.}}</code>{{end}}</li>{{end}}
{{range .Where}}{{template "fact" .}}{{end}}
{{with .Status}}<li>Status: {{.}}</li>{{end}}{{with .RollbackID}}<li>Rollback: <code>{{.}}</code></li>{{end}}
{{range .What}}{{template "fact" .}}{{end}}{{end}}
{{with .Res.GitHub}}<li>Environment: {{if .URL}}<a href="{{.URL}}">{{.Environment}}</a>{{else}}<code>{{.Environment}}</code>{{end}} (GitHub deployment {{.ID}}: {{.State}})</li>{{end}}</ul>{{end}}
{{with .Res.Deploy}}{{with .Targets}}<h2>Targets</h2>{{range .}}<h3><code>{{.ID}}</code>{{with .Label}} ({{.}}){{end}}: {{.Status}}</h3>
{{with .Events}}<table><tr><th>Event</th><th>Status</th><th>Duration</th></tr>{{range .}}<tr><td>{{.Name}}</td><td{{if eq .Status "Failed"}} class="failed"{{end}}>{{.Status}}</td><td class="d">{{duration .}}</td></tr>{{end}}</table>{{end}}{{end}}{{end}}{{end}}
{{with .Timeline}}<h2>Timeline</h2>{{.}}{{end}}
</body></html>
{{define "fact"}}{{if .Value}}<li>{{.Label}}: {{if .Link}}<a href="{{.Link}}">{{end}}{{if .Plain}}{{.Value}}{{else}}<code>{{.Value}}</code>{{end}}{{if .Link}}</a>{{end}}</li>{{end}}{{end}}`))

// svgTimeline draws the timeline's lanes, a titled group of rows each, on
// an axis of elapsed seconds; "" when there is nothing to draw.
func svgTimeline(lanes []lane) template.HTML {
	if len(lanes) == 0 {
		return ""
	}
	const (
		labelW, chartW, rowH, top = 220.0, 640.0, 22.0, 24.0
	)
	total := time.Duration(1)
	for _, l := range lanes {
		for _, b := range l.Bars {
			total = max(total, b.End)
		}
	}
	x := func(d time.Duration) float64 { return labelW + chartW*float64(d)/float64(total) }
	var b strings.Builder
	y := top
	row := func(s bar, class, color string) {
		w := max(x(s.End)-x(s.Start), 1)
		fmt.Fprintf(&b, `<g class="%s"><text x="4" y="%.0f">%s</text><rect x="%.1f" y="%.0f" width="%.1f" height="%.0f" fill="%s"><title>%s: %s</title></rect></g>`+"\n",
			class, y+15, html.EscapeString(s.Name), x(s.Start), y+3, w, rowH-6, color, html.EscapeString(s.Name), formatDuration(s.End-s.Start))
		y += rowH
	}
	for _, l := range lanes {
		fmt.Fprintf(&b, `<text x="4" y="%.0f" font-weight="bold">%s</text>`+"\n", y+15, html.EscapeString(l.Title))
		y += rowH
		for _, s := range l.Bars {
			switch {
			case !l.Events:
				row(s, "stage", "#0969da")
			case s.Crit:
				row(s, "event", "#cf222e")
			default:
				row(s, "event", "#1a7f37")
			}
		}
	}
	// The axis: elapsed time at its start and its end.
	fmt.Fprintf(&b, `<line x1="%.0f" y1="%.0f" x2="%.0f" y2="%.0f" stroke="#57606a"/><text x="%.0f" y="%.0f">0s</text><text x="%.0f" y="%.0f" text-anchor="end">%s</text>`+"\n",
		labelW, y+4, labelW+chartW, y+4, labelW, y+18, labelW+chartW, y+18, formatDuration(total))
	return template.HTML(fmt.Sprintf(`<svg id="timeline" xmlns="http://www.w3.org/2000/svg" width="%.0f" height="%.0f" role="img" aria-label="timeline">`+"\n%s</svg>",
		labelW+chartW+8, y+26, b.String()))
}

// redactHTML scrubs the masked values from an HTML page, as they are and
// HTML-escaped, the way Scrub does for text.
func (r *Reporter) redactHTML(s string) string {
	var forms []string
	for _, v := range r.masks() {
		forms = append(forms, v, html.EscapeString(v), template.HTMLEscapeString(v))
	}
	return scrub(s, forms)
}
