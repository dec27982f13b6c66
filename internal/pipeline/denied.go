package pipeline

import (
	"fmt"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awscfg"
)

// neededBy adds to an AccessDenied error, whose message already names the
// action and resource, the stage and input that needed the permission.
// Other errors are returned as they are.
func (r *run) neededBy(stage string, err error) error {
	action := awscfg.DeniedAction(err)
	if action == "" {
		return err
	}
	input := r.cfg.InputFor(stage)
	switch {
	case input == "" && r.target != nil:
		input = r.target.InputFor(action)
	case input == "" && r.fleet != nil:
		return err // each member's error names its input (fleet.each)
	}
	return fmt.Errorf("%w (needed by the %s stage: %s)", err, stage, input)
}

// neededByTarget adds to an AccessDenied error of a target the input that
// needed the permission; other errors are returned as they are.
func neededByTarget(t Target, err error) error {
	action := awscfg.DeniedAction(err)
	if action == "" {
		return err
	}
	return fmt.Errorf("%w (needed by %s)", err, t.InputFor(action))
}
