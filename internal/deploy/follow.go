package deploy

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/poll"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
)

// readyMode is what follow does when the deployment is at Ready.
type readyMode int

const (
	readyContinue readyMode = iota // call ContinueDeployment(READY_WAIT)
	readyPause                     // return poll.Ready
	readyWait                      // keep waiting: someone else decides
)

// watcher follows one deployment and remembers what it reported.
type watcher struct {
	d         *Driver
	id        string
	info      *types.DeploymentInfo
	phase     string
	continued bool
	targetIDs []string
	total     int64 // deploymentOverview's sum when targetIDs were listed
	targets   map[string]*Target
	seen      map[string]string // target/event -> status, target -> weights

	untilTraffic bool // end follow once traffic has moved (WatchOptions.UntilTrafficShifted)
}

func (d *Driver) watcher(id string) *watcher {
	return &watcher{d: d, id: id, targets: map[string]*Target{}, seen: map[string]string{}}
}

func (w *watcher) note(msg string) { w.d.observer().Note(w.id, msg) }

func (w *watcher) status() types.DeploymentStatus {
	if w.info == nil {
		return ""
	}
	return w.info.Status
}

func (w *watcher) rollbackID() string {
	if w.info == nil || w.info.RollbackInfo == nil {
		return ""
	}
	return aws.ToString(w.info.RollbackInfo.RollbackDeploymentId)
}

// follow polls the deployment until it is terminal, at Ready (readyPause),
// past limit (0: none) or cancelled, continuing it at Ready (readyContinue).
// Its schedule picks the intervals.
func (w *watcher) follow(ctx context.Context, limit time.Duration, mode readyMode) (poll.End, error) {
	sched := w.d.schedule()
	return poll.Loop{
		Clock: w.d.clock(), Min: w.d.pollMin(), Max: w.d.pollMax(), Service: "CodeDeploy", Note: w.note,
		Read:  w.poll,
		Ended: func() (poll.End, bool) { return w.ended(mode) },
		Act:   func(ctx context.Context) (bool, error) { return w.act(ctx, mode) },
		Next:  func(now time.Time, changed bool) time.Duration { return sched.next(ctx, w, now, changed) },
	}.Follow(ctx, limit)
}

// ended says whether the deployment as last read ends follow, and how.
func (w *watcher) ended(mode readyMode) (poll.End, bool) {
	switch st := w.info.Status; {
	case isTerminal(st):
		return poll.Terminal, true
	case w.untilTraffic && st == types.DeploymentStatusInProgress && w.trafficShifted():
		return poll.TrafficShifted, true
	case st == types.DeploymentStatusReady && mode == readyPause:
		return poll.Ready, true
	}
	return 0, false
}

// act continues the deployment once at Ready (readyContinue), and reports
// whether it tried.
func (w *watcher) act(ctx context.Context, mode readyMode) (bool, error) {
	if w.info.Status != types.DeploymentStatusReady || mode != readyContinue || w.continued {
		return false, nil
	}
	return true, w.continueReady(ctx)
}

// continueReady shifts traffic of a deployment waiting at Ready.
func (w *watcher) continueReady(ctx context.Context) error {
	_, err := w.d.API.ContinueDeployment(ctx, &codedeploy.ContinueDeploymentInput{
		DeploymentId:       aws.String(w.id),
		DeploymentWaitType: types.DeploymentWaitTypeReadyWait,
	})
	var done *types.DeploymentAlreadyCompletedException
	if errors.As(err, &done) {
		return nil // a stop (asynchronous) landed meanwhile: the next poll reads the end
	}
	var notReady *types.DeploymentIsNotInReadyStateException
	if err != nil && !errors.As(err, &notReady) {
		return fmt.Errorf("continuing deployment %s at Ready: %w", w.id, err)
	}
	w.continued = true
	w.note("the replacement is ready: continuing the deployment (traffic moves now)")
	return nil
}

// poll reads the deployment (and its targets while they move, and once more
// when it reaches Ready or its end) and reports whether anything changed
// since the last poll.
func (w *watcher) poll(ctx context.Context) (bool, error) {
	out, err := w.d.API.GetDeployment(ctx, &codedeploy.GetDeploymentInput{DeploymentId: aws.String(w.id)})
	if err != nil {
		return false, fmt.Errorf("reading deployment %s: %w", w.id, err)
	}
	if out.DeploymentInfo == nil {
		return false, fmt.Errorf("reading deployment %s: the answer has no deploymentInfo", w.id)
	}
	w.info = out.DeploymentInfo
	at := w.d.clock().Now()
	st := w.info.Status
	phase := string(st)
	if st == types.DeploymentStatusInProgress && w.info.InstanceTerminationWaitTimeStarted {
		phase = PhaseTerminationWait
	}
	changed := phase != w.phase
	settled := st == types.DeploymentStatusReady || isTerminal(st)
	if changed && settled {
		// Read the targets one last time before announcing the phase, so
		// that the events that led to it come first: what was installed,
		// how it ended.
		w.refreshTargets(ctx, true)
	}
	if changed {
		w.phase = phase
		w.d.observer().Phase(w.id, phase, at)
	}
	// Targets move only while the deployment does.
	moving := !settled && st != types.DeploymentStatusCreated && st != types.DeploymentStatusQueued
	if moving && w.refreshTargets(ctx, false) {
		changed = true
	}
	return changed, nil
}
