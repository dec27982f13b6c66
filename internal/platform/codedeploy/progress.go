package codedeploy

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/codedeploy/types"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/deploy"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/report"
)

// Progress is the CodeDeploy driver's Observer for a run: it turns the
// driver's progress into log lines, outputs and timeline spans of
// res.Deploy, and records the deployment's outcome there.
type Progress struct {
	rep        *report.Reporter
	res        *report.Result
	now        func() time.Time // the driver's clock
	main       string           // the deployment the run drives; others are rollbacks or active ones
	phase      string
	phaseStart time.Time
	shiftStart time.Time // when green first took production traffic
}

// NewProgress returns the Progress of res.Deploy, on the clock now.
func NewProgress(rep *report.Reporter, res *report.Result, now func() time.Time) *Progress {
	return &Progress{rep: rep, res: res, now: now, phaseStart: now()}
}

// Track records the deployment the run drives, with its console link, as
// soon as it exists.
func (p *Progress) Track(id, region string) {
	p.main = id
	d := p.res.Deploy
	d.ID, d.URL = id, consoleURL(region, id)
	p.rep.OutputResult(p.res)
}

// Created opens the run's deployment's first phase, Created, when
// CreateDeployment answers: the timeline does not depend on whether a poll
// saw the deployment before it moved on.
func (p *Progress) Created(string) {
	p.closeAt(p.now())
	p.phase = string(types.DeploymentStatusCreated)
}

func (p *Progress) Phase(id, phase string, at time.Time) {
	if id != p.main {
		p.rep.Infof("%s: %s", id, phase)
		return
	}
	if phase == p.phase {
		return
	}
	p.closeAt(at)
	p.phase = phase
	if phase == deploy.PhaseTerminationWait {
		p.rep.Infof("%s: traffic moved; CodeDeploy waits before terminating the blue fleet (termination wait)", id)
		return
	}
	p.res.Deploy.Status = phase
	p.rep.Output("deployment-status", phase)
	p.rep.Infof("%s: %s", id, phase)
}

// Close ends the open phase's span on the timeline.
func (p *Progress) Close() { p.closeAt(p.now()) }

// closeAt ends the open phase's span at at. Terminal statuses are points,
// not spans.
func (p *Progress) closeAt(at time.Time) {
	if name, ok := phaseSpans[p.phase]; ok {
		p.res.AddSpan(name, p.phaseStart, at)
	}
	p.phase, p.phaseStart = "", at
}

// phaseSpans names the deployment's phases on the timeline.
var phaseSpans = map[string]string{
	string(types.DeploymentStatusCreated):    "deployment created",
	string(types.DeploymentStatusQueued):     "deployment queued",
	string(types.DeploymentStatusInProgress): "deployment in progress",
	string(types.DeploymentStatusBaking):     "deployment baking",
	string(types.DeploymentStatusReady):      "waiting at Ready",
	deploy.PhaseTerminationWait:              "termination wait",
}

func (p *Progress) Event(id string, t deploy.Target, e deploy.Event) {
	who := t.ID
	if t.Label != "" {
		who = t.Label + " " + t.ID
	}
	detail := ""
	if dg := e.Diagnostics; dg != nil && e.Status == string(types.LifecycleEventStatusFailed) {
		detail = fmt.Sprintf("(%s, script %s): %s", dg.ErrorCode, dg.Script, p.rep.Scrub(dg.Message)) // hook text: nothing masks it outside the runner
	}
	p.rep.LifecycleEvent(id, who, e.Name, e.Status, detail)
}

// Weights logs the task sets' traffic weights, or the Lambda alias's
// weight on its target version, and puts the traffic shift, from the first
// production traffic on green (the target version) to all of it, on the
// timeline.
func (p *Progress) Weights(id string, t deploy.Target) {
	var parts []string
	for _, ts := range t.TaskSets {
		parts = append(parts, fmt.Sprintf("%s %g%% (%d/%d running)", ts.Label, ts.Weight, ts.Running, ts.Desired))
		if ts.Label == "Green" {
			p.shift(id, ts.Weight)
		}
	}
	if l := t.Lambda; l != nil {
		parts = append(parts, fmt.Sprintf("alias %s: version %s %g%%, version %s %g%%", l.Alias, l.TargetVersion, l.TargetWeight, l.CurrentVersion, 100-l.TargetWeight))
		p.shift(id, l.TargetWeight)
	}
	p.rep.Infof("%s: %s traffic: %s", id, t.ID, strings.Join(parts, ", "))
}

// shift puts the run's deployment's traffic shift on the timeline as the
// new side's weight moves.
func (p *Progress) shift(id string, weight float64) {
	if id != p.main {
		return
	}
	switch now := p.now(); {
	case weight > 0 && weight < 100 && p.shiftStart.IsZero():
		p.shiftStart = now
	case weight >= 100 && !p.shiftStart.IsZero():
		p.res.AddSpan("traffic shift", p.shiftStart, now)
		p.shiftStart = time.Time{}
	}
}

func (p *Progress) Rollback(id, rollbackID string) {
	if id == p.main {
		p.res.Deploy.RollbackID = rollbackID
		p.rep.OutputResult(p.res)
	}
	p.rep.Warningf("Deployment %s is rolled back by deployment %s", id, rollbackID)
}

func (p *Progress) Note(id, msg string) { p.rep.Infof("%s: %s", id, msg) }

// Record copies a deployment's outcome into the result and the outputs. A
// failed hook script is blamed on its file in bundle, when it is there.
func (p *Progress) Record(out *deploy.Outcome, bundle string) {
	if out == nil {
		return
	}
	d := p.res.Deploy
	d.Status = string(out.Status)
	if out.TrafficShifted {
		d.Status = report.StatusTrafficShifted
	}
	d.TerminationWaitEnds = out.TerminationWaitEnds
	d.RollbackID = out.RollbackID
	d.ErrorCode, d.ErrorMessage = out.ErrorCode, out.ErrorMessage
	d.Targets = d.Targets[:0]
	for _, t := range out.Targets {
		rt := report.Target{ID: t.ID, Label: t.Label, Status: t.Status}
		for _, e := range t.Events {
			rt.Events = append(rt.Events, report.Event{Name: e.Name, Status: e.Status, Start: e.Start, End: e.End})
		}
		d.Targets = append(d.Targets, rt)
	}
	if f := out.Failure; f != nil {
		d.Failure = &report.Diagnostics{
			Target: strings.TrimSpace(f.Label + " " + f.Target), Event: f.Event, ErrorCode: f.ErrorCode,
			Script: f.Script, Message: f.Message, LogTail: f.LogTail,
		}
		if bundle != "" && f.Script != "" {
			if file := filepath.Join(bundle, filepath.FromSlash(strings.TrimPrefix(f.Script, "/"))); isFile(file) {
				d.Failure.File = file
			}
		}
	}
	p.rep.OutputResult(p.res)
}

// Finish ends the open phase, records the deployment's outcome and sets the
// run's outcome when the deployment paused at Ready or timed out.
func (p *Progress) Finish(out *deploy.Outcome, bundle string) {
	p.Close()
	p.Record(out, bundle)
	switch {
	case out == nil:
	case out.Paused:
		p.res.Outcome = report.OutcomePaused
		id := p.res.Deploy.ID
		p.rep.Noticef("Deployment %s is waiting at Ready (on-ready: pause): continue it with command: continue and deployment-id: %s", id, id)
	case out.TimedOut:
		p.res.Outcome = report.OutcomeTimedOut
	}
}

func isFile(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular()
}
