package deploy

import (
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/config"
)

// Plan is the deployment the inputs ask for in group: what to create, and
// how to watch it.
func Plan(in config.Deploy, gh config.GitHub, group Group, rev Revision) (Spec, WatchOptions) {
	timeout := in.Timeout
	if timeout == 0 {
		timeout = group.DefaultTimeout()
	}
	runID, attempt := gh.Run()
	run := Run{ID: runID, Attempt: attempt}
	return Spec{
			Application:    in.Application,
			Group:          in.DeploymentGroup,
			Config:         in.DeploymentConfig,
			Description:    RunDescription(in.Description, gh.SHA, run),
			Revision:       rev,
			OnActive:       OnActive(in.OnActive),
			ActiveLimit:    timeout,
			Run:            run,
			SupersedeCheck: in.SupersedeCheck,
		}, WatchOptions{
			PauseAtReady:      in.OnReady == config.ReadyPause,
			Timeout:           timeout,
			RollbackOnTimeout: in.RollbackOnTimeout,
			RollbackOnCancel:  in.RollbackOnCancel,
			StopOnError:       true,
			// wait: traffic-shifted ends the step before the termination wait.
			UntilTrafficShifted: in.UntilTrafficShifted,
		}
}
