package ecsnative

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/poll"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// hookMode is what follow does at a PAUSE hook awaiting action.
type hookMode int

const (
	hookContinue hookMode = iota // ContinueServiceDeployment(CONTINUE), once per hook
	hookPause                    // return poll.Ready
	hookWait                     // keep waiting: someone else decides
)

// watcher follows one service deployment and remembers what it reported.
type watcher struct {
	d            *Driver
	arn          string
	sd           *types.ServiceDeployment // the last answer
	status       types.ServiceDeploymentStatus
	stage        types.ServiceDeploymentLifecycleStage
	stageFrom    time.Time // earliest time the stage can have begun
	weights      *Weights
	shiftedAt    time.Time         // when the production weight last moved
	hooks        map[string]string // hook id -> status reported
	continued    map[string]bool   // PAUSE hooks the driver continued
	lastPoll     time.Time
	untilTraffic bool
}

func (d *Driver) watcher(arn string) *watcher {
	return &watcher{d: d, arn: arn, hooks: map[string]string{}, continued: map[string]bool{}}
}

func (w *watcher) note(msg string) { w.d.observer().Note(w.arn, msg) }

func isTerminal(st types.ServiceDeploymentStatus) bool {
	switch st {
	case types.ServiceDeploymentStatusSuccessful, types.ServiceDeploymentStatusStopped,
		types.ServiceDeploymentStatusRollbackSuccessful, types.ServiceDeploymentStatusRollbackFailed:
		return true
	}
	return false
}

// awaiting is the PAUSE hook awaiting action that the driver has not
// continued, if any.
func (w *watcher) awaiting() *types.DeploymentLifecycleHookDetail {
	if w.sd == nil || w.status != types.ServiceDeploymentStatusInProgress {
		return nil
	}
	for i, h := range w.sd.LifecycleHookDetails {
		if h.TargetType == types.DeploymentLifecycleHookTargetTypePause && h.Status == types.DeploymentLifecycleHookStatusAwaitingAction &&
			!w.continued[aws.ToString(h.HookId)] {
			return &w.sd.LifecycleHookDetails[i]
		}
	}
	return nil
}

// trafficShifted reports whether production traffic is all on the new
// revision: the bake time (or the clean-up after it) has begun.
func (w *watcher) trafficShifted() bool {
	return w.status == types.ServiceDeploymentStatusInProgress &&
		(w.stage == types.ServiceDeploymentLifecycleStageBakeTime || w.stage == types.ServiceDeploymentLifecycleStageCleanUp)
}

// follow polls the deployment until it ends, pauses (hookPause), passes
// limit (0: none) or ctx ends, continuing PAUSE hooks (hookContinue). Its
// schedule picks the intervals.
func (w *watcher) follow(ctx context.Context, limit time.Duration, mode hookMode) (poll.End, error) {
	sched := w.d.schedule()
	return poll.Loop{
		Clock: w.d.clock(), Min: w.d.pollMin(), Max: w.d.pollMax(), Service: "ECS", Note: w.note,
		Read:  w.poll,
		Ended: func() (poll.End, bool) { return w.ended(mode) },
		Act:   func(ctx context.Context) (bool, error) { return w.act(ctx, mode) },
		Next:  func(now time.Time, changed bool) time.Duration { return sched.next(w, now, changed) },
	}.Follow(ctx, limit)
}

// ended says whether the deployment as last read ends follow, and how.
func (w *watcher) ended(mode hookMode) (poll.End, bool) {
	switch {
	case isTerminal(w.status):
		return poll.Terminal, true
	case w.untilTraffic && w.trafficShifted():
		return poll.TrafficShifted, true
	case mode == hookPause && w.awaiting() != nil:
		return poll.Ready, true
	}
	return 0, false
}

// act continues a PAUSE hook awaiting action (hookContinue), and reports
// whether it tried.
func (w *watcher) act(ctx context.Context, mode hookMode) (bool, error) {
	h := w.awaiting()
	if h == nil || mode != hookContinue {
		return false, nil
	}
	return true, w.continueHook(ctx, h)
}

// continueHook continues a PAUSE hook awaiting action (on-ready: continue).
func (w *watcher) continueHook(ctx context.Context, h *types.DeploymentLifecycleHookDetail) error {
	id := aws.ToString(h.HookId)
	if err := w.d.continueHook(ctx, w.arn, id); err != nil {
		var inv *types.InvalidParameterException
		if errors.As(err, &inv) {
			return nil // no longer awaiting (a stop, a timeout or a person acted): the next poll reads it
		}
		return err
	}
	w.continued[id] = true
	w.note(fmt.Sprintf("the PAUSE hook at %s is awaiting action: continuing the deployment (on-ready: continue)", w.stage))
	return nil
}

// continueHook calls ContinueServiceDeployment(CONTINUE) for hook id.
func (d *Driver) continueHook(ctx context.Context, arn, id string) error {
	_, err := d.API.ContinueServiceDeployment(ctx, &ecs.ContinueServiceDeploymentInput{
		ServiceDeploymentArn: aws.String(arn), HookId: aws.String(id), Action: types.DeploymentLifecycleHookActionContinue,
	})
	if err != nil {
		return fmt.Errorf("continuing service deployment %s at hook %s: %w", arn, id, err)
	}
	return nil
}

// poll reads the deployment and reports to the observer what changed
// since the last poll: its status or stage, the target revision's
// weights, its hooks.
func (w *watcher) poll(ctx context.Context) (bool, error) {
	out, err := w.d.API.DescribeServiceDeployments(ctx, &ecs.DescribeServiceDeploymentsInput{ServiceDeploymentArns: []string{w.arn}})
	if err != nil {
		return false, fmt.Errorf("reading service deployment %s: %w", w.arn, err)
	}
	if len(out.ServiceDeployments) == 0 {
		reason := "not found"
		if len(out.Failures) > 0 {
			reason = aws.ToString(out.Failures[0].Reason)
		}
		return false, fmt.Errorf("reading service deployment %s: %s", w.arn, reason)
	}
	sd := &out.ServiceDeployments[0]
	now := w.d.clock().Now()
	// A change happened after the previous poll, and when ECS last updated
	// the deployment if that is later.
	since := w.lastPoll
	if u := aws.ToTime(sd.UpdatedAt); u.After(since) && !u.After(now) {
		since = u
	}
	w.sd, w.lastPoll = sd, now
	obs := w.d.observer()
	changed := false
	if sd.Status != w.status || sd.LifecycleStage != w.stage {
		if sd.LifecycleStage != w.stage {
			w.stageFrom = since
		}
		w.status, w.stage, changed = sd.Status, sd.LifecycleStage, true
		obs.Stage(w.arn, string(sd.Status), string(sd.LifecycleStage), now)
	}
	if t := sd.TargetServiceRevision; t != nil {
		wt := Weights{Production: aws.ToFloat64(t.RequestedProductionTrafficWeight), Test: aws.ToFloat64(t.RequestedTestTrafficWeight)}
		if w.weights == nil || *w.weights != wt {
			if w.weights == nil || w.weights.Production != wt.Production {
				w.shiftedAt = since
			}
			w.weights, changed = &wt, true
			obs.Weights(w.arn, wt)
		}
	}
	for _, h := range sd.LifecycleHookDetails {
		id := aws.ToString(h.HookId)
		if w.hooks[id] == string(h.Status) {
			continue
		}
		w.hooks[id], changed = string(h.Status), true
		obs.Hook(w.arn, hook(h, string(sd.LifecycleStage)))
	}
	return changed, nil
}

func hook(h types.DeploymentLifecycleHookDetail, stage string) Hook {
	return Hook{ID: aws.ToString(h.HookId), Stage: stage, TargetType: string(h.TargetType), TargetARN: aws.ToString(h.TargetArn),
		Status: string(h.Status), ExpiresAt: aws.ToTime(h.ExpiresAt), TimeoutAction: string(h.TimeoutAction)}
}
