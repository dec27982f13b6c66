package deploy

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy/types"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/outcome"
)

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
	StoppedFor     string // with Cancelled: why a run with several targets stopped it ("target eu-west-1/api failed"); "": the run was cancelled
	Abandoned      error  // why the action gave up watching it (a non-transient API error)
	// StopRequested: the driver's StopDeployment was accepted; StopErr: it
	// was refused or failed. Neither: the driver did not try to stop it.
	StopRequested bool
	StopErr       error

	TrafficShifted bool // left InProgress once traffic moved (UntilTrafficShifted)
	// TerminationWaitEnds is when the termination wait of a deployment in
	// it ends (zero otherwise): the targets' last lifecycle event end plus
	// the group's terminationWaitTimeInMinutes.
	TerminationWaitEnds time.Time
}

// Err is nil when the deployment Succeeded, was left at Ready on purpose, or
// was left in progress once traffic moved, and otherwise says why not,
// wrapping ErrFailed or ErrStopped, ErrRolledBack when a rollback was
// created, and ErrTimedOut or ErrCancelled.
func (o *Outcome) Err() error {
	if o.Status == types.DeploymentStatusSucceeded || (o.Paused && o.Status == types.DeploymentStatusReady) ||
		(o.TrafficShifted && o.Status == types.DeploymentStatusInProgress) {
		return nil
	}
	var b strings.Builder
	errs := []error{}
	fmt.Fprintf(&b, "deployment %s ", o.ID)
	switch {
	case o.Cancelled && o.StopRequested && !isTerminal(o.Status):
		// StopDeployment answered Pending and the grace period ran out first.
		errs = append(errs, ErrCancelled)
		b.WriteString("was not stopped yet: " + o.stoppedFor() + ", stop requested; CodeDeploy had not finished stopping it when the run ended")
		if o.Status != "" {
			fmt.Fprintf(&b, " (last seen %s)", o.Status)
		}
	case o.Cancelled && o.StoppedFor != "":
		errs = append(errs, ErrCancelled)
		b.WriteString("was stopped because " + o.StoppedFor + ": " + o.stopWords())
	case o.Cancelled:
		errs = append(errs, ErrCancelled)
		b.WriteString("was left because the run was cancelled: " + o.stopWords())
	case o.TimedOut:
		errs = append(errs, ErrTimedOut)
		b.WriteString("did not end within the timeout: " + o.stopWords())
	case o.Abandoned != nil:
		errs = append(errs, ErrAbandoned, o.Abandoned)
		fmt.Fprintf(&b, "was given up on (%v): %s", o.Abandoned, o.stopWords())
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
	return outcome.Error(b.String(), errs)
}

// stopWords says what became of the driver's stop: requested and pending,
// stopped, or refused.
func (o *Outcome) stopWords() string {
	ended := ""
	switch {
	case o.Status == types.DeploymentStatusStopped:
		ended = "stopped"
	case isTerminal(o.Status):
		ended = fmt.Sprintf("stop requested, but it ended %s first", o.Status)
	}
	return outcome.Stop{Requested: o.StopRequested, Err: o.StopErr, Status: string(o.Status), Ended: ended}.String()
}

func (o *Outcome) statusWord() string { return outcome.StatusWord(string(o.Status)) }

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
	out.TerminationWaitEnds = terminationWaitEnd(w.info, w.targets)
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

// stoppedFor says why the run stopped a deployment it cancelled.
func (o *Outcome) stoppedFor() string {
	if o.StoppedFor != "" {
		return o.StoppedFor
	}
	return "the run was cancelled"
}
