package report

import (
	"fmt"
	"strings"
	"time"
)

// bar is one bar of the run's timeline, as offsets from the run's start.
type bar struct {
	Name       string
	Start, End time.Duration
	Crit       bool // the failing lifecycle event
}

// lane is one section of a timeline: the run's stages, or a deployment's
// lifecycle events.
type lane struct {
	Title  string
	Bars   []bar
	Events bool // lifecycle events, else stages
}

// lanes are the run's timeline: its stages and its deployment's lifecycle
// events (see timeline), each a lane if it has bars.
func lanes(res *Result) []lane {
	run, events, scale := timeline(res)
	var ls []lane
	if len(run) > 0 {
		ls = append(ls, lane{Title: "Run", Bars: run})
	}
	if len(events) > 0 {
		ls = append(ls, lane{Title: "Lifecycle events" + scaleNote(res.Deploy, scale), Bars: events, Events: true})
	}
	return ls
}

// timeline puts the run's stages and the deployment's lifecycle events on
// one clock: the wall clock, as offsets from the run's start.
//
// The stages are measured on the wall clock. Lifecycle events carry
// the deploying service's own times, on another clock (the sandbox's runs up to 600
// times faster than the wall clock), so they are placed relative to the
// first event's start, which is put where the wall clock saw the deployment
// begin (its earliest "deployment ..." span; without one, at the service's
// own time or at the end of the last stage, whichever is earlier), and
// scaled by scale: 1 unless the service's span of events is longer than the
// wall clock's span of the deployment, when scale shrinks it to fit (it
// never stretches). The lifecycle section's title states the scale.
func timeline(res *Result) (run, events []bar, scale float64) {
	at := func(t time.Time) time.Duration { return max(t.Sub(res.Start), 0) }
	end := func(s Span) time.Duration {
		e := s.End
		if e.IsZero() || e.Before(s.Start) {
			e = res.End
		}
		return max(at(e), at(s.Start))
	}
	for _, s := range res.Timeline {
		run = append(run, bar{Name: s.Name, Start: at(s.Start), End: end(s)})
	}
	phases := deploymentPhases(res.Deploy)
	if len(phases) == 0 {
		return run, nil, 1
	}
	first, last := phases[0].Start, phases[0].Start
	for _, p := range phases {
		if p.Start.Before(first) {
			first = p.Start
		}
		last = latest(last, p.Start, p.End)
	}
	// Where the deployment began and ended on the wall clock.
	origin, wallEnd := time.Duration(-1), at(res.End)
	for _, b := range run {
		if isDeploymentSpan(b.Name) && (origin < 0 || b.Start < origin) {
			origin = b.Start
		}
	}
	if origin < 0 { // no deployment span: the service's time, but not after the last stage
		origin = at(first)
		for _, b := range run {
			origin = min(origin, max(b.End, b.Start))
		}
	}
	scale = 1
	if cd, wall := last.Sub(first), wallEnd-origin; cd > 0 && wall >= 0 && cd > wall {
		scale = float64(wall) / float64(cd)
	}
	failed := ""
	if f := res.Deploy.Failure; f != nil {
		failed = f.Event
	}
	place := func(t time.Time) time.Duration { return origin + time.Duration(float64(t.Sub(first))*scale) }
	for _, p := range phases {
		e := p.End
		if e.IsZero() {
			e = last
		}
		events = append(events, bar{Name: p.Name, Start: place(p.Start), End: place(e), Crit: p.Name == failed})
	}
	return run, events, scale
}

// isDeploymentSpan reports whether a run span is the deployment's own (the
// pipeline names them "deployment ...").
func isDeploymentSpan(name string) bool {
	return strings.HasPrefix(name, "deployment")
}

func latest(t time.Time, more ...time.Time) time.Time {
	for _, m := range more {
		if m.After(t) {
			t = m
		}
	}
	return t
}

// scaleNote says how the deploying service's clock was scaled onto the
// wall clock, or "".
func scaleNote(d *Deployment, scale float64) string {
	if scale >= 1 || d == nil {
		return ""
	}
	return fmt.Sprintf(" (%s's clock scaled by 1/%.0f to fit)", d.Service, 1/scale)
}
