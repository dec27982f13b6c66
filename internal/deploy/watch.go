package deploy

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
	"github.com/aws/smithy-go"
)

// Driver creates and drives deployments through the CodeDeploy API.
type Driver struct {
	API      API
	Observer Observer // nil: nobody listens
	// PollMin and PollMax bound the adaptive GetDeployment interval
	// (0: 1 s and 4 s, so a terminal state is seen within 5 s).
	PollMin, PollMax time.Duration
	// StopTimeout bounds StopDeployment after cancellation (0: 5 s; the
	// runner kills the action about 7 s after its signal).
	StopTimeout time.Duration
}

// WatchOptions say how to drive a deployment to its end.
type WatchOptions struct {
	PauseAtReady      bool          // leave a deployment at Ready instead of continuing it
	Timeout           time.Duration // 0: none
	RollbackOnTimeout bool
	RollbackOnCancel  bool
}

// Outcome is how a deployment ended, or where it was left.
type Outcome struct {
	ID             string
	Status         types.DeploymentStatus // CodeDeploy's last status of the deployment
	ErrorCode      string
	ErrorMessage   string
	RollbackID     string
	RollbackStatus types.DeploymentStatus
	Targets        []Target
	Failure        *Diagnostics // the failing lifecycle event, if any
	Paused         bool         // left at Ready (PauseAtReady)
	TimedOut       bool
	Cancelled      bool
}

// Err is nil when the deployment Succeeded or was left at Ready on purpose,
// and otherwise says why not, wrapping ErrFailed or ErrStopped, ErrRolledBack
// when a rollback was created, and ErrTimedOut or ErrCancelled.
func (o *Outcome) Err() error {
	if o.Status == types.DeploymentStatusSucceeded || (o.Paused && o.Status == types.DeploymentStatusReady) {
		return nil
	}
	var b strings.Builder
	errs := []error{}
	fmt.Fprintf(&b, "deployment %s ", o.ID)
	switch {
	case o.Cancelled:
		errs = append(errs, ErrCancelled)
		b.WriteString("was stopped because the run was cancelled")
	case o.TimedOut:
		errs = append(errs, ErrTimedOut)
		b.WriteString("was stopped because it did not end within the timeout")
	case o.Status == types.DeploymentStatusStopped:
		errs = append(errs, ErrStopped)
		b.WriteString("was stopped")
	default:
		errs = append(errs, ErrFailed)
		fmt.Fprintf(&b, "ended %s", o.Status)
	}
	if o.ErrorCode != "" || o.ErrorMessage != "" {
		fmt.Fprintf(&b, ": %s: %s", o.ErrorCode, o.ErrorMessage)
	}
	if f := o.Failure; f != nil {
		fmt.Fprintf(&b, " (%s on %s", f.Event, f.Target)
		if f.Script != "" {
			fmt.Fprintf(&b, ", script %s", f.Script)
		}
		if f.ErrorCode != "" {
			fmt.Fprintf(&b, ", %s", f.ErrorCode)
		}
		b.WriteString(")")
	}
	if o.RollbackID != "" {
		errs = append(errs, ErrRolledBack)
		fmt.Fprintf(&b, "; rolled back by %s", o.RollbackID)
		if o.RollbackStatus != "" {
			fmt.Fprintf(&b, " (%s)", o.RollbackStatus)
		}
	}
	return &outcomeError{msg: b.String(), errs: errs}
}

type outcomeError struct {
	msg  string
	errs []error
}

func (e *outcomeError) Error() string   { return e.msg }
func (e *outcomeError) Unwrap() []error { return e.errs }

// Watch drives deployment id to its end: it continues it at Ready (or
// leaves it there with PauseAtReady), stops it on timeout or when ctx is
// cancelled, and follows the rollback CodeDeploy creates. The error is
// Outcome.Err, or why the deployment could not be watched.
func (d *Driver) Watch(ctx context.Context, id string, opts WatchOptions) (*Outcome, error) {
	w := d.watcher(id)
	mode := readyContinue
	if opts.PauseAtReady {
		mode = readyPause
	}
	end, err := w.follow(ctx, opts.Timeout, mode)
	if err != nil {
		return w.outcome(), err
	}
	switch end {
	case endReady:
		out := w.outcome()
		out.Paused = true
		return out, nil
	case endCancelled:
		return d.cancel(ctx, w, opts.RollbackOnCancel)
	case endTimeout:
		w.note(fmt.Sprintf("the timeout (%s) passed: stopping the deployment%s", opts.Timeout, rollbackWords(opts.RollbackOnTimeout)))
		if err := d.stop(ctx, id, opts.RollbackOnTimeout); err != nil {
			if ctx.Err() != nil {
				return d.cancel(ctx, w, opts.RollbackOnCancel) // the cancel cut the call short
			}
			return w.outcome(), fmt.Errorf("deployment %s timed out, and stopping it failed: %w", id, err)
		}
		end, err = w.follow(ctx, stopFollowLimit, readyWait)
		if err != nil {
			return w.outcome(), err
		}
		if end == endCancelled {
			return d.cancel(ctx, w, opts.RollbackOnCancel)
		}
		out, err := d.finish(ctx, w, rollbackLimit(opts.Timeout))
		out.TimedOut = true
		return out, errors.Join(err, out.Err())
	}
	out, err := d.finish(ctx, w, rollbackLimit(opts.Timeout))
	return out, errors.Join(err, out.Err())
}

// stopFollowLimit bounds the wait for a stopped deployment to reach Stopped.
const stopFollowLimit = 5 * time.Minute

// rollbackLimit bounds following a rollback: the watch's timeout, or 30 min.
func rollbackLimit(timeout time.Duration) time.Duration {
	if timeout > 0 {
		return timeout
	}
	return timeoutMargin
}

func rollbackWords(rollback bool) string {
	if rollback {
		return " with rollback"
	}
	return " without rollback"
}

// finish reads a deployment at its end: the failing event among the targets
// poll read last, and its rollback, followed to its own end within limit.
func (d *Driver) finish(ctx context.Context, w *watcher, limit time.Duration) (*Outcome, error) {
	info := w.info
	if st := info.Status; st == types.DeploymentStatusFailed || st == types.DeploymentStatusStopped {
		// CodeDeploy may name the rollback a moment after the status changes.
		for i := 0; i < 3 && w.rollbackID() == "" && rollbackExpected(info); i++ {
			if !sleep(ctx, w.d.pollMin()) {
				break
			}
			if _, err := w.poll(ctx); err != nil {
				break
			}
			info = w.info
		}
	}
	out := w.outcome()
	if out.RollbackID == "" {
		return out, nil
	}
	w.d.observer().Rollback(w.id, out.RollbackID)
	rb := d.watcher(out.RollbackID)
	end, err := rb.follow(ctx, limit, readyContinue)
	if err != nil {
		return out, fmt.Errorf("following rollback %s: %w", out.RollbackID, err)
	}
	out.RollbackStatus = rb.status()
	if end == endTimeout || end == endCancelled {
		w.note(fmt.Sprintf("stopped following rollback %s while %s", out.RollbackID, out.RollbackStatus))
	}
	return out, nil
}

// rollbackExpected reports whether a failed or stopped deployment will
// likely name a rollback deployment.
func rollbackExpected(info *types.DeploymentInfo) bool {
	if info.RollbackInfo != nil && aws.ToString(info.RollbackInfo.RollbackMessage) != "" {
		return false // CodeDeploy said why there is none
	}
	return info.AutoRollbackConfiguration != nil && info.AutoRollbackConfiguration.Enabled
}

// cancel stops the deployment after the run was cancelled, within
// StopTimeout of a context that is no longer cancelled, and reports it.
func (d *Driver) cancel(ctx context.Context, w *watcher, rollback bool) (*Outcome, error) {
	sctx, done := context.WithTimeout(context.WithoutCancel(ctx), d.stopTimeout())
	defer done()
	w.note("the run was cancelled: stopping the deployment" + rollbackWords(rollback))
	stopErr := d.stop(sctx, w.id, rollback)
	// StopDeployment is asynchronous (it answers Pending): look until the
	// deployment is Stopped, or report what is known when time runs out.
	for stopErr == nil {
		if _, err := w.poll(sctx); err != nil {
			w.note(fmt.Sprintf("reading the stopped deployment: %v", err))
			break
		}
		if isTerminal(w.status()) || !sleep(sctx, w.d.pollMin()) {
			break
		}
	}
	out := w.outcome()
	out.Cancelled = true
	if stopErr != nil {
		return out, errors.Join(out.Err(), fmt.Errorf("stopping deployment %s after cancellation: %w", w.id, stopErr))
	}
	if out.RollbackID != "" {
		d.observer().Rollback(w.id, out.RollbackID)
	}
	return out, out.Err()
}

// stop calls StopDeployment; a deployment that already ended is not an error.
func (d *Driver) stop(ctx context.Context, id string, rollback bool) error {
	_, err := d.API.StopDeployment(ctx, &codedeploy.StopDeploymentInput{
		DeploymentId:        aws.String(id),
		AutoRollbackEnabled: aws.Bool(rollback),
	})
	var done *types.DeploymentAlreadyCompletedException
	if err != nil && !errors.As(err, &done) {
		return fmt.Errorf("stopping deployment %s: %w", id, err)
	}
	return nil
}

func (d *Driver) observer() Observer {
	if d.Observer == nil {
		return nopObserver{}
	}
	return d.Observer
}

func (d *Driver) pollMin() time.Duration {
	if d.PollMin > 0 {
		return d.PollMin
	}
	return time.Second
}

func (d *Driver) pollMax() time.Duration {
	if d.PollMax > 0 {
		return d.PollMax
	}
	return 4 * time.Second
}

func (d *Driver) stopTimeout() time.Duration {
	if d.StopTimeout > 0 {
		return d.StopTimeout
	}
	return 5 * time.Second
}

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
)

// maxTransient is how many GetDeployment failures in a row (after the SDK's
// own retries) are tolerated before the watch gives up.
const maxTransient = 5

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
// past limit (0: none) or cancelled. It polls about every PollMin near
// changes, backing off to PollMax while nothing changes, and longer while
// throttled.
func (w *watcher) follow(ctx context.Context, limit time.Duration, mode readyMode) (end, error) {
	var deadline <-chan time.Time
	if limit > 0 {
		t := time.NewTimer(limit)
		defer t.Stop()
		deadline = t.C
	}
	interval, failures := w.d.pollMin(), 0
	for {
		changed, err := w.poll(ctx)
		switch {
		case err != nil && ctx.Err() != nil:
			return endCancelled, nil
		case err != nil && isThrottled(err):
			failures = 0
			interval = min(max(2*interval, w.d.pollMax()), 4*w.d.pollMax())
			w.note(fmt.Sprintf("CodeDeploy is throttling: polling every %s", interval.Round(time.Millisecond)))
		case err != nil && isTransient(err) && failures < maxTransient:
			failures++
			interval = w.d.pollMax()
		case err != nil:
			return endTerminal, err
		default:
			failures = 0
			switch st := w.info.Status; {
			case isTerminal(st):
				return endTerminal, nil
			case st == types.DeploymentStatusReady && mode == readyPause:
				return endReady, nil
			case st == types.DeploymentStatusReady && mode == readyContinue && !w.continued:
				if err := w.continueReady(ctx); err != nil {
					if ctx.Err() != nil {
						return endCancelled, nil
					}
					if !isThrottled(err) && !isTransient(err) {
						return endTerminal, err
					}
				}
				changed = true
			}
			if changed {
				interval = w.d.pollMin()
			} else {
				interval = min(interval*3/2, w.d.pollMax())
			}
		}
		t := time.NewTimer(interval)
		select {
		case <-ctx.Done():
			t.Stop()
			return endCancelled, nil
		case <-deadline:
			t.Stop()
			return endTimeout, nil
		case <-t.C:
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
	at := time.Now()
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

// refreshTargets reads the targets' lifecycle events, tells the observer
// about each change and reports whether there was one. Targets are
// informative: a failure to read them is noted, not returned.
func (w *watcher) refreshTargets(ctx context.Context, final bool) bool {
	total := overviewTotal(w.info)
	if len(w.targetIDs) == 0 || total != w.total || final {
		ids, err := w.listTargets(ctx)
		if err != nil {
			w.noteTargetError(err)
			return false
		}
		w.targetIDs, w.total = ids, total
	}
	changed := false
	for start := 0; start < len(w.targetIDs); start += 25 {
		batch := w.targetIDs[start:min(start+25, len(w.targetIDs))]
		out, err := w.d.API.BatchGetDeploymentTargets(ctx, &codedeploy.BatchGetDeploymentTargetsInput{
			DeploymentId: aws.String(w.id),
			TargetIds:    batch,
		})
		if err != nil {
			w.noteTargetError(err)
			return changed
		}
		for _, dt := range out.DeploymentTargets {
			t, ok := targetOf(dt)
			if ok && w.record(t) {
				changed = true
			}
		}
	}
	return changed
}

func (w *watcher) noteTargetError(err error) {
	var notStarted *types.DeploymentNotStartedException
	if errors.As(err, &notStarted) || isThrottled(err) || ctxErr(err) {
		return
	}
	w.note(fmt.Sprintf("reading the deployment's targets: %v", err))
}

func (w *watcher) listTargets(ctx context.Context) ([]string, error) {
	var ids []string
	in := &codedeploy.ListDeploymentTargetsInput{DeploymentId: aws.String(w.id)}
	for {
		out, err := w.d.API.ListDeploymentTargets(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("listing targets of deployment %s: %w", w.id, err)
		}
		ids = append(ids, out.TargetIds...)
		if aws.ToString(out.NextToken) == "" {
			return ids, nil
		}
		in.NextToken = out.NextToken
	}
}

// record stores a target's state, tells the observer what changed and
// reports whether anything did.
func (w *watcher) record(t Target) bool {
	w.targets[t.ID] = &t
	changed := false
	for _, e := range t.Events {
		key := t.ID + "/" + e.Name
		if w.seen[key] == e.Status {
			continue
		}
		if w.seen[key] == "" && e.Status == string(types.LifecycleEventStatusPending) {
			w.seen[key] = e.Status // pending events are not news
			continue
		}
		w.seen[key] = e.Status
		changed = true
		w.d.observer().Event(w.id, t, e)
	}
	if len(t.TaskSets) > 0 {
		var b strings.Builder
		for _, ts := range t.TaskSets {
			fmt.Fprintf(&b, "%s=%g/%d/%d;", ts.Label, ts.Weight, ts.Running, ts.Desired)
		}
		if w.seen[t.ID] != b.String() {
			w.seen[t.ID] = b.String()
			changed = true
			w.d.observer().Weights(w.id, t)
		}
	}
	return changed
}

// outcome is what the watcher knows of the deployment now.
func (w *watcher) outcome() *Outcome {
	out := &Outcome{ID: w.id, Status: w.status(), RollbackID: w.rollbackID()}
	if w.info != nil && w.info.ErrorInformation != nil {
		out.ErrorCode = string(w.info.ErrorInformation.Code)
		out.ErrorMessage = aws.ToString(w.info.ErrorInformation.Message)
	}
	ids := make([]string, 0, len(w.targets))
	for id := range w.targets {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		out.Targets = append(out.Targets, *w.targets[id])
	}
	out.Failure = failure(out.Targets)
	return out
}

// failure picks the diagnostics of the first failed lifecycle event, green
// targets first.
func failure(targets []Target) *Diagnostics {
	var found *Diagnostics
	for _, t := range targets {
		for _, e := range t.Events {
			if e.Status != string(types.LifecycleEventStatusFailed) {
				continue
			}
			d := &Diagnostics{Target: t.ID, Label: t.Label, Event: e.Name}
			if e.Diagnostics != nil {
				d = e.Diagnostics
			}
			if found == nil || (found.Label != "Green" && t.Label == "Green") {
				found = d
			}
			break
		}
	}
	return found
}

// targetOf converts a deployment target of any platform.
func targetOf(dt types.DeploymentTarget) (Target, bool) {
	var t Target
	var events []types.LifecycleEvent
	switch {
	case dt.InstanceTarget != nil:
		it := dt.InstanceTarget
		t = Target{ID: aws.ToString(it.TargetId), Label: string(it.InstanceLabel), Status: string(it.Status)}
		events = it.LifecycleEvents
	case dt.EcsTarget != nil:
		et := dt.EcsTarget
		t = Target{ID: aws.ToString(et.TargetId), Status: string(et.Status)}
		events = et.LifecycleEvents
		for _, ts := range et.TaskSetsInfo {
			t.TaskSets = append(t.TaskSets, TaskSet{
				ID: aws.ToString(ts.Identifer), Label: string(ts.TaskSetLabel), Status: aws.ToString(ts.Status),
				Weight: ts.TrafficWeight, Running: ts.RunningCount, Desired: ts.DesiredCount,
			})
		}
	case dt.LambdaTarget != nil:
		lt := dt.LambdaTarget
		t = Target{ID: aws.ToString(lt.TargetId), Status: string(lt.Status)}
		events = lt.LifecycleEvents
	default:
		return Target{}, false
	}
	for _, le := range events {
		e := Event{Name: aws.ToString(le.LifecycleEventName), Status: string(le.Status),
			Start: aws.ToTime(le.StartTime), End: aws.ToTime(le.EndTime)}
		if dg := le.Diagnostics; dg != nil && (dg.ErrorCode != "" && dg.ErrorCode != types.LifecycleErrorCodeSuccess || aws.ToString(dg.LogTail) != "") {
			e.Diagnostics = &Diagnostics{
				Target: t.ID, Label: t.Label, Event: e.Name, ErrorCode: string(dg.ErrorCode),
				Script: aws.ToString(dg.ScriptName), Message: aws.ToString(dg.Message), LogTail: aws.ToString(dg.LogTail),
			}
		}
		t.Events = append(t.Events, e)
	}
	return t, true
}

func overviewTotal(info *types.DeploymentInfo) int64 {
	o := info.DeploymentOverview
	if o == nil {
		return 0
	}
	return o.Pending + o.InProgress + o.Succeeded + o.Failed + o.Skipped + o.Ready
}

func isTerminal(st types.DeploymentStatus) bool {
	switch st {
	case types.DeploymentStatusSucceeded, types.DeploymentStatusFailed, types.DeploymentStatusStopped:
		return true
	}
	return false
}

// isThrottled reports whether AWS refused a call for its rate.
func isThrottled(err error) bool {
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		return false
	}
	switch ae.ErrorCode() {
	case "ThrottlingException", "Throttling", "ThrottledException", "RequestLimitExceeded", "TooManyRequestsException", "RequestThrottled":
		return true
	}
	return false
}

// isTransient reports whether a call may succeed when repeated: a server
// fault or a network error.
func isTransient(err error) bool {
	if ctxErr(err) {
		return false
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorFault() == smithy.FaultServer
	}
	return true
}

func ctxErr(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

// sleep waits d, or reports false when ctx ends first.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
