package deploy

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awscfg"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
)

// readyMode is what follow does when the deployment is at Ready.
type readyMode int

const (
	readyContinue readyMode = iota // call ContinueDeployment(READY_WAIT)
	readyPause                     // return endReady
	readyWait                      // keep waiting: someone else decides
)

// end is why follow returned.
type end int

const (
	endTerminal end = iota
	endReady
	endTimeout
	endCancelled
	endTrafficShifted // untilTraffic: every AllowTraffic event ended
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
// past limit (0: none) or cancelled. Its schedule picks the intervals;
// throttling lengthens them. Transient errors (throttling, server faults,
// network errors, after the SDK's own retries) are retried until limit; any
// other error ends the watch.
func (w *watcher) follow(ctx context.Context, limit time.Duration, mode readyMode) (end, error) {
	clock := w.d.clock()
	var deadline time.Time
	if limit > 0 {
		deadline = clock.Now().Add(limit)
	}
	interval, failing := w.d.pollMin(), false
	sched := w.d.schedule()
	for {
		changed, err := w.poll(ctx)
		switch {
		case err != nil && ctx.Err() != nil:
			return endCancelled, nil
		case err != nil && awscfg.Throttled(err):
			interval = min(max(2*interval, w.d.pollMax()), 4*w.d.pollMax())
			w.note(fmt.Sprintf("CodeDeploy is throttling: polling every %s", interval.Round(time.Millisecond)))
		case err != nil && awscfg.Transient(err):
			if !failing {
				w.note(fmt.Sprintf("retrying until the timeout: %v", err))
			}
			failing, interval = true, w.d.pollMax()
		case err != nil:
			return endTerminal, err
		default:
			failing = false
			switch st := w.info.Status; {
			case isTerminal(st):
				return endTerminal, nil
			case w.untilTraffic && st == types.DeploymentStatusInProgress && w.trafficShifted():
				return endTrafficShifted, nil
			case st == types.DeploymentStatusReady && mode == readyPause:
				return endReady, nil
			case st == types.DeploymentStatusReady && mode == readyContinue && !w.continued:
				if err := w.continueReady(ctx); err != nil {
					if ctx.Err() != nil {
						return endCancelled, nil
					}
					if !awscfg.Throttled(err) && !awscfg.Transient(err) {
						return endTerminal, err
					}
				}
				changed = true
			}
			interval = sched.next(ctx, w, clock.Now(), changed)
		}
		wait := interval
		if !deadline.IsZero() {
			wait = min(wait, deadline.Sub(clock.Now()))
		}
		if !clock.Sleep(ctx, wait) {
			return endCancelled, nil
		}
		if !deadline.IsZero() && !clock.Now().Before(deadline) {
			return endTimeout, nil
		}
	}
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
