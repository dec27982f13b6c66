package deploy

import (
	"time"
)

// Driver creates and drives deployments through the CodeDeploy API.
type Driver struct {
	API      API
	Observer Observer // nil: nobody listens
	// PollMin and PollMax bound the adaptive GetDeployment interval
	// (0: 1 s and 4 s, so a terminal state is seen within 5 s).
	PollMin, PollMax time.Duration
	// StopTimeout bounds StopDeployment after cancellation (0: 5 s; the
	// runner kills the action about 7 s after its signal).
	StopTimeout time.Duration
	Clock       Clock // nil: the real time
	// adaptiveOnly turns the schedule's predictions off, leaving the first
	// poller's back-off alone (benchmarks compare the two).
	adaptiveOnly bool
}

func (d *Driver) observer() Observer {
	if d.Observer == nil {
		return nopObserver{}
	}
	return d.Observer
}

func (d *Driver) pollMin() time.Duration {
	if d.PollMin > 0 {
		return d.PollMin
	}
	return time.Second
}

func (d *Driver) pollMax() time.Duration {
	if d.PollMax > 0 {
		return d.PollMax
	}
	return 4 * time.Second
}

func (d *Driver) stopTimeout() time.Duration {
	if d.StopTimeout > 0 {
		return d.StopTimeout
	}
	return 5 * time.Second
}
