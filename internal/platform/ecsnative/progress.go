package ecsnative

import (
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/report"
)

// progress is the driver's Observer for a run: it says the deployment's
// stages, weights, hooks and the driver's notes in the log, keeps
// deployment-status current, puts the stages on the run's timeline, and
// records the outcome in res.Deploy.
type progress struct {
	rep   *report.Reporter
	res   *report.Result
	now   func() time.Time // the driver's clock
	main  string           // the deployment the run drives; others are active ones it waits for
	span  string           // the open timeline span
	since time.Time
}

func newProgress(rep *report.Reporter, res *report.Result, now func() time.Time) *progress {
	return &progress{rep: rep, res: res, now: now, since: now()}
}

// track records the deployment the run drives, with its console link.
func (p *progress) track(arn, region string) {
	p.main = arn
	d := p.res.Deploy
	d.ID, d.URL = arn, consoleURL(region, arn)
	p.rep.OutputResult(p.res)
}

func (p *progress) Started(arn string) {
	p.rep.Infof("%s: service deployment started", arn)
}

// spans names the stretches of a deployment on the timeline.
var spans = map[string]string{
	"PENDING": "deployment pending", "SCALE_UP": "scale-up", "TEST_TRAFFIC_SHIFT": "test traffic shift",
	"PRODUCTION_TRAFFIC_SHIFT": "traffic shift", "BAKE_TIME": "bake time", "CLEAN_UP": "clean-up",
	"ROLLBACK": "rollback", "PAUSE": "paused at a PAUSE hook",
}

func (p *progress) Stage(arn, status, stage string, at time.Time) {
	Printer(p.rep.Infof).Stage(arn, status, stage, at)
	if arn != p.main {
		return
	}
	span := stage
	switch {
	case status == "PENDING":
		span = "PENDING"
	case strings.HasPrefix(status, "ROLLBACK") || status == "STOP_REQUESTED":
		span = "ROLLBACK"
	}
	p.open(span, at)
	if !isTerminalStatus(status) && p.res.Deploy.Status != statusInProgress {
		p.res.Deploy.Status = statusInProgress
		p.rep.Output("deployment-status", statusInProgress)
	}
}

func (p *progress) Weights(arn string, w Weights) { Printer(p.rep.Infof).Weights(arn, w) }

func (p *progress) Hook(arn string, h Hook) {
	Printer(p.rep.Infof).Hook(arn, h)
	if arn == p.main && h.TargetType == "PAUSE" && h.Status == "AWAITING_ACTION" {
		p.open("PAUSE", p.now())
	}
}

func (p *progress) Note(arn, msg string) { p.rep.Infof("%s: %s", arn, msg) }

// open ends the open span at at and opens name's, if the timeline has one.
func (p *progress) open(name string, at time.Time) {
	if name == p.span {
		return
	}
	if title, ok := spans[p.span]; ok {
		p.res.AddSpan(title, p.since, at)
	}
	p.span, p.since = name, at
}

// finish ends the open span, records the outcome and sets the run's
// outcome when the deployment paused, rolled back or timed out.
func (p *progress) finish(out *Outcome) {
	p.open("", p.now())
	p.record(out)
	switch {
	case out == nil:
	case out.Paused:
		p.res.Outcome = report.OutcomePaused
		h := out.Awaiting()
		p.rep.Noticef("Service deployment %s is paused at %s (PAUSE hook %s, until %s, then %s): continue it with command: continue and deployment-id: %s",
			out.ARN, out.Stage, h.ID, h.ExpiresAt.UTC().Format(time.RFC3339), h.TimeoutAction, out.ARN)
	case out.TimedOut:
		p.res.Outcome = report.OutcomeTimedOut
	case out.RolledBackTo != "" && out.Status == "ROLLBACK_SUCCESSFUL":
		p.res.Outcome = report.OutcomeRolledBack
		p.rep.Warningf("Service deployment %s was rolled back: %s", out.ARN, out.ErrorMessage())
	}
}

// record copies a deployment's outcome into the result and the outputs.
func (p *progress) record(out *Outcome) {
	if out == nil {
		return
	}
	d := p.res.Deploy
	d.Status = out.DeploymentStatus()
	d.ErrorCode, d.ErrorMessage = out.ErrorCode(), out.ErrorMessage()
	p.rep.OutputResult(p.res)
}

// status adds to what the poll said (stage, weights, hooks) when the bake
// time of a deployment in it ends.
func (p *progress) status(out *Outcome) {
	if !out.BakeEnds.IsZero() {
		p.rep.Infof("%s: the bake time ends at %s", out.ARN, out.BakeEnds.UTC().Format(time.RFC3339))
	}
}

func isTerminalStatus(st string) bool {
	switch st {
	case "SUCCESSFUL", "STOPPED", "ROLLBACK_SUCCESSFUL", "ROLLBACK_FAILED":
		return true
	}
	return false
}

// consoleURL links to the deployments of the deployment's service in the
// ECS console (its service details page, Deployments).
func consoleURL(region, arn string) string {
	// arn:aws:ecs:<region>:<account>:service-deployment/<cluster>/<service>/<id>
	_, path, _ := strings.Cut(arn, ":service-deployment/")
	parts := strings.Split(path, "/")
	if len(parts) != 3 {
		return ""
	}
	return fmt.Sprintf("https://%s.console.aws.amazon.com/ecs/v2/clusters/%s/services/%s/deployments?region=%s",
		region, url.PathEscape(parts[0]), url.PathEscape(parts[1]), region)
}
