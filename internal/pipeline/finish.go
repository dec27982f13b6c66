package pipeline

import (
	"context"
	"errors"
	"path/filepath"
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
	res.Outcome = outcome(ctx, err, res)
	if d := res.Deploy; d != nil {
		if d.ID != "" && d.URL == "" {
			d.URL = report.ConsoleURL(r.cfg.AWS.Region, d.ID)
		}
		if d.Failure != nil {
			d.Failure.File = r.workspaceRel(d.Failure.File)
		}
	}
	final := report.FinalStatus(res)
	if r.gh != nil {
		res.GitHub.State = final.State
	}

	r.rep.OutputResult(res)
	if f, failed := report.Explain(res); failed {
		if file := r.workspaceRel(f.File); file != "" {
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
	r.rep.Summary(report.Markdown(res))
	r.finishGitHub(final)
	if res.Outcome.OK() {
		return ExitOK
	}
	return ExitFailed
}

// outcome decides how the run ended. A cancel or timeout says it first; then
// the stages' word, unless they claim success and returned an error; then
// the deployment's status.
func outcome(ctx context.Context, err error, res *report.Result) report.Outcome {
	switch {
	case err != nil && (ctx.Err() != nil || errors.Is(err, context.Canceled)):
		return report.OutcomeCancelled
	case errors.Is(err, context.DeadlineExceeded):
		return report.OutcomeTimedOut
	case res.Outcome != "" && (err == nil || !res.Outcome.OK()):
		return res.Outcome
	}
	byStatus := deploymentOutcome(res.Deploy)
	switch {
	case err != nil && byStatus == report.OutcomeRolledBack:
		return byStatus
	case err != nil:
		return report.OutcomeFailed
	case byStatus != "":
		return byStatus
	}
	return report.OutcomeDone
}

// deploymentOutcome reads the outcome from a deployment's final status, or
// "" when it has none.
func deploymentOutcome(d *report.Deployment) report.Outcome {
	if d == nil {
		return ""
	}
	switch d.Status {
	case "Succeeded":
		return report.OutcomeDeployed
	case "Ready":
		return report.OutcomePaused
	case "Failed", "Stopped":
		if d.RollbackID != "" {
			return report.OutcomeRolledBack
		}
		return report.OutcomeFailed
	}
	return ""
}

// workspaceRel makes an absolute path inside the workspace relative to it,
// as annotations want; other paths are returned as they are.
func (r *run) workspaceRel(path string) string {
	if !filepath.IsAbs(path) {
		return path
	}
	rel, err := filepath.Rel(r.cfg.GitHub.Workspace, path)
	if err != nil || rel == ".." || strings.HasPrefix(rel, "../") {
		return path
	}
	return filepath.ToSlash(rel)
}

// relativeLocation names a located error's file relative to the workspace,
// in its location and its message.
func (r *run) relativeLocation(err error) error {
	var loc report.Located
	if !errors.As(err, &loc) {
		return err
	}
	file, line := loc.Location()
	rel := r.workspaceRel(file)
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
