package ecsnative

import (
	"time"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/deploy"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// schedule picks the wait before the next DescribeServiceDeployments.
// Where ECS's timing is known from the deployment configuration (the end
// of the bake time, the next LINEAR step, the end of a CANARY's bake) it
// sleeps until the transition is due, at most deploy.SparseMax at a time, then
// polls every PollMin for up to deploy.DenseWindow; through CLEAN_UP, which ends
// the deployment, it polls every PollMin; elsewhere it polls every PollMin
// after a change and backs off by half up to PollMax.
type schedule struct {
	min, max time.Duration
	interval time.Duration
}

func (d *Driver) schedule() *schedule {
	return &schedule{min: d.pollMin(), max: d.pollMax(), interval: d.pollMin()}
}

// next returns how long to sleep after a poll at now.
func (s *schedule) next(w *watcher, now time.Time, changed bool) time.Duration {
	if changed {
		s.interval = s.min
	} else {
		s.interval = min(s.interval*3/2, s.max)
	}
	due, ok := w.expect()
	switch {
	case !ok:
		return s.interval
	case due.After(now):
		return min(due.Sub(now)+deploy.Slack, deploy.SparseMax)
	case now.Sub(due) < deploy.DenseWindow:
		return s.min
	}
	return s.interval
}

// expect returns the earliest time the deployment's next predictable
// transition can happen, if there is one.
func (w *watcher) expect() (time.Time, bool) {
	if w.sd == nil {
		return time.Time{}, false
	}
	cfg := w.sd.DeploymentConfiguration
	switch {
	case w.stage == types.ServiceDeploymentLifecycleStageCleanUp:
		return w.stageFrom, true // the end comes next
	case w.status != types.ServiceDeploymentStatusInProgress || cfg == nil:
		return time.Time{}, false
	case w.awaiting() != nil:
		return aws.ToTime(w.awaiting().ExpiresAt), true // its timeout acts then, unless someone continues it first
	case w.stage == types.ServiceDeploymentLifecycleStageBakeTime:
		return w.bakeEnds(), true
	case w.stage == types.ServiceDeploymentLifecycleStageProductionTrafficShift && w.weights != nil && w.weights.Production > 0 && w.weights.Production < 100:
		var step *int32
		switch {
		case cfg.Strategy == types.DeploymentStrategyLinear && cfg.LinearConfiguration != nil:
			step = cfg.LinearConfiguration.StepBakeTimeInMinutes
		case cfg.Strategy == types.DeploymentStrategyCanary && cfg.CanaryConfiguration != nil:
			step = cfg.CanaryConfiguration.CanaryBakeTimeInMinutes
		}
		if step != nil {
			return w.shiftedAt.Add(time.Duration(*step) * time.Minute), true
		}
	}
	return time.Time{}, false
}

// bakeEnds is when the bake time of a deployment in it ends.
func (w *watcher) bakeEnds() time.Time {
	if w.sd == nil || w.stage != types.ServiceDeploymentLifecycleStageBakeTime || w.sd.DeploymentConfiguration == nil {
		return time.Time{}
	}
	return w.stageFrom.Add(time.Duration(aws.ToInt32(w.sd.DeploymentConfiguration.BakeTimeInMinutes)) * time.Minute)
}
