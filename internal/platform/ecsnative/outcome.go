package ecsnative

import (
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/outcome"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/report"
)

// statusInProgress is deployment-status while the deployment runs, and
// where the driver left it otherwise.
const statusInProgress = "InProgress"

// Outcome is how a service deployment ended, or where it was left.
type Outcome struct {
	ARN             string
	Status          types.ServiceDeploymentStatus // ECS's last status
	Stage           types.ServiceDeploymentLifecycleStage
	StatusReason    string
	Weights         Weights // of the target revision
	Hooks           []Hook  // of the current stage
	RollbackReason  string
	RolledBackTo    string   // the service revision ECS rolled back to
	PreviousTaskDef string   // the task definition the service ran before (WatchOptions.Previous)
	CircuitBreaker  bool     // the circuit breaker tripped
	TriggeredAlarms []string // alarms in ALARM
	BakeEnds        time.Time

	Paused         bool // left at a PAUSE hook awaiting action (on-ready: pause)
	TrafficShifted bool // left in its bake time (wait: traffic-shifted)
	TimedOut       bool
	Cancelled      bool
	StoppedFor     string // with Cancelled: why a run with several targets stopped it ("target eu-west-1/api failed"); "": the run was cancelled
	Abandoned      error  // why the driver gave up watching it (a non-transient API error)
	// StopRequested: the driver's StopServiceDeployment was accepted;
	// StopErr: it was refused or failed.
	StopRequested bool
	StopErr       error
}

// Awaiting is the PAUSE hook awaiting action, if any.
func (o *Outcome) Awaiting() *Hook {
	for i, h := range o.Hooks {
		if h.TargetType == string(types.DeploymentLifecycleHookTargetTypePause) && h.Status == string(types.DeploymentLifecycleHookStatusAwaitingAction) {
			return &o.Hooks[i]
		}
	}
	return nil
}

func (o *Outcome) rolledBack() bool {
	return o.Status == types.ServiceDeploymentStatusRollbackSuccessful || o.Status == types.ServiceDeploymentStatusRollbackFailed ||
		o.Status == types.ServiceDeploymentStatusRollbackRequested || o.Status == types.ServiceDeploymentStatusRollbackInProgress
}

// DeploymentStatus is the outcome in the action's words: Succeeded for
// SUCCESSFUL; Stopped when stopped on request (ECS's STOPPED, or a rollback
// the driver asked for); Failed when ECS rolled back on its own; Ready when
// left at a PAUSE hook; TrafficShifted when left in the bake time;
// InProgress otherwise.
func (o *Outcome) DeploymentStatus() string {
	switch {
	case o.Status == types.ServiceDeploymentStatusSuccessful:
		return report.StatusSucceeded
	case o.Status == types.ServiceDeploymentStatusStopped || o.Status == types.ServiceDeploymentStatusStopRequested ||
		o.rolledBack() && o.StopRequested:
		return report.StatusStopped
	case o.rolledBack():
		return report.StatusFailed
	case o.Paused && o.Awaiting() != nil:
		return report.StatusReady
	case o.TrafficShifted && o.Status == types.ServiceDeploymentStatusInProgress:
		return report.StatusTrafficShifted
	}
	return statusInProgress
}

// ErrorCode says why a deployment did not succeed: CIRCUIT_BREAKER_TRIGGERED,
// ALARM_ACTIVE, MANUAL_STOP, ROLLBACK_FAILED or DEPLOYMENT_ROLLED_BACK
// (the message has ECS's reason); "" otherwise.
func (o *Outcome) ErrorCode() string {
	switch st := o.DeploymentStatus(); {
	case st == report.StatusStopped:
		return "MANUAL_STOP"
	case st != report.StatusFailed:
		return ""
	case o.CircuitBreaker:
		return "CIRCUIT_BREAKER_TRIGGERED"
	case len(o.TriggeredAlarms) > 0:
		return "ALARM_ACTIVE"
	case o.Status == types.ServiceDeploymentStatusRollbackFailed:
		return "ROLLBACK_FAILED"
	}
	return "DEPLOYMENT_ROLLED_BACK"
}

// ErrorMessage is ECS's reason for the rollback or stop, the alarms in
// ALARM, and the revision rolled back to.
func (o *Outcome) ErrorMessage() string {
	st := o.DeploymentStatus()
	if st != report.StatusFailed && st != report.StatusStopped {
		return ""
	}
	reason := o.RollbackReason
	if reason == "" {
		reason = o.StatusReason
	}
	parts := []string{strings.TrimSuffix(reason, ".")}
	if len(o.TriggeredAlarms) > 0 {
		parts = append(parts, "alarms in ALARM: "+strings.Join(o.TriggeredAlarms, ", "))
	}
	if o.RolledBackTo != "" {
		to := "rolled back to service revision " + o.RolledBackTo
		if o.PreviousTaskDef != "" {
			to += " (task definition " + o.PreviousTaskDef + ")"
		}
		switch o.Status {
		case types.ServiceDeploymentStatusRollbackFailed:
			to = "the rollback to service revision " + o.RolledBackTo + " failed"
		case types.ServiceDeploymentStatusRollbackRequested, types.ServiceDeploymentStatusRollbackInProgress:
			to = "rolling back to service revision " + o.RolledBackTo
		}
		parts = append(parts, to)
	}
	return strings.Join(parts, "; ")
}

// Err is nil when the deployment succeeded, was left at a PAUSE hook on
// purpose or in its bake time once traffic moved, and otherwise says why
// not, wrapping ErrFailed or ErrStopped, and ErrTimedOut, ErrCancelled or
// ErrAbandoned.
func (o *Outcome) Err() error {
	st := o.DeploymentStatus()
	if st == report.StatusSucceeded || st == report.StatusReady || st == report.StatusTrafficShifted {
		return nil
	}
	var b strings.Builder
	var errs []error
	fmt.Fprintf(&b, "service deployment %s ", o.ARN)
	switch {
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
	case st == report.StatusStopped:
		errs = append(errs, ErrStopped)
		fmt.Fprintf(&b, "was stopped (%s)", o.Status)
	default:
		errs = append(errs, ErrFailed)
		fmt.Fprintf(&b, "ended %s", outcome.StatusWord(string(o.Status)))
	}
	if code := o.ErrorCode(); code != "" {
		fmt.Fprintf(&b, ": %s: %s", code, o.ErrorMessage())
	}
	return outcome.Error(b.String(), errs)
}

// stopWords says what became of the driver's stop: requested and pending,
// stopped (whatever status the deployment ended in), or refused.
func (o *Outcome) stopWords() string {
	ended := ""
	if isTerminal(o.Status) {
		ended = fmt.Sprintf("stopped (%s)", o.Status)
	}
	return outcome.Stop{Requested: o.StopRequested, Err: o.StopErr, Status: string(o.Status), Ended: ended}.String()
}

// outcome is what the watcher knows of the deployment now.
func (w *watcher) outcome() *Outcome {
	out := &Outcome{ARN: w.arn, Status: w.status, Stage: w.stage, BakeEnds: w.bakeEnds()}
	if w.weights != nil {
		out.Weights = *w.weights
	}
	sd := w.sd
	if sd == nil {
		return out
	}
	out.StatusReason = aws.ToString(sd.StatusReason)
	for _, h := range sd.LifecycleHookDetails {
		out.Hooks = append(out.Hooks, hook(h, string(sd.LifecycleStage)))
	}
	if rb := sd.Rollback; rb != nil {
		out.RollbackReason, out.RolledBackTo = aws.ToString(rb.Reason), aws.ToString(rb.ServiceRevisionArn)
	}
	if cb := sd.DeploymentCircuitBreaker; cb != nil {
		out.CircuitBreaker = cb.Status == types.ServiceDeploymentRollbackMonitorsStatusTriggered
	}
	if a := sd.Alarms; a != nil && a.Status == types.ServiceDeploymentRollbackMonitorsStatusTriggered {
		out.TriggeredAlarms = a.TriggeredAlarmNames
	}
	return out
}
