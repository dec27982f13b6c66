package codedeploy

import (
	"fmt"
	"path/filepath"
	"slices"
	"time"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim"
)

// Simulated durations of the lifecycle engine.
const (
	cdStartDelay = 2 * time.Second  // Created -> InProgress
	cdProvision  = 60 * time.Second // COPY_AUTO_SCALING_GROUP launching the green fleet
	cdGap        = time.Second      // between one event's end and the next one's start
	cdEventTime  = 5 * time.Second  // an event not listed in cdEventTimes
)

// cdEventTimes are the simulated durations of lifecycle events that take
// longer than cdEventTime. ECS AllowTraffic lasts this long after its last
// weight change.
var cdEventTimes = map[string]time.Duration{
	"Install":          20 * time.Second,
	"ValidateService":  10 * time.Second,
	"AllowTestTraffic": 10 * time.Second,
	"AllowTraffic":     15 * time.Second,
	"BlockTraffic":     15 * time.Second,
}

func cdEventDuration(name string) time.Duration {
	if d, ok := cdEventTimes[name]; ok {
		return d
	}
	return cdEventTime
}

// Lifecycle event lists.
var (
	cdInstallEvents = []string{"ApplicationStop", "DownloadBundle", "BeforeInstall", "Install", "AfterInstall", "ApplicationStart", "ValidateService"}
	cdAllowEvents   = []string{"BeforeAllowTraffic", "AllowTraffic", "AfterAllowTraffic"}
	cdBlockEvents   = []string{"BeforeBlockTraffic", "BlockTraffic", "AfterBlockTraffic"}
	cdECSEvents     = []string{"BeforeInstall", "Install", "AfterInstall", "AllowTestTraffic", "AfterAllowTestTraffic", "BeforeAllowTraffic", "AllowTraffic", "AfterAllowTraffic"}
)

// cdStep is one thing a deployment does, after a delay from its previous step.
type cdStep struct {
	after time.Duration
	run   func(t time.Time)
}

// cdWait is a deployment waiting at Ready or in its termination wait.
type cdWait struct {
	ready    bool // else the termination wait
	deadline time.Time
}

// cdAdvance runs every deployment step due by the clock's current time, in
// time order, so that the answer to any call reflects the simulated present.
func (s *Service) cdAdvance() {
	now := s.Clock.Now()
	for {
		var next *cdDeployment
		var at time.Time
		for _, d := range s.cd.deployments {
			if t, ok := d.due(); ok && !t.After(now) && (next == nil || t.Before(at)) {
				next, at = d, t
			}
		}
		if next == nil {
			return
		}
		s.cdStep(next, at)
	}
}

// due returns when the deployment's next step or wait timeout happens.
func (d *cdDeployment) due() (time.Time, bool) {
	switch {
	case d.terminal():
		return time.Time{}, false
	case d.stop != nil:
		return d.stop.at, true
	case d.hung || d.agent != nil && d.agent.busy:
		return time.Time{}, false
	case d.wait != nil:
		return d.wait.deadline, true
	case d.pc >= len(d.steps):
		return time.Time{}, false
	}
	return d.last.Add(d.steps[d.pc].after), true
}

func (s *Service) cdStep(d *cdDeployment, t time.Time) {
	if st := d.stop; st != nil {
		s.cdEnd(d, t, "Stopped", "MANUAL_STOP", "The deployment was stopped by the user.", st.rollback)
		return
	}
	if w := d.wait; w != nil {
		if w.ready {
			s.cdEnd(d, t, "Stopped", "TIMEOUT", "The deployment was stopped because traffic was not rerouted within the ready wait time.", false)
			return
		}
		d.wait, d.last = nil, t
		return
	}
	st := d.steps[d.pc]
	d.pc++
	d.last = t
	st.run(t)
}

// resume ends a Ready or termination wait at t.
func (d *cdDeployment) resume(t time.Time) {
	if d.wait.ready {
		d.status = "InProgress"
		for _, tg := range d.targets {
			tg.ready = false
		}
	}
	d.wait, d.last = nil, t
}

// cdEnd finishes a deployment as Failed or Stopped, skipping what it had not
// done, and starts a rollback deployment when asked, unless d is one.
func (s *Service) cdEnd(d *cdDeployment, t time.Time, status, code, message string, rollback bool) {
	d.status, d.completed = status, t
	d.errorInfo = &cdErrorInfo{Code: code, Message: message}
	d.wait, d.hung, d.stop = nil, false, nil
	for _, tg := range d.targets {
		tg.ready = false
		for _, ev := range tg.events {
			if ev.Status == "Pending" || ev.Status == "InProgress" {
				ev.Status = "Skipped"
			}
		}
	}
	if rollback && d.creator != cdRollbackCreator {
		s.cdRollback(d, t)
	}
}

// cdSucceed finishes a deployment successfully.
func (s *Service) cdSucceed(d *cdDeployment, t time.Time) {
	d.status, d.completed = "Succeeded", t
	d.group.success = d
}

// cdRollbackCreator is the creator of rollback deployments.
const cdRollbackCreator = "codeDeployRollback"

// cdRollback starts a deployment that restores what d replaced.
func (s *Service) cdRollback(d *cdDeployment, t time.Time) {
	r := s.cdNewDeployment(d.group, d.config, d.previous, t)
	r.creator = cdRollbackCreator
	r.autoRollback = d.autoRollback
	r.rollbackInfo = &cdRollbackInfo{RollbackTriggeringDeploymentID: d.id, RollbackMessage: fmt.Sprintf("Deployment %s was rolled back by this deployment.", d.id)}
	d.rollbackInfo = &cdRollbackInfo{RollbackDeploymentID: r.id, RollbackMessage: fmt.Sprintf("Rolled back by deployment %s.", r.id)}
	if a := s.Agent(); a != nil && d.agent != nil && d.style.DeploymentType == "BLUE_GREEN" {
		r.agent = &agentRun{prevRoot: d.agent.prevRoot, recentRoot: filepath.Join(a.Root(), d.group.id, d.id)}
	}
	p := &cdPlanner{s: s, d: r}
	p.start()
	switch {
	case d.lambda != nil:
		p.lambdaRollback(d.lambda)
	case d.ecs != nil:
		p.ecsRollback(d.ecs)
	case d.style.DeploymentType == "BLUE_GREEN":
		blue, green := r.addTargets(d.blueIDs, "Blue", cdAllowEvents), r.addTargets(d.greenIDs, "Green", cdBlockEvents)
		p.events(blue, cdAllowEvents...)
		p.events(green, cdBlockEvents...)
		p.finish(func(time.Time) {})
	default:
		p.inPlace(d.blueIDs)
	}
}

// cdLifecycleFault returns the scenario's fault for an event of d, using up
// one of its count.
func (s *Service) cdLifecycleFault(d *cdDeployment, event string) (awssim.LifecycleFault, bool) {
	if d.creator == cdRollbackCreator {
		return awssim.LifecycleFault{}, false
	}
	for i, f := range s.Scenario().Lifecycle {
		if f.Event != event || !d.inScope(f.Application, f.DeploymentGroup) {
			continue
		}
		if f.Count > 0 {
			if s.Scenario().Lifecycle[i].Count--; s.Scenario().Lifecycle[i].Count == 0 {
				s.Scenario().Lifecycle = slices.Delete(s.Scenario().Lifecycle, i, i+1)
			}
		}
		return f, true
	}
	return awssim.LifecycleFault{}, false
}

// cdHangs reports whether d stops making progress at an event.
func (s *Service) cdHangs(d *cdDeployment, event string, first bool) bool {
	if d.creator == cdRollbackCreator {
		return false
	}
	for _, h := range s.Scenario().Hangs {
		if d.inScope(h.Application, h.DeploymentGroup) && (h.Event == event || h.Event == "" && first) {
			return true
		}
	}
	return false
}

// inScope reports whether d belongs to an application and group named by a
// scenario entry; empty names match any.
func (d *cdDeployment) inScope(app, group string) bool {
	return (app == "" || app == d.app.ApplicationName) && (group == "" || group == d.group.DeploymentGroupName)
}

// cdPlanner builds a deployment's steps.
type cdPlanner struct {
	s *Service
	d *cdDeployment
}

func (p *cdPlanner) add(after time.Duration, run func(t time.Time)) {
	p.d.steps = append(p.d.steps, cdStep{after: after, run: run})
}

// start moves the deployment from Created to InProgress.
func (p *cdPlanner) start() {
	p.add(cdStartDelay, func(t time.Time) {
		p.d.status, p.d.started = "InProgress", t
	})
}

// events runs lifecycle events one after another on targets, in parallel.
func (p *cdPlanner) events(targets []*cdTarget, names ...string) {
	for _, name := range names {
		if p.s.Agent() != nil && p.d.app.ComputePlatform == "Server" && agentEvent(name) {
			p.execEvent(targets, name)
			continue
		}
		if fns := p.d.spec.hooks[name]; p.d.ecs != nil && len(fns) > 0 && p.d.creator != cdRollbackCreator {
			p.hookEvent(targets[0], name, fns[0])
			continue
		}
		p.begin(targets, name)
		p.end(targets, name, cdEventDuration(name))
	}
}

// begin starts an event on targets.
func (p *cdPlanner) begin(targets []*cdTarget, name string) {
	d := p.d
	p.add(cdGap, func(t time.Time) {
		for _, tg := range targets {
			ev := tg.event(name)
			ev.Status, ev.StartTime = "InProgress", cdTimePtr(t)
		}
		d.hung = p.s.cdHangs(d, name, !d.begun)
		d.begun = true
	})
}

// end ends an event on targets after it ran for dur: Failed when the
// scenario or the revision says so, else Succeeded.
func (p *cdPlanner) end(targets []*cdTarget, name string, dur time.Duration) {
	d := p.d
	p.add(dur, func(t time.Time) {
		if name == "DownloadBundle" && d.spec.bundleErr != "" {
			p.fail(t, targets, name, cdDiagnostics{ErrorCode: "UnknownError", Message: d.spec.bundleErr})
			return
		}
		if f, ok := p.s.cdLifecycleFault(d, name); ok {
			p.fail(t, targets, name, d.diagnostics(f))
			return
		}
		for _, tg := range targets {
			ev := tg.event(name)
			ev.Status, ev.EndTime = "Succeeded", cdTimePtr(t)
		}
	})
}

// fail fails an event on targets and with it the deployment.
func (p *cdPlanner) fail(t time.Time, targets []*cdTarget, name string, diag cdDiagnostics) {
	d := p.d
	for _, tg := range targets {
		ev := tg.event(name)
		ev.Status, ev.EndTime = "Failed", cdTimePtr(t)
		ev.Diagnostics = &diag
	}
	code, msg := "HEALTH_CONSTRAINTS", "The overall deployment failed because too many individual instances failed deployment, too few healthy instances are available for deployment, or some instances in your deployment group are experiencing problems."
	if d.ecs != nil {
		code, msg = "ECS_UPDATE_ERROR", fmt.Sprintf("The %s lifecycle event failed: %s", name, diag.Message)
		if _, hook := d.spec.hooks[name]; hook {
			code = "HOOK_EXECUTION_FAILURE"
		}
	}
	p.s.cdEnd(d, t, "Failed", code, msg, d.rollbackOn("DEPLOYMENT_FAILURE"))
}

// ready makes the deployment wait at Ready when its group says so.
func (p *cdPlanner) ready(targets []*cdTarget) {
	d := p.d
	stop, wait := d.blueGreen.stopAtReady()
	if !stop {
		return
	}
	p.add(cdGap, func(t time.Time) {
		d.status = "Ready"
		for _, tg := range targets {
			tg.ready = true
		}
		d.wait = &cdWait{ready: true, deadline: t.Add(wait)}
	})
}

// finish runs the termination wait, if any, then done, then succeeds.
func (p *cdPlanner) finish(done func(t time.Time)) {
	d := p.d
	if wait, keep := d.blueGreen.terminationWait(); d.creator != cdRollbackCreator && !keep && d.style.DeploymentType == "BLUE_GREEN" {
		p.add(cdGap, func(t time.Time) {
			d.terminationStarted = true
			d.wait = &cdWait{deadline: t.Add(wait)}
		})
	}
	p.add(cdGap, func(t time.Time) {
		done(t)
		p.s.cdSucceed(d, t)
	})
}

// cdPlan lays out a new deployment's timeline.
func (s *Service) cdPlan(d *cdDeployment, greens int) {
	p := &cdPlanner{s: s, d: d}
	p.start()
	switch {
	case d.app.ComputePlatform == "ECS":
		p.ecs()
	case d.app.ComputePlatform == "Lambda":
		p.lambda()
	case d.style.DeploymentType == "BLUE_GREEN":
		p.serverBlueGreen(greens)
	default:
		p.inPlace(d.group.fleet)
	}
}

// serverBlueGreen: green instances install, wait at Ready if asked, take
// traffic in batches, then the blue ones lose it and are terminated.
func (p *cdPlanner) serverBlueGreen(greens int) {
	d, g := p.d, p.d.group
	copyASG := d.blueGreen.copiesASG()
	if copyASG || greens == 0 || p.s.Agent() != nil {
		greens = len(g.fleet)
	}
	d.blueIDs, d.greenIDs = g.fleet, cdNewInstances(greens)
	green := d.addTargets(d.greenIDs, "Green", append(slices.Clone(cdInstallEvents), cdAllowEvents...))
	blue := d.addTargets(d.blueIDs, "Blue", cdBlockEvents)
	if copyASG {
		p.add(cdProvision, func(time.Time) {})
	}
	p.events(green, cdInstallEvents...)
	p.ready(green)
	for batch := range slices.Chunk(green, d.config.batchSize(len(green))) {
		p.events(batch, cdAllowEvents...)
	}
	for batch := range slices.Chunk(blue, d.config.batchSize(len(blue))) {
		p.events(batch, cdBlockEvents...)
	}
	p.finish(func(time.Time) { g.fleet = d.greenIDs })
}

// inPlace deploys to instances in batches, taking them out of the load
// balancer around the install when the group uses traffic control.
func (p *cdPlanner) inPlace(ids []string) {
	d := p.d
	events := cdInstallEvents
	if d.style.DeploymentOption == "WITH_TRAFFIC_CONTROL" {
		events = slices.Concat(cdBlockEvents, cdInstallEvents, cdAllowEvents)
	}
	d.blueIDs = ids
	targets := d.addTargets(ids, "", events)
	for batch := range slices.Chunk(targets, d.config.batchSize(len(targets))) {
		p.events(batch, events...)
	}
	p.finish(func(time.Time) {})
}

// ecs: the replacement task set starts, takes test traffic, waits at Ready
// if asked, takes production traffic per the configuration, and the
// original task set is removed after the termination wait.
func (p *cdPlanner) ecs() {
	d, g := p.d, p.d.group
	svc, _ := p.s.Peers.TaskSets.Service(g.EcsServices[0].ClusterName, g.EcsServices[0].ServiceName)
	run := &cdECSRun{svc: svc}
	run.blueTG, run.greenTG = g.LoadBalancerInfo.targetGroups(g.swapTGs)
	run.blue = svc.Primary()
	d.ecs = run
	tgs := d.addTargets([]string{svc.Cluster() + ":" + svc.Name()}, "", cdECSEvents)
	tgs[0].arn = svc.ARN()

	p.events(tgs, "BeforeInstall")
	p.begin(tgs, "Install")
	p.add(cdGap, func(t time.Time) {
		taskDef, err := p.s.Peers.TaskSets.CheckSpec(svc, d.spec.taskDef, d.spec.container, d.spec.port)
		if err != "" {
			p.fail(t, tgs, "Install", cdDiagnostics{ErrorCode: "UnknownError", Message: err})
			return
		}
		run.green = svc.CreateTaskSet(taskDef, d.spec.network, t)
	})
	p.end(tgs, "Install", cdEventDuration("Install"))
	p.events(tgs, "AfterInstall", "AllowTestTraffic", "AfterAllowTestTraffic")
	p.ready(tgs)
	p.events(tgs, "BeforeAllowTraffic")
	p.shift(tgs, run, d.config.weights())
	p.add(0, func(t time.Time) { svc.SetPrimary(run.green, t) })
	p.events(tgs, "AfterAllowTraffic")
	p.finish(func(time.Time) {
		if run.blue != nil {
			svc.RemoveTaskSet(run.blue)
		}
		g.swapTGs = !g.swapTGs
	})
}

// shift runs AllowTraffic, moving the green task set's weight step by step.
func (p *cdPlanner) shift(tgs []*cdTarget, run *cdECSRun, steps []weightStep) {
	p.begin(tgs, "AllowTraffic")
	var prev time.Duration
	for _, ws := range steps {
		p.add(ws.after-prev, func(time.Time) { run.greenWeight = ws.weight })
		prev = ws.after
	}
	p.end(tgs, "AllowTraffic", cdEventDuration("AllowTraffic"))
}

// ecsRollback moves all traffic back to the original task set and removes
// the replacement.
func (p *cdPlanner) ecsRollback(from *cdECSRun) {
	d := p.d
	run := *from
	d.ecs = &run
	tgs := d.addTargets([]string{run.svc.Cluster() + ":" + run.svc.Name()}, "", cdAllowEvents)
	tgs[0].arn = run.svc.ARN()
	p.events(tgs, "BeforeAllowTraffic")
	p.shift(tgs, &run, []weightStep{{0, 0}})
	p.events(tgs, "AfterAllowTraffic")
	p.finish(func(t time.Time) {
		if run.blue != nil {
			run.svc.SetPrimary(run.blue, t)
		}
		if run.green != nil {
			run.svc.RemoveTaskSet(run.green)
		}
	})
}
