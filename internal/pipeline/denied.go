package pipeline

import (
	"fmt"
	"regexp"
)

// deniedAction finds the IAM action in AWS's AccessDenied message ("User: …
// is not authorized to perform: <action> on resource: …").
var deniedAction = regexp.MustCompile(`is not authorized to perform: ([a-z0-9-]+:[A-Za-z0-9]+)`)

// neededBy adds to an AccessDenied error, whose message already names the
// action and resource, the stage and input that needed the permission.
// Other errors are returned as they are.
func (r *run) neededBy(stage string, err error) error {
	if err == nil {
		return nil
	}
	m := deniedAction.FindStringSubmatch(err.Error())
	if m == nil {
		return err
	}
	input := r.cfg.InputFor(stage)
	switch {
	case input == "" && r.target != nil:
		input = r.target.InputFor(m[1])
	case input == "" && r.fleet != nil:
		return err // each member's error names its input (fleet.each)
	}
	return fmt.Errorf("%w (needed by the %s stage: %s)", err, stage, input)
}

// neededByTarget adds to an AccessDenied error of a target the input that
// needed the permission; other errors are returned as they are.
func neededByTarget(t Target, err error) error {
	m := deniedAction.FindStringSubmatch(err.Error())
	if m == nil {
		return err
	}
	return fmt.Errorf("%w (needed by %s)", err, t.InputFor(m[1]))
}
