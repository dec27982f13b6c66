package report

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Outcome is how a run ended, as the summary's first line says it.
type Outcome string

// Outcomes.
const (
	OutcomeDone       Outcome = "done"        // no deployment: the stages asked for succeeded
	OutcomeDeployed   Outcome = "deployed"    // the deployment Succeeded
	OutcomePaused     Outcome = "paused"      // left at Ready (on-ready: pause)
	OutcomeRolledBack Outcome = "rolled back" // failed or stopped, and rolled back
	OutcomeFailed     Outcome = "failed"
	OutcomeCancelled  Outcome = "cancelled"
	OutcomeTimedOut   Outcome = "timed out"
	// OutcomeSuperseded: a newer run's deployment is active or last
	// succeeded in the group, so this run deployed nothing (supersede-check).
	OutcomeSuperseded Outcome = "superseded"
)

// OutcomeShifted: traffic moved, and the deployment was left in progress
// through its termination wait (wait: traffic-shifted).
const OutcomeShifted Outcome = "traffic shifted"

// OK reports whether the outcome is a success: exit code 0.
func (o Outcome) OK() bool {
	return o == OutcomeDone || o == OutcomeDeployed || o == OutcomePaused || o == OutcomeShifted || o == OutcomeSuperseded
}

// Result is what a run did, filled in by the pipeline stage by stage and
// rendered as outputs and the job summary.
type Result struct {
	Outcome  Outcome
	Start    time.Time
	End      time.Time
	Secrets  []string // env names of the fetched secrets, never values
	Image    *Image
	Deploy   *Deployment
	Timeline []Span
	GitHub   *GitHubDeployment
	Err      error
	// Targets are the run's deployment targets when it has several (input
	// targets), in the input's order; nil for one target.
	Targets []*TargetResult
}

// Duration is how long the run took, or 0 while it is running.
func (r *Result) Duration() time.Duration {
	if r.End.IsZero() {
		return 0
	}
	return r.End.Sub(r.Start)
}

// Supersede records that a newer run made this one deploy nothing
// (supersede-check): deployment-status Superseded, outcome superseded.
func (r *Result) Supersede() {
	if r.Deploy == nil {
		r.Deploy = &Deployment{}
	}
	r.Deploy.Status, r.Outcome = StatusSuperseded, OutcomeSuperseded
}

// AddSpan records a stage or phase on the run's timeline.
func (r *Result) AddSpan(name string, start, end time.Time) {
	r.Timeline = append(r.Timeline, Span{Name: name, Start: start, End: end})
}

// Decide says how the run ended, given the stages' error and ctx. A cancel or timeout says it first; then
// the stages' word, unless they claim success and returned an error; then
// the deployment's status.
func Decide(ctx context.Context, err error, res *Result) Outcome {
	switch {
	case err != nil && (ctx.Err() != nil || errors.Is(err, context.Canceled)):
		return OutcomeCancelled
	case errors.Is(err, context.DeadlineExceeded):
		return OutcomeTimedOut
	case res.Outcome != "" && (err == nil || !res.Outcome.OK()):
		return res.Outcome
	}
	byStatus := deploymentOutcome(res.Deploy)
	switch {
	case err != nil && byStatus == OutcomeRolledBack:
		return byStatus
	case err != nil:
		return OutcomeFailed
	case byStatus != "":
		return byStatus
	}
	return OutcomeDone
}

// deploymentOutcome reads the outcome from a deployment's final status, or
// "" when it has none.
func deploymentOutcome(d *Deployment) Outcome {
	if d == nil {
		return ""
	}
	switch d.Status {
	case StatusSucceeded:
		return OutcomeDeployed
	case StatusReady:
		return OutcomePaused
	case StatusTrafficShifted:
		return OutcomeShifted
	case StatusFailed, StatusStopped:
		if d.RollbackID != "" {
			return OutcomeRolledBack
		}
		return OutcomeFailed
	}
	return ""
}

// GitHubDeployment is the GitHub deployment that mirrors the run in an environment.
type GitHubDeployment struct {
	ID          int64
	Environment string
	URL         string // environment-url, if given
	State       string // the last status posted: in_progress, success, failure, error
}

// Image is the image that was built and pushed, or resolved.
type Image struct {
	URI    string // repository@sha256:digest
	Digest string
	Tags   []string
	Pushed bool // false: the tag was already in ECR, or an existing image was given
	// Regions: the same image in the other regions of a run with several
	// targets.
	Regions []RegionImage
}

// RegionImage is the run's image in another region's repository.
type RegionImage struct {
	Region     string
	URI        string
	Replicated bool // brought there by ECR replication; false: copied by the run
}

// How says how the image came to the region.
func (r RegionImage) How() string {
	if r.Replicated {
		return "replicated by ECR"
	}
	return "copied by this run"
}

// Deployment is the deployment the run created or acted on, as its platform
// describes it: the report renders the facts it is given and knows no
// platform.
type Deployment struct {
	ID           string
	URL          string // console link
	Service      string // the service that deploys, as sentences name it
	Title        string // the deployment in a few words, for the terminal ("web/bg, Server")
	Status       string // deployment-status: one of the Status values, or the platform's own phase
	RollbackID   string
	Where        []Fact // where it deploys (application, group, ...), listed before the status
	What         []Fact // what it deploys (the revision), listed after the rollback
	ErrorCode    string
	ErrorMessage string
	Targets      []Target
	Failure      *Diagnostics // the failing lifecycle event, when there is one

	TerminationWaitEnds time.Time // in its termination wait: when the wait ends
}

// Fact is one thing a platform says about its deployment: the summary, the
// HTML page and the terminal list it, and a fact with an Output sets that
// step output.
type Fact struct {
	Label  string // as the summary names it: "Task definition"
	Value  string // "" leaves the fact out
	Link   string // optional: the Value links there
	Output string // the step output it sets, if any: "task-definition-arn"
	Plain  bool   // shown as text, not code
}

// The deployment-status values a run reports besides a platform's own
// phases (Created, InProgress, ...).
const (
	StatusSucceeded = "Succeeded"
	StatusFailed    = "Failed"
	StatusStopped   = "Stopped"
	StatusReady     = "Ready"
	// StatusTrafficShifted: left in progress once its traffic moved (wait:
	// traffic-shifted).
	StatusTrafficShifted = "TrafficShifted"
	// StatusSuperseded: a newer run's deployment made the run deploy nothing.
	StatusSuperseded = "Superseded"
)

// Target is one deployment target (an instance, or the ECS service).
type Target struct {
	ID     string
	Label  string // Blue, Green, or "" for ECS
	Status string
	Events []Event
}

// Event is one lifecycle event of a target.
type Event struct {
	Name   string
	Status string
	Start  time.Time
	End    time.Time
}

// Diagnostics explain a failed lifecycle event.
type Diagnostics struct {
	Target    string
	Event     string
	ErrorCode string
	Script    string
	Message   string
	LogTail   string
	File      string // a file in the workspace to blame (appspec.yml, task definition), if any
	Line      int
}

// Span is one stage or phase on the run's timeline.
type Span struct {
	Name  string // secrets, build, push, deployment phases, traffic shift, termination wait
	Start time.Time
	End   time.Time
}

// FileError is an error a file in the workspace is to blame for
// (appspec.yml, a task definition, the Dockerfile): the run's error
// annotation points at it.
type FileError struct {
	File string // absolute, or relative to the workspace
	Line int    // 0: the whole file
	Err  error
}

func (e *FileError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %v", e.File, e.Line, e.Err)
	}
	return fmt.Sprintf("%s: %v", e.File, e.Err)
}

func (e *FileError) Unwrap() error { return e.Err }

// Location is the file and line to blame.
func (e *FileError) Location() (file string, line int) { return e.File, e.Line }

// TargetResult is one deployment target of a run with several (input
// targets): the run's own Deploy is nil then, and each target's result
// holds its deployment, timeline, outcome and error.
type TargetResult struct {
	Name        string // the entry's name, or <region>/<group, service or function>
	Wave        int    // 1 and up; 0 for a command's targets
	Region      string
	Environment string  // the GitHub environment its statuses go to, if any
	Result      *Result // the target's own, filled by its platform
	// Note is what the run decided for the target beyond its own result:
	// "not started: wave 1 did not succeed", "stopped: eu-west-1/api failed".
	Note string
}
