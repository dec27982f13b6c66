package report

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Outputs lists every output the action sets, in action.yml's order (a
// test keeps them in step); Output refuses any other name.
var Outputs = []string{
	"image-uri",
	"image-digest",
	"image-tags",
	"image-pushed",
	"secrets",
	"deployment-id",
	"deployment-status",
	"deployment-url",
	"rollback-deployment-id",
	"targets",
	"task-definition-arn",
	"lambda-version",
	"revision-location",
	"github-deployment-id",
	"duration-seconds",
	"error-code",
	"error-message",
	"plan",
	"plan-json",
	"changes",
}

// OutputResult sets every step output the result knows so far. Stages call
// it as soon as they fill a part of the result (the deployment id the
// moment the deployment exists); outputs already set to the same value are
// not written again. A run with several targets sets deployment-id,
// deployment-status and targets from them (outputTargets).
func (r *Reporter) OutputResult(res *Result) {
	if len(res.Secrets) > 0 {
		r.Output("secrets", clip(strings.Join(res.Secrets, ","), maxOutput, ",", ""))
	}
	if im := res.Image; im != nil {
		r.outputIf("image-uri", im.URI)
		r.outputIf("image-digest", im.Digest)
		r.outputIf("image-tags", strings.Join(im.Tags, ","))
		r.Output("image-pushed", strconv.FormatBool(im.Pushed))
	}
	if res.Targets != nil {
		r.outputTargets(res.Targets)
	}
	if d := res.Deploy; d != nil {
		r.outputIf("deployment-id", d.ID)
		r.outputIf("deployment-url", d.URL)
		r.outputIf("deployment-status", d.Status)
		r.outputIf("rollback-deployment-id", d.RollbackID)
		for _, facts := range [][]Fact{d.Where, d.What} {
			for _, f := range facts {
				if f.Output != "" {
					r.outputIf(f.Output, f.Value)
				}
			}
		}
	}
	if gh := res.GitHub; gh != nil && gh.ID != 0 {
		r.Output("github-deployment-id", strconv.FormatInt(gh.ID, 10))
	}
	if !res.End.IsZero() {
		r.Output("duration-seconds", strconv.Itoa(int(res.Duration().Round(time.Second).Seconds())))
	}
}

func (r *Reporter) outputIf(name, value string) {
	if value != "" {
		r.Output(name, value)
	}
}

// Failure is what a run that did not succeed tells the workflow: the
// error-code and error-message outputs, and the file its error annotation
// points at.
type Failure struct {
	Code    string
	Message string // the error, with the failing lifecycle event's diagnostics
	File    string // as the stage gave it: absolute or relative to the workspace
	Line    int
}

// logTailLines is how much of a failing hook's log goes into the message;
// the summary shows all of it.
const logTailLines = 20

// Explain says why a run that did not succeed failed; ok is false for a
// successful one. With failed targets it names each (explainTargets).
func Explain(res *Result) (f Failure, ok bool) {
	if res.Outcome.OK() && res.Err == nil {
		return Failure{}, false
	}
	if failed := failedTargets(res); len(failed) > 0 {
		return explainTargets(res, failed), true
	}
	d := res.Deploy
	if d == nil {
		d = &Deployment{}
	}

	var parts []string
	switch {
	case res.Err != nil:
		parts = append(parts, res.Err.Error())
	case d.ErrorMessage != "":
		parts = append(parts, d.ErrorMessage)
	case d.ID != "":
		parts = append(parts, fmt.Sprintf("deployment %s ended %s (%s)", d.ID, d.Status, res.Outcome))
	default:
		parts = append(parts, "the run "+string(res.Outcome))
	}
	if diag := d.Failure; diag != nil {
		// The error may already name the event; add what it does not say.
		var line string
		if !strings.Contains(parts[0], diag.Event) {
			line = fmt.Sprintf("%s failed on %s", diag.Event, diag.Target)
			if diag.ErrorCode != "" {
				line += " (" + diag.ErrorCode + ")"
			}
			if diag.Script != "" {
				line += ", script " + diag.Script
			}
		}
		if diag.Message != "" && !strings.Contains(parts[0], diag.Message) {
			line = strings.TrimPrefix(line+": "+diag.Message, ": ")
		}
		if line != "" {
			parts = append(parts, line)
		}
		if tail := lastLines(diag.LogTail, logTailLines); tail != "" {
			parts = append(parts, "log tail:\n"+tail)
		}
		f.File, f.Line = diag.File, diag.Line
	}
	f.Message = strings.Join(parts, "\n")

	var loc Located
	if errors.As(res.Err, &loc) {
		f.File, f.Line = loc.Location()
	}

	var coded interface{ ErrorCode() string } // smithy.APIError and the like
	switch {
	case res.Outcome == OutcomeCancelled:
		f.Code = "CANCELLED"
	case res.Outcome == OutcomeTimedOut:
		f.Code = "TIMEOUT"
	case d.ErrorCode != "":
		f.Code = d.ErrorCode
	case errors.As(res.Err, &coded) && coded.ErrorCode() != "":
		f.Code = coded.ErrorCode()
	case res.Outcome == OutcomeRolledBack:
		f.Code = "ROLLED_BACK"
	default:
		f.Code = "FAILED"
	}
	return f, true
}

// lastLines returns the last n lines of s, without a trailing newline.
func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
