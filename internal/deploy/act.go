package deploy

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
)

// Act is a command on an existing deployment, named as the command input
// names it.
type Act string

// Acts.
const (
	ActContinue Act = "continue" // shift traffic of a deployment waiting at Ready, or end its termination wait
	ActStop     Act = "stop"     // stop a deployment with rollback
	ActStatus   Act = "status"   // read a deployment
)

// Acted is how a command on an existing deployment ended.
type Acted struct {
	Outcome *Outcome // the deployment as last read; nil when continue or stop failed
	Watched bool     // Outcome is the end of a Watch, not one reading
	// Done: the command did what it was asked: it read the status, sent
	// continue or stop without waiting, or saw the deployment stopped (and
	// rolled back, if it was) as asked.
	Done bool
}

// Command runs act on deployment id. Status reads it. Continue and stop
// act on it, then, with wait, Watch it with opts (a stopped deployment is
// not stopped again on cancel), or else read it.
func (d *Driver) Command(ctx context.Context, act Act, id string, wait bool, opts WatchOptions) (Acted, error) {
	switch act {
	case ActStatus:
		out, err := d.Status(ctx, id)
		return Acted{Outcome: out, Done: true}, err
	case ActContinue:
		if err := d.Continue(ctx, id); err != nil {
			return Acted{}, err
		}
	case ActStop:
		if err := d.Stop(ctx, id, true); err != nil {
			return Acted{}, err
		}
		opts.UntilTrafficShifted = false
		opts.RollbackOnCancel = false // it is stopped already
	}
	if !wait {
		out, err := d.Status(ctx, id)
		return Acted{Outcome: out, Done: true}, err
	}
	out, err := d.Watch(ctx, id, opts)
	if act == ActStop && out.Status == types.DeploymentStatusStopped && !out.Cancelled &&
		(out.RollbackID == "" || out.RollbackStatus == types.DeploymentStatusSucceeded) {
		return Acted{Outcome: out, Watched: true, Done: true}, nil // stopped as asked
	}
	return Acted{Outcome: out, Watched: true}, err
}
