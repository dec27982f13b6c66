package deploy

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
)

// Bounds of the predicted schedule, for CodeDeploy and ECS-native
// deployments alike.
const (
	// SparseMax is the longest sleep through a known wait: a stop or a
	// continue from elsewhere is seen within it.
	SparseMax = time.Minute
	// DenseWindow is how long polling stays at PollMin after an expected
	// transition is due, before it falls back to backing off.
	DenseWindow = 30 * time.Second
	// Slack is how long after a predicted moment the first poll comes:
	// CodeDeploy's timestamps are rounded to the millisecond, and its steps
	// land a little after the moment they are due.
	Slack = 250 * time.Millisecond
)

// configReader reads a deployment configuration; *codedeploy.Client is one.
// A driver whose API lacks it polls without knowing traffic-shift steps.
type configReader interface {
	GetDeploymentConfig(context.Context, *codedeploy.GetDeploymentConfigInput, ...func(*codedeploy.Options)) (*codedeploy.GetDeploymentConfigOutput, error)
}

// schedule picks the wait before the next GetDeployment. Where CodeDeploy's
// timing is predictable (a time-based traffic shift's next step, the end of
// a termination wait or of a Ready wait) it sleeps until the transition is
// due, at most SparseMax at a time, then polls every PollMin for up to
// DenseWindow; elsewhere it polls every PollMin after a change and backs
// off by half up to PollMax while nothing changes.
type schedule struct {
	min, max  time.Duration
	adaptive  bool // predictions off: only the back-off
	interval  time.Duration
	lastPoll  time.Time // when the previous poll answered
	changedAt time.Time // when a poll last saw a change
	phase     string
	phaseFrom time.Time // earliest time the current phase can have begun

	routing     *types.TrafficRoutingConfig
	routingRead bool
}

func (d *Driver) schedule() *schedule {
	return &schedule{min: d.pollMin(), max: d.pollMax(), adaptive: d.adaptiveOnly, interval: d.pollMin()}
}

// next returns how long to sleep after a poll at now that saw the deployment
// as w holds it.
func (s *schedule) next(ctx context.Context, w *watcher, now time.Time, changed bool) time.Duration {
	if changed {
		s.interval, s.changedAt = s.min, now
	} else {
		s.interval = min(s.interval*3/2, s.max)
	}
	if w.phase != s.phase {
		// The phase began after the previous poll and after every event.
		s.phase, s.phaseFrom = w.phase, maxTime(s.lastPoll, lastEventEnd(w.targets))
	}
	s.lastPoll = now
	if s.adaptive {
		return s.interval
	}
	due, ok := s.expect(ctx, w, now)
	switch {
	case !ok:
		return s.interval
	case due.After(now):
		return min(due.Sub(now)+Slack, SparseMax)
	case now.Sub(due) < DenseWindow:
		return s.min
	}
	return s.interval
}

// expect returns the earliest time the deployment's next predictable
// transition can happen, if there is one.
func (s *schedule) expect(ctx context.Context, w *watcher, now time.Time) (time.Time, bool) {
	info := w.info
	bg := info.BlueGreenDeploymentConfiguration
	switch {
	case w.phase == PhaseTerminationWait && bg != nil && bg.TerminateBlueInstancesOnDeploymentSuccess != nil:
		wait := bg.TerminateBlueInstancesOnDeploymentSuccess.TerminationWaitTimeInMinutes
		return s.phaseFrom.Add(time.Duration(wait) * time.Minute), true
	case info.Status == types.DeploymentStatusReady && !w.continued && bg != nil && bg.DeploymentReadyOption != nil &&
		bg.DeploymentReadyOption.ActionOnTimeout == types.DeploymentReadyActionStopDeployment:
		return s.phaseFrom.Add(time.Duration(bg.DeploymentReadyOption.WaitTimeInMinutes) * time.Minute), true
	case info.Status != types.DeploymentStatusInProgress:
		return time.Time{}, false
	}
	start, ok := allowTrafficStart(w.targets)
	if !ok {
		return time.Time{}, false
	}
	steps := s.shiftSteps(ctx, w)
	for _, after := range steps {
		if at := start.Add(after); at.After(s.changedAt) {
			return at, true
		}
	}
	switch {
	case w.untilTraffic:
		return now, true // the goal is AllowTraffic's end: watch closely
	case len(steps) > 0:
		return s.changedAt, true // the last step was seen: AllowTraffic ends next
	}
	return time.Time{}, false
}

// shiftSteps returns when, after AllowTraffic starts, a time-based
// configuration moves traffic (nil when it is not time-based or unknown).
func (s *schedule) shiftSteps(ctx context.Context, w *watcher) []time.Duration {
	if p := w.info.ComputePlatform; p != types.ComputePlatformEcs && p != types.ComputePlatformLambda {
		return nil // Server traffic moves by batches of instances, not by time
	}
	if !s.routingRead {
		s.routingRead = true
		if cr, ok := w.d.API.(configReader); ok {
			out, err := cr.GetDeploymentConfig(ctx, &codedeploy.GetDeploymentConfigInput{DeploymentConfigName: w.info.DeploymentConfigName})
			if err == nil && out.DeploymentConfigInfo != nil {
				s.routing = out.DeploymentConfigInfo.TrafficRoutingConfig
			}
		}
	}
	tr := s.routing
	switch {
	case tr == nil:
		return nil
	case tr.TimeBasedCanary != nil:
		return []time.Duration{time.Duration(tr.TimeBasedCanary.CanaryInterval) * time.Minute}
	case tr.TimeBasedLinear != nil && tr.TimeBasedLinear.LinearPercentage > 0:
		l := tr.TimeBasedLinear
		var steps []time.Duration
		for k := int32(1); k*l.LinearPercentage < 100; k++ { // the first share moves at the start
			steps = append(steps, time.Duration(k*l.LinearInterval)*time.Minute)
		}
		return steps
	}
	return nil
}

// allowTrafficStart is when a target's AllowTraffic event in progress began.
func allowTrafficStart(targets map[string]*Target) (time.Time, bool) {
	for _, t := range targets {
		for _, e := range t.Events {
			if e.Name == "AllowTraffic" && e.Status == string(types.LifecycleEventStatusInProgress) && !e.Start.IsZero() {
				return e.Start, true
			}
		}
	}
	return time.Time{}, false
}

// lastEventEnd is when the targets' last lifecycle event ended.
func lastEventEnd(targets map[string]*Target) time.Time {
	var last time.Time
	for _, t := range targets {
		for _, e := range t.Events {
			last = maxTime(last, e.End)
		}
	}
	return last
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// terminationWaitEnd is when the termination wait of a deployment in it
// ends: CodeDeploy gives no start time, so it is counted from the targets'
// last lifecycle event.
func terminationWaitEnd(info *types.DeploymentInfo, targets map[string]*Target) time.Time {
	if info == nil || !info.InstanceTerminationWaitTimeStarted || info.Status != types.DeploymentStatusInProgress {
		return time.Time{}
	}
	bg := info.BlueGreenDeploymentConfiguration
	from := lastEventEnd(targets)
	if bg == nil || bg.TerminateBlueInstancesOnDeploymentSuccess == nil || from.IsZero() {
		return time.Time{}
	}
	return from.Add(time.Duration(bg.TerminateBlueInstancesOnDeploymentSuccess.TerminationWaitTimeInMinutes) * time.Minute)
}
