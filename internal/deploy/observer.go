package deploy

import "time"

// Observer hears about a deployment's progress as the driver sees it. Calls
// come from the goroutine that drives the deployment, in order.
type Observer interface {
	// Created: the deployment exists (id), as soon as CreateDeployment answers.
	Created(id string)
	// Phase: the deployment entered a phase: a CodeDeploy status (Created,
	// InProgress, Ready, ...) or PhaseTerminationWait.
	Phase(id, phase string, at time.Time)
	// Event: a target's lifecycle event changed status.
	Event(id string, t Target, e Event)
	// Weights: an ECS target's task set traffic weights, or a Lambda
	// target's target version weight, changed.
	Weights(id string, t Target)
	// Rollback: CodeDeploy created rollbackID to roll back id.
	Rollback(id, rollbackID string)
	// Note: something the driver did or decided (continued at Ready, stopped
	// on timeout, waits for an active deployment, backs off on throttling).
	Note(id, msg string)
}

// PhaseTerminationWait is the phase after traffic moved, while CodeDeploy
// waits to terminate the blue instances or task set.
const PhaseTerminationWait = "TerminationWait"

// Target is one deployment target: an instance, the ECS service or a
// Lambda function.
type Target struct {
	ID       string
	Label    string // Blue or Green for instances, "" otherwise
	Status   string
	Events   []Event
	TaskSets []TaskSet    // ECS
	Lambda   *LambdaShift // Lambda
}

// LambdaShift is a Lambda target's alias moving between versions.
type LambdaShift struct {
	Function       string
	Alias          string
	CurrentVersion string
	TargetVersion  string
	TargetWeight   float64 // percent of the alias's traffic on TargetVersion
}

// Event is one lifecycle event of a target.
type Event struct {
	Name        string
	Status      string
	Start, End  time.Time
	Diagnostics *Diagnostics // when the event has any
}

// Diagnostics explain a failed lifecycle event.
type Diagnostics struct {
	Target    string
	Label     string
	Event     string
	ErrorCode string
	Script    string
	Message   string
	LogTail   string
}

// TaskSet is an ECS task set of a target.
type TaskSet struct {
	ID      string
	Label   string // Blue or Green
	Status  string // PRIMARY, ACTIVE, DRAINING
	Weight  float64
	Running int64
	Desired int64
}

// nopObserver is the Observer of a Driver that was given none.
type nopObserver struct{}

func (nopObserver) Created(string)                  {}
func (nopObserver) Phase(string, string, time.Time) {}
func (nopObserver) Event(string, Target, Event)     {}
func (nopObserver) Weights(string, Target)          {}
func (nopObserver) Rollback(string, string)         {}
func (nopObserver) Note(string, string)             {}
