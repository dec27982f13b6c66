// Package rollout estimates how a deployment would roll out, from the
// settings that time it: a CodeDeploy deployment configuration and its
// group's blue/green options, or an ECS-native service's deployment
// configuration. It reads nothing itself.
package rollout

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	cdtypes "github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// Setup is the allowance for what no setting times: starting the new
// revision, its lifecycle hooks and the test traffic. It is an assumption
// of this estimate, not a figure AWS publishes; the settings' own waits are
// exact.
const Setup = time.Minute

// Step is one move of production traffic: After the traffic shift starts,
// Percent of it is on the new revision.
type Step struct {
	After   time.Duration
	Percent float64
}

// Estimate is the rollout a deployment would follow.
type Estimate struct {
	Strategy string // e.g. "linear: 10% every 1m", "all at once", "rolling update"
	Steps    []Step // the timed traffic moves; nil where traffic is not moved by time
	// Pause: the deployment waits at Ready, before production traffic
	// moves, until it is continued (on-ready: pause, or an ECS-native
	// lifecycle hook that pauses); the estimate counts from the continue.
	Pause bool
	// ReadyWait is how long a paused CodeDeploy deployment waits for the
	// continue before it stops (the group's Ready wait); 0: no limit known.
	ReadyWait time.Duration
	// After is the wait once all traffic is on the new revision: the
	// termination wait before the original is removed (CodeDeploy), or
	// the bake time (ECS-native).
	After      time.Duration
	AfterLabel string // "termination wait" or "bake time"
}

// Shift is how long the timed traffic moves take.
func (e Estimate) Shift() time.Duration {
	if len(e.Steps) == 0 {
		return 0
	}
	return e.Steps[len(e.Steps)-1].After
}

// ToTraffic is the expected time from the start of the deployment (from the
// continue, when it pauses) until all production traffic is on the new
// revision.
func (e Estimate) ToTraffic() time.Duration { return Setup + e.Shift() }

// Total is the expected time from the start to the end of the deployment.
func (e Estimate) Total() time.Duration { return e.ToTraffic() + e.After }

// Group is what a CodeDeploy deployment group contributes to the rollout.
type Group struct {
	Platform cdtypes.ComputePlatform
	// ReadyAction and ReadyWait are the group's DeploymentReadyOption.
	ReadyAction cdtypes.DeploymentReadyAction
	ReadyWait   time.Duration
	// TerminationWait is the wait before the original instances or task
	// set are removed; 0 when they are kept or there is none (Lambda).
	TerminationWait time.Duration
	// Pause: the run leaves the deployment at Ready (on-ready: pause);
	// else it continues a waiting deployment at once.
	Pause bool
}

// CodeDeploy estimates a deployment with deployment configuration cfg to
// group g. Traffic moves as the configuration's TrafficRoutingConfig says
// (AWS CodeDeploy API reference, TimeBasedLinear: "the percentage of
// traffic that is shifted at the start of each increment", so the first
// share moves when the shift starts; TimeBasedCanary: the canary share,
// then the rest after canaryInterval minutes). A Server configuration moves
// traffic by batches of instances, which no setting times.
func CodeDeploy(cfg cdtypes.DeploymentConfigInfo, g Group) Estimate {
	e := Estimate{AfterLabel: "termination wait", After: g.TerminationWait}
	// With STOP_DEPLOYMENT the deployment waits at Ready for a continue,
	// which the run gives at once unless it pauses; with
	// CONTINUE_DEPLOYMENT it does not wait (CodeDeploy API reference,
	// DeploymentReadyOption).
	if g.ReadyAction == cdtypes.DeploymentReadyActionStopDeployment && g.Pause {
		e.Pause, e.ReadyWait = true, g.ReadyWait
	}
	tr := cfg.TrafficRoutingConfig
	switch {
	case g.Platform == cdtypes.ComputePlatformServer || g.Platform == "":
		e.Strategy = serverStrategy(cfg.MinimumHealthyHosts)
	case tr != nil && tr.TimeBasedCanary != nil:
		c := tr.TimeBasedCanary
		e.Strategy = fmt.Sprintf("canary: %d%%, the rest after %s", c.CanaryPercentage, minutes(c.CanaryInterval))
		e.Steps = canary(float64(c.CanaryPercentage), minutesOf(c.CanaryInterval))
	case tr != nil && tr.TimeBasedLinear != nil:
		l := tr.TimeBasedLinear
		e.Strategy = fmt.Sprintf("linear: %d%% every %s", l.LinearPercentage, minutes(l.LinearInterval))
		e.Steps = linear(float64(l.LinearPercentage), minutesOf(l.LinearInterval))
	default:
		e.Strategy = "all at once"
		e.Steps = []Step{{0, 100}}
	}
	return e
}

// serverStrategy describes a Server configuration's batches.
func serverStrategy(h *cdtypes.MinimumHealthyHosts) string {
	if h == nil {
		return "instances in batches"
	}
	switch h.Type {
	case cdtypes.MinimumHealthyHostsTypeFleetPercent:
		return fmt.Sprintf("instances in batches, at least %d%% healthy", h.Value)
	case cdtypes.MinimumHealthyHostsTypeHostCount:
		return fmt.Sprintf("instances in batches, at least %d healthy", h.Value)
	}
	return "instances in batches"
}

// ECS-native defaults, from the ECS API reference: LinearConfiguration
// (stepPercent 10.0, stepBakeTimeInMinutes 6) and CanaryConfiguration
// (canaryPercent 5.0, canaryBakeTimeInMinutes 10).
const (
	defaultLinearPercent = 10.0
	defaultLinearBake    = 6
	defaultCanaryPercent = 5.0
	defaultCanaryBake    = 10
)

// ECSNative estimates a deployment of an ECS service whose deployment
// controller is ECS, from its deployment configuration and strategy. The
// bake time (bakeTimeInMinutes) is the time both revisions run after all
// production traffic has shifted; a linear step's bake time is not applied
// after the last step (ECS API reference, DeploymentConfiguration and
// LinearConfiguration). A lifecycle hook that pauses is a Ready wait of
// unknown length.
func ECSNative(strategy ecstypes.DeploymentStrategy, cfg ecstypes.DeploymentConfiguration, pausing bool) Estimate {
	e := Estimate{AfterLabel: "bake time", Pause: pausing}
	if cfg.BakeTimeInMinutes != nil {
		e.After = minutesOf(*cfg.BakeTimeInMinutes)
	}
	switch strategy {
	case ecstypes.DeploymentStrategyLinear:
		pct, bake := defaultLinearPercent, int32(defaultLinearBake)
		if l := cfg.LinearConfiguration; l != nil {
			pct = valueOr(l.StepPercent, pct)
			bake = valueOr(l.StepBakeTimeInMinutes, bake)
		}
		e.Strategy = fmt.Sprintf("linear: %s%% every %s", percent(pct), minutes(bake))
		e.Steps = linear(pct, minutesOf(bake))
	case ecstypes.DeploymentStrategyCanary:
		pct, bake := defaultCanaryPercent, int32(defaultCanaryBake)
		if c := cfg.CanaryConfiguration; c != nil {
			pct = valueOr(c.CanaryPercent, pct)
			bake = valueOr(c.CanaryBakeTimeInMinutes, bake)
		}
		e.Strategy = fmt.Sprintf("canary: %s%%, the rest after %s", percent(pct), minutes(bake))
		e.Steps = canary(pct, minutesOf(bake))
	case ecstypes.DeploymentStrategyBlueGreen:
		e.Strategy = "blue/green: all at once"
		e.Steps = []Step{{0, 100}}
	default: // ROLLING, the default strategy
		e.Strategy = "rolling update"
		e.After, e.AfterLabel = 0, ""
	}
	return e
}

// linear moves pct at the start and pct more after each interval, until all
// traffic has moved.
func linear(pct float64, interval time.Duration) []Step {
	if pct <= 0 {
		return []Step{{0, 100}}
	}
	n := int(math.Ceil(100/pct - 1e-9))
	steps := make([]Step, n)
	for k := range n {
		steps[k] = Step{time.Duration(k) * interval, min(float64(k+1)*pct, 100)}
	}
	return steps
}

// canary moves pct at the start and the rest after bake.
func canary(pct float64, bake time.Duration) []Step {
	return []Step{{0, pct}, {bake, 100}}
}

func valueOr[T any](p *T, def T) T {
	if p == nil {
		return def
	}
	return *p
}

func minutesOf(m int32) time.Duration { return time.Duration(m) * time.Minute }

// minutes spells a whole number of minutes: "1m", "90m".
func minutes(m int32) string { return strconv.Itoa(int(m)) + "m" }

// percent spells a percentage without trailing zeros: 10, 2.5.
func percent(p float64) string { return strconv.FormatFloat(p, 'f', -1, 64) }

// Approx spells a duration for a reader, rounded to the minute above one
// minute: "about 15m", "about 1h30m", "under a minute".
func Approx(d time.Duration) string {
	if d < time.Minute {
		return "under a minute"
	}
	s := d.Round(time.Minute).String()
	s = strings.TrimSuffix(s, "0s")
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return "about " + s
}
