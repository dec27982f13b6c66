// Package outcome words how a driver leaves a deployment, for the
// CodeDeploy and ECS-native drivers alike: the note as it stops one, what
// became of the stop, and the error that says so while wrapping the
// sentinels a caller branches on.
package outcome

import "fmt"

// Stop is what became of the stop a driver asked for.
type Stop struct {
	Requested bool   // the stop was accepted
	Err       error  // the stop was refused or failed
	Status    string // the deployment's last status; "": unknown
	Ended     string // once the deployment ended, what the stop came to ("stopped")
}

// String says what became of the stop: refused, not requested, ended, or
// requested and pending.
func (s Stop) String() string {
	switch {
	case s.Err != nil:
		return fmt.Sprintf("stop refused: %v; it is %s and still needs a stop", s.Err, StatusWord(s.Status))
	case !s.Requested:
		return fmt.Sprintf("no stop was requested; it is %s", StatusWord(s.Status))
	case s.Ended != "":
		return s.Ended
	}
	return fmt.Sprintf("stop requested and pending (it is %s)", StatusWord(s.Status))
}

// StatusWord is status, or words for an unknown one.
func StatusWord(status string) string {
	if status == "" {
		return "in an unknown state"
	}
	return status
}

// Stopping is the note of a driver that stops a deployment, and why.
func Stopping(why string, rollback bool) string {
	return why + ": stopping the deployment" + RollbackWords(rollback)
}

// RollbackWords says whether a stop rolls back: " with rollback" or
// " without rollback".
func RollbackWords(rollback bool) string {
	if rollback {
		return " with rollback"
	}
	return " without rollback"
}

// Error is an error with a message of its own that wraps errs.
func Error(msg string, errs []error) error { return &joined{msg, errs} }

type joined struct {
	msg  string
	errs []error
}

func (e *joined) Error() string   { return e.msg }
func (e *joined) Unwrap() []error { return e.errs }
