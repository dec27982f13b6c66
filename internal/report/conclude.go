package report

import (
	"context"
	"time"
)

// Conclude records how the run ended, cancelled or not, and reports it: the
// outputs, one error annotation on the file to blame, the job summary. rel
// makes a workspace path relative. It returns
// the GitHub deployment's final status and the error as reported.
func (r *Reporter) Conclude(ctx context.Context, err error, res *Result, rel func(string) string) (Status, error) {
	err = r.Settle(ctx, err, res, rel)
	for _, one := range targetResults(res) {
		relativeFailure(one, rel)
	}
	final := FinalStatus(res)
	if res.GitHub != nil {
		res.GitHub.State = final.State
	}

	r.OutputResult(res)
	if f, failed := Explain(res); failed {
		if file := rel(f.File); file != "" {
			r.FileErrorf(file, f.Line, "%s", f.Message)
		} else {
			r.Errorf("%s", f.Message)
		}
		outputs := r.Outputs()
		if outputs["error-code"] == "" {
			r.Output("error-code", f.Code)
		}
		if outputs["error-message"] == "" {
			r.Output("error-message", f.Message)
		}
	}
	r.Infof("Outcome: %s, in %s", res.Outcome, res.Duration().Round(time.Second))
	r.Finish(res)
	return final, err
}

// Settle records how res ended, as Conclude reports it and a run with
// several targets records each of theirs: the end, the error with
// workspace paths relative, the outcome, and no masked value anywhere in
// res. It returns the error with its paths relative.
func (r *Reporter) Settle(ctx context.Context, err error, res *Result, rel func(string) string) error {
	res.End = time.Now()
	err = Relative(err, rel) // as the annotation and the summary show it
	res.Err = err
	res.Outcome = Decide(ctx, err, res)
	res.Scrub(r.Scrub)
	relativeFailure(res, rel)
	return err
}

// relativeFailure makes the file of res's failing lifecycle event, if any,
// relative to the workspace.
func relativeFailure(res *Result, rel func(string) string) {
	if d := res.Deploy; d != nil && d.Failure != nil {
		d.Failure.File = rel(d.Failure.File)
	}
}
