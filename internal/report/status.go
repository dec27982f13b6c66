package report

import "fmt"

// Status is the GitHub deployment status a run's outcome comes to.
type Status struct {
	State        string // in_progress, success, failure, error
	Description  string
	AutoInactive bool // mark the environment's earlier successful deployments inactive
}

// FinalStatus is the GitHub deployment status that ends a run with this
// outcome. A deployment paused at Ready counts as a success, but leaves the
// environment's earlier deployment active: production traffic has not moved.
func FinalStatus(res *Result) Status {
	var s Status
	switch res.Outcome {
	case OutcomeDeployed, OutcomeDone, OutcomeShifted:
		s = Status{State: "success", AutoInactive: true}
	case OutcomePaused:
		s = Status{State: "success"}
	case OutcomeSuperseded:
		s = Status{State: "inactive"} // nothing deployed: the newer run's deployment is the environment's
	case OutcomeCancelled, OutcomeTimedOut:
		s = Status{State: "error"}
	default:
		s = Status{State: "failure"}
	}
	s.Description = "bluegreen-deploy: " + string(res.Outcome)
	if d := res.Deploy; d != nil && d.ID != "" {
		s.Description = fmt.Sprintf("%s: %s (%s)", d.ID, res.Outcome, d.Status)
		if res.Outcome == OutcomePaused {
			s.Description = d.ID + " is Ready: traffic not shifted yet"
		}
	}
	return s
}
