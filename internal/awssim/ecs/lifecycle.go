package ecs

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim"
)

// Simulated durations of the stages that do work; the hook stages take no
// time of their own beyond their hooks.
const (
	startDelay   = 5 * time.Second  // PENDING before RECONCILE_SERVICE/PRE_SCALE_UP
	scaleUpTime  = 60 * time.Second // the new revision's tasks start
	shiftTime    = 10 * time.Second // one traffic shift on the listener rules
	cleanUpTime  = 30 * time.Second // the old revision's tasks stop
	stopTime     = 5 * time.Second  // STOP_REQUESTED to STOPPED
	lambdaAnswer = 5 * time.Second  // a played Lambda hook answers
	lambdaRetry  = 30 * time.Second // IN_PROGRESS: ECS invokes again (the documented default)
	alarmAfter   = 30 * time.Second // a scenario's alarm goes into ALARM this far into BAKE_TIME
)

// phase is a stretch of a service deployment: a lifecycle stage (or one
// traffic step of it) that ends dur after it starts, setting the target
// revision's traffic weights (when set) and then running the stage's hooks.
type phase struct {
	stage      string
	dur        time.Duration
	prod, test *awssim.Float
	hooks      bool
	alarm      bool   // a scenario's alarms go into ALARM at its end
	status     string // the deployment's status from the phase on ("": unchanged)
}

func weight(w awssim.Float) *awssim.Float { return &w }

// plan lays out the stages of a deployment per strategy.
func plan(c *deploymentConfig) []phase {
	p := []phase{{dur: startDelay}, {stage: "PRE_SCALE_UP", hooks: true, status: "IN_PROGRESS"},
		{stage: "SCALE_UP", dur: scaleUpTime},
		{stage: "POST_SCALE_UP", hooks: true}}
	if !c.shiftsTraffic() {
		return append(p, phase{stage: "BAKE_TIME", dur: c.bake()}, phase{stage: "CLEAN_UP", dur: cleanUpTime})
	}
	p = append(p, phase{stage: "TEST_TRAFFIC_SHIFT", dur: shiftTime, test: weight(100), hooks: true},
		phase{stage: "POST_TEST_TRAFFIC_SHIFT", hooks: true})
	const stage = "PRODUCTION_TRAFFIC_SHIFT"
	switch c.Strategy {
	case "LINEAR":
		step, bake := c.LinearConfiguration.StepPercent, time.Duration(*c.LinearConfiguration.StepBakeTimeInMinutes)*time.Minute
		dur := shiftTime
		for w := step; ; w += step {
			if w >= 100 {
				p = append(p, phase{stage: stage, dur: dur, prod: weight(100), hooks: true})
				break
			}
			p = append(p, phase{stage: stage, dur: dur, prod: weight(w)})
			dur = bake
		}
	case "CANARY":
		p = append(p, phase{stage: stage, dur: shiftTime, prod: weight(c.CanaryConfiguration.CanaryPercent)},
			phase{stage: stage, dur: time.Duration(*c.CanaryConfiguration.CanaryBakeTimeInMinutes) * time.Minute, prod: weight(100), hooks: true})
	default:
		p = append(p, phase{stage: stage, dur: shiftTime, prod: weight(100), hooks: true})
	}
	return append(p, phase{stage: "POST_PRODUCTION_TRAFFIC_SHIFT", hooks: true},
		phase{stage: "BAKE_TIME", dur: c.bake()}, phase{stage: "CLEAN_UP", dur: cleanUpTime})
}

// withAlarm splits BAKE_TIME where a scenario's alarms go into ALARM.
func withAlarm(p []phase) []phase {
	i := slices.IndexFunc(p, func(ph phase) bool { return ph.stage == "BAKE_TIME" })
	first := min(alarmAfter, p[i].dur)
	rest := phase{stage: "BAKE_TIME", dur: p[i].dur - first}
	p[i].dur, p[i].alarm = first, true
	return slices.Insert(p, i+1, rest)
}

// notFound is the answer of a hook whose function does not exist.
const notFound = "NOT_FOUND"

// hookRun is one lifecycle hook running at a stage.
type hookRun struct {
	HookID        string      `json:"hookId"`
	TargetType    string      `json:"targetType"`
	TargetArn     string      `json:"targetArn,omitempty"`
	Status        string      `json:"status"`
	ExpiresAt     awssim.Time `json:"expiresAt"`
	TimeoutAction string      `json:"timeoutAction"`

	hook   lifecycleHook
	next   time.Time // a Lambda hook's next answer
	answer string    // what the played function returns
}

func hookID(prefix string) string {
	b := make([]byte, 32)
	for i := range b {
		b[i] = byte(rand.IntN(256))
	}
	return prefix + base64.RawURLEncoding.EncodeToString(b)
}

// advanceDeployments brings every service deployment up to the clock.
func (s *Service) advanceDeployments() {
	now := s.Clock.Now()
	for _, d := range s.ecs.deployments {
		s.advance(d, now)
	}
}

// advance plays d's lifecycle up to now: each phase ends at d.at, then its
// hooks run, then the next phase starts. Times come from the plan, not from
// when advance runs, so a stopped clock moved by Advance gives one timeline.
func (s *Service) advance(d *serviceDeployment, now time.Time) {
	for !d.finished() {
		if len(d.hooks) > 0 {
			if !s.runHooks(d, now) {
				return
			}
			continue
		}
		if d.at.After(now) {
			return
		}
		ph, end, before := d.plan[0], d.at, d.status
		s.endPhase(d, ph)
		if d.status != before || !d.at.Equal(end) { // a fault rolled it back or holds it
			continue
		}
		if ph.hooks && !d.hooksDone && (d.status == "IN_PROGRESS" || d.status == "ROLLBACK_IN_PROGRESS") {
			d.hooksDone = true
			if s.startHooks(d, ph.stage) {
				continue
			}
		}
		s.nextPhase(d)
	}
}

// endPhase applies what a phase does at its end, and the scenario's faults.
func (s *Service) endPhase(d *serviceDeployment, ph phase) {
	if ph.test != nil {
		d.target.Test = *ph.test
	}
	if ph.prod != nil {
		d.target.Prod = *ph.prod
	}
	if len(d.source) > 0 {
		// The old revisions keep what the target does not have, on the
		// first one once the target moves.
		if ph.test != nil || ph.prod != nil {
			for _, src := range d.source {
				src.Test, src.Prod = 0, 0
			}
			d.source[0].Test, d.source[0].Prod = 100-d.target.Test, 100-d.target.Prod
		}
	}
	d.updatedAt = d.at
	switch {
	case d.status != "IN_PROGRESS":
	case ph.stage == "SCALE_UP" && d.fault != nil && d.fault.CircuitBreaker:
		d.target.Running, d.target.Pending = 0, d.target.Requested
		if !d.cfg.DeploymentCircuitBreaker.Enable {
			d.at = d.at.Add(100 * 365 * 24 * time.Hour) // tasks keep failing: ECS retries for ever
			return
		}
		d.cb.Status, d.cb.FailureCount = "TRIGGERED", d.cb.Threshold
		if d.cfg.DeploymentCircuitBreaker.Rollback {
			s.rollBack(d, d.at, "ECS deployment circuit breaker: tasks failed to start.")
		} else {
			d.finish(d.at, "ROLLBACK_FAILED", "ECS deployment circuit breaker: tasks failed to start.")
		}
	case ph.stage == "SCALE_UP":
		d.target.Running, d.target.Pending = d.target.Requested, 0
		if d.cb.Status == "MONITORING" {
			d.cb.Status = "MONITORING_COMPLETE"
		}
	case ph.alarm:
		d.alarms.Status, d.alarms.TriggeredAlarmNames = "TRIGGERED", d.fault.Alarms
		if d.cfg.Alarms.Rollback {
			s.rollBack(d, d.at, "ECS deployment detected triggered alarms: "+strings.Join(d.fault.Alarms, ", ")+".")
		}
	case ph.stage == "CLEAN_UP":
		for _, src := range d.source {
			src.Requested, src.Running = 0, 0
		}
	}
}

// nextPhase starts the next phase, or ends the deployment.
func (s *Service) nextPhase(d *serviceDeployment) {
	d.plan, d.hooksDone = d.plan[1:], false
	if len(d.plan) == 0 {
		s.complete(d, d.at)
		return
	}
	ph := d.plan[0]
	if ph.status != "" {
		if d.startedAt == nil {
			d.startedAt = ptr(d.at)
		}
		d.status = ph.status
	}
	d.stage = ph.stage
	d.at = d.at.Add(ph.dur)
}

// startHooks starts the hooks of stage at d.at, reporting whether any runs.
func (s *Service) startHooks(d *serviceDeployment, stage string) bool {
	for _, h := range d.cfg.LifecycleHooks {
		if !slices.Contains(h.LifecycleStages, stage) || d.status != "IN_PROGRESS" && h.TargetType != "AWS_LAMBDA" {
			continue
		}
		run := &hookRun{TargetType: h.TargetType, TargetArn: h.HookTargetArn, TimeoutAction: h.TimeoutConfiguration.Action,
			ExpiresAt: awssim.Time(d.at.Add(time.Duration(h.TimeoutConfiguration.TimeoutInMinutes) * time.Minute)), hook: h}
		if h.TargetType == "PAUSE" {
			run.HookID, run.Status = hookID("ecs-pause-"), "AWAITING_ACTION"
		} else {
			run.HookID, run.Status, run.answer = hookID("ecs-lambda-"), "IN_PROGRESS", "SUCCEEDED"
			if f := d.fault; f != nil && f.Function != "" && (f.Stage == "" || f.Stage == stage) && ecsName(f.Function) == lambdaName(h.HookTargetArn) {
				run.answer = f.HookStatus
				if run.answer == "" {
					run.answer = "FAILED"
				}
			}
			if s.Peers.Functions != nil && !s.Peers.Functions.Function(h.HookTargetArn) {
				run.answer = notFound
			}
			s.invoke(d, run, stage, d.at)
		}
		d.hooks = append(d.hooks, run)
	}
	return len(d.hooks) > 0
}

// invoke plays the hook's function at t: logged with ECS's payload, its
// answer due lambdaAnswer later.
func (s *Service) invoke(d *serviceDeployment, run *hookRun, stage string, t time.Time) {
	prod, test := map[string]awssim.Float{d.target.Arn: d.target.Prod}, map[string]awssim.Float{d.target.Arn: d.target.Test}
	for _, src := range d.source {
		prod[src.Arn], test[src.Arn] = src.Prod, src.Test
	}
	payload, _ := json.Marshal(map[string]any{
		"serviceArn": d.svc.ServiceArn, "targetServiceRevisionArn": d.target.Arn, "lifecycleStage": stage,
		"productionTrafficWeights": prod, "testTrafficWeights": test, "hookDetails": run.hook.HookDetails,
	})
	status := 200
	if run.answer == notFound {
		status = 404
	}
	s.RecordLocked(awssim.Call{Service: "lambda", Operation: "Invoke", Status: status, Payload: payload})
	run.next = t.Add(lambdaAnswer)
}

// runHooks settles the running hooks up to now; it reports whether they
// are all done and the deployment goes on (from d.at, the last one's end).
func (s *Service) runHooks(d *serviceDeployment, now time.Time) bool {
	stage := d.stage
	for _, h := range d.hooks {
		for h.TargetType == "AWS_LAMBDA" && h.Status == "IN_PROGRESS" && !h.next.After(now) && h.next.Before(time.Time(h.ExpiresAt)) {
			if h.answer == "IN_PROGRESS" {
				s.invoke(d, h, stage, h.next.Add(lambdaRetry-lambdaAnswer))
				continue
			}
			h.Status = h.answer
			d.at = later(d.at, h.next)
			switch h.answer {
			case "FAILED":
				s.fail(d, h.next, fmt.Sprintf("Lifecycle hook %s at stage %s returned hookStatus FAILED.", h.TargetArn, stage))
				return true
			case notFound:
				h.Status = "FAILED"
				s.fail(d, h.next, fmt.Sprintf("Lifecycle hook %s at stage %s failed: Function not found: %s", h.TargetArn, stage, h.TargetArn))
				return true
			}
		}
		if (h.Status == "AWAITING_ACTION" || h.Status == "IN_PROGRESS") && !time.Time(h.ExpiresAt).After(now) {
			h.Status = "TIMED_OUT"
			d.at = later(d.at, time.Time(h.ExpiresAt))
			if h.TimeoutAction == "ROLLBACK" {
				s.fail(d, time.Time(h.ExpiresAt), fmt.Sprintf("Lifecycle hook %s at stage %s timed out.", h.HookID, stage))
				return true
			}
		}
	}
	for _, h := range d.hooks {
		if h.Status == "AWAITING_ACTION" || h.Status == "IN_PROGRESS" {
			return false
		}
	}
	d.hooks = nil
	s.nextPhase(d)
	return true
}

// fail rolls d back at t, or, when it is rolling back already, ends it
// ROLLBACK_FAILED.
func (s *Service) fail(d *serviceDeployment, t time.Time, reason string) {
	if d.status == "IN_PROGRESS" {
		s.rollBack(d, t, reason)
		return
	}
	d.finish(t, "ROLLBACK_FAILED", reason)
}

// rollBack starts a rollback at t: traffic back to the source revision,
// then the target's tasks stop.
func (s *Service) rollBack(d *serviceDeployment, t time.Time, reason string) {
	for _, h := range d.hooks {
		if h.Status == "AWAITING_ACTION" || h.Status == "IN_PROGRESS" {
			h.Status = "FAILED"
		}
	}
	d.hooks, d.hooksDone = nil, true
	d.status, d.statusReason, d.at, d.updatedAt = "ROLLBACK_REQUESTED", reason, t.Add(stopTime), t
	d.rollback = &rollbackInfo{Reason: reason, StartedAt: awssim.Time(t)}
	if len(d.source) > 0 {
		d.rollback.ServiceRevisionArn = d.source[0].Arn
	}
	// ECS runs the Lambda hooks of the traffic shifts again as it shifts
	// traffic back.
	d.plan = []phase{{stage: d.stage, dur: stopTime},
		{stage: "PRODUCTION_TRAFFIC_SHIFT", dur: shiftTime, prod: weight(0), hooks: true, status: "ROLLBACK_IN_PROGRESS"},
		{stage: "TEST_TRAFFIC_SHIFT", dur: shiftTime, test: weight(0), hooks: true},
		{stage: "CLEAN_UP", dur: cleanUpTime}}
	if !d.cfg.shiftsTraffic() {
		d.plan = []phase{d.plan[0], {stage: "CLEAN_UP", dur: cleanUpTime, status: "ROLLBACK_IN_PROGRESS"}}
	}
	d.svc.setRollout(d, "FAILED", t)
}

// complete ends a deployment whose plan has run out.
func (s *Service) complete(d *serviceDeployment, t time.Time) {
	switch d.status {
	case "ROLLBACK_IN_PROGRESS", "ROLLBACK_REQUESTED":
		d.target.Requested, d.target.Running, d.target.Pending = 0, 0, 0
		for _, src := range d.source {
			src.Requested, src.Running = 0, 0
		}
		d.source[0].Requested, d.source[0].Running = d.svc.DesiredCount, d.svc.DesiredCount
		d.finish(t, "ROLLBACK_SUCCESSFUL", d.statusReason)
		d.svc.rolledBack(d, t)
	case "STOP_REQUESTED":
		d.stoppedAt = ptr(t)
		d.finish(t, "STOPPED", d.statusReason)
	default:
		d.finish(t, "SUCCESSFUL", "")
		if d.alarms.Status == "MONITORING" {
			d.alarms.Status = "MONITORING_COMPLETE"
		}
		d.svc.setRollout(d, "COMPLETED", t)
	}
}
