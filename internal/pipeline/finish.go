package pipeline

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/report"
)

// finish records how the run ended and reports it, cancelled or not: the
// outputs, one error annotation on the file to blame, the job summary, and
// the GitHub deployment's final status. It returns the exit code.
func (r *run) finish(ctx context.Context, err error) int {
	res := r.result
	res.End = time.Now()
	err = r.relativeLocation(err) // as the annotation and the summary show it
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
	r.finishGitHub(final)
	if bad := (badInput{}); errors.As(err, &bad) {
		return ExitBadInput
	}
	if res.Outcome.OK() {
		return ExitOK
	}
	return ExitFailed
}

// relativeLocation names a located error's file relative to the workspace,
// in its location and its message.
func (r *run) relativeLocation(err error) error {
	var loc report.Located
	if !errors.As(err, &loc) {
		return err
	}
	file, line := loc.Location()
	rel := r.cfg.GitHub.Rel(file)
	if rel == file {
		return err
	}
	return &relativeError{err: err, abs: file, file: rel, line: line}
}

// relativeError is a located error as the workspace shows it.
type relativeError struct {
	err       error
	abs, file string
	line      int
}

func (e *relativeError) Error() string           { return strings.ReplaceAll(e.err.Error(), e.abs, e.file) }
func (e *relativeError) Unwrap() error           { return e.err }
func (e *relativeError) Location() (string, int) { return e.file, e.line }
