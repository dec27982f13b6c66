package pipeline

import (
	"context"
	"errors"
	"time"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/ghdeploy"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/report"
)

// finish records how the run ended and reports it, cancelled or not: the
// outputs, one error annotation on the file to blame, the job summary, and
// the GitHub deployment's final status. It returns the exit code.
func (r *run) finish(ctx context.Context, err error) int {
	res := r.result
	res.End = time.Now()
	err = report.Relative(err, r.cfg.GitHub.Rel) // as the annotation and the summary show it
	res.Err = err
	res.Outcome = report.Decide(ctx, err, res)
	res.Scrub(r.rep.Scrub)
	if d := res.Deploy; d != nil {
		if d.ID != "" && d.URL == "" {
			d.URL = report.ConsoleURL(r.cfg.AWS.Region, d.ID)
		}
		if d.Failure != nil {
			d.Failure.File = r.cfg.GitHub.Rel(d.Failure.File)
		}
	}
	final := report.FinalStatus(res)
	if r.gh != nil {
		res.GitHub.State = final.State
	}

	r.rep.OutputResult(res)
	if f, failed := report.Explain(res); failed {
		if file := r.cfg.GitHub.Rel(f.File); file != "" {
			r.rep.FileErrorf(file, f.Line, "%s", f.Message)
		} else {
			r.rep.Errorf("%s", f.Message)
		}
		outputs := r.rep.Outputs()
		if outputs["error-code"] == "" {
			r.rep.Output("error-code", f.Code)
		}
		if outputs["error-message"] == "" {
			r.rep.Output("error-message", f.Message)
		}
	}
	r.rep.Infof("Outcome: %s, in %s", res.Outcome, res.Duration().Round(time.Second))
	r.rep.Finish(res)
	r.gh.Finish(r.cleanup, ghdeploy.Status{State: final.State, Description: final.Description, AutoInactive: final.AutoInactive})
	if bad := (badInput{}); errors.As(err, &bad) {
		return ExitBadInput
	}
	if res.Outcome.OK() {
		return ExitOK
	}
	return ExitFailed
}
