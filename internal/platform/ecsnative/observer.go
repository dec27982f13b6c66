package ecsnative

import "time"

// Observer hears about a service deployment's progress as the driver sees
// it. Calls come from the goroutine that drives the deployment, in order.
type Observer interface {
	// Started: UpdateService started the deployment (its ARN).
	Started(arn string)
	// Stage: the deployment's status or lifecycle stage changed; at is when
	// the driver saw it.
	Stage(arn string, status, stage string, at time.Time)
	// Weights: the target revision's traffic weights changed.
	Weights(arn string, w Weights)
	// Hook: a lifecycle hook's status changed.
	Hook(arn string, h Hook)
	// Note: something the driver did or decided.
	Note(arn, msg string)
}

// Weights are the percentages of production and test traffic ECS requested
// for the target service revision.
type Weights struct {
	Production, Test float64
}

// Hook is a lifecycle hook of the deployment's current stage.
type Hook struct {
	ID            string
	Stage         string
	TargetType    string // PAUSE or AWS_LAMBDA
	TargetARN     string // AWS_LAMBDA: the function
	Status        string // AWAITING_ACTION, IN_PROGRESS, SUCCEEDED, FAILED, TIMED_OUT
	ExpiresAt     time.Time
	TimeoutAction string // what ECS does at ExpiresAt: CONTINUE or ROLLBACK
}

type nopObserver struct{}

func (nopObserver) Started(string)                          {}
func (nopObserver) Stage(string, string, string, time.Time) {}
func (nopObserver) Weights(string, Weights)                 {}
func (nopObserver) Hook(string, Hook)                       {}
func (nopObserver) Note(string, string)                     {}

// Printer is an Observer that says each event in a line through its func.
type Printer func(format string, args ...any)

func (p Printer) Started(arn string) { p("%s: service deployment started", arn) }

func (p Printer) Stage(arn, status, stage string, _ time.Time) {
	if stage == "" {
		p("%s: %s", arn, status)
		return
	}
	p("%s: %s, lifecycle stage %s", arn, status, stage)
}

func (p Printer) Weights(arn string, w Weights) {
	p("%s: traffic on the new revision: production %g%%, test %g%%", arn, w.Production, w.Test)
}

func (p Printer) Hook(arn string, h Hook) {
	switch {
	case h.Status == "AWAITING_ACTION" || h.Status == "IN_PROGRESS":
		p("%s: %s hook %s at %s is %s; at %s ECS will %s", arn, h.TargetType, hookName(h), h.Stage, h.Status, h.ExpiresAt.UTC().Format(time.RFC3339), h.TimeoutAction)
	default:
		p("%s: %s hook %s at %s %s", arn, h.TargetType, hookName(h), h.Stage, h.Status)
	}
}

func (p Printer) Note(arn, msg string) { p("%s: %s", arn, msg) }

func hookName(h Hook) string {
	if h.TargetARN != "" {
		return h.ID + " (" + h.TargetARN + ")"
	}
	return h.ID
}
