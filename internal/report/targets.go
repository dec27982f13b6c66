package report

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
)

// StatusNotStarted is the deployment-status, in the targets output and in
// the rule of OverallStatus, of a target that has no deployment (yet) and
// did not fail: a later wave the run never reached, or stopped before.
const StatusNotStarted = "NotStarted"

// statusRank orders the statuses of a run's targets for OverallStatus,
// worse ones higher.
func statusRank(s string) int {
	switch s {
	case StatusSucceeded:
		return 0
	case StatusSuperseded:
		return 1
	case StatusTrafficShifted:
		return 2
	case StatusNotStarted:
		return 3
	case StatusReady:
		return 4
	case StatusStopped:
		return 6
	case StatusFailed:
		return 7
	}
	return 5 // a platform's own phase (Created, InProgress, ...): still under way
}

// OverallStatus is the deployment-status of a run with several targets:
// the worst of the targets' statuses (TargetStatus), in this order, worst
// first:
//
//	Failed > Stopped > any other phase (Created, InProgress, ...: still
//	under way) > Ready > NotStarted > TrafficShifted > Superseded > Succeeded
//
// so that the status a next step branches on means the same as with one
// target: Succeeded when every target succeeded; Failed or Stopped when
// any did not; Ready when some wait at Ready and none failed or is under
// way (the targets output says which to continue). Among phases of the
// same rank the first target's wins. It is "" while no target has a
// deployment or failed, as deployment-status is unset before a deployment
// exists.
func OverallStatus(targets []*TargetResult) string {
	overall, deployed := "", false
	for _, t := range targets {
		s := TargetStatus(t)
		if d := deploymentOf(t); (d != nil && d.Status != "") || s == StatusFailed {
			deployed = true
		}
		if overall == "" || statusRank(s) > statusRank(overall) {
			overall = s
		}
	}
	if !deployed {
		return ""
	}
	return overall
}

// TargetStatus is a target's deployment-status: its deployment's; without
// one, Failed when the target failed (before its deployment existed), else
// NotStarted.
func TargetStatus(t *TargetResult) string {
	if d := deploymentOf(t); d != nil && d.Status != "" {
		return d.Status
	}
	if targetFailed(t) {
		return StatusFailed
	}
	return StatusNotStarted
}

// deploymentOf returns a target's deployment, or nil.
func deploymentOf(t *TargetResult) *Deployment {
	if t.Result == nil {
		return nil
	}
	return t.Result.Deploy
}

// targetFailed reports whether a target ended with an error or an outcome
// that is not a success.
func targetFailed(t *TargetResult) bool {
	res := t.Result
	return res != nil && (res.Err != nil || (res.Outcome != "" && !res.Outcome.OK()))
}

// failedTargets returns the run's failed targets: those that failed on
// their own first (no Note), then those the run stopped, each in order.
func failedTargets(res *Result) []*TargetResult {
	var own, stopped []*TargetResult
	for _, t := range res.Targets {
		switch {
		case !targetFailed(t):
		case t.Note == "":
			own = append(own, t)
		default:
			stopped = append(stopped, t)
		}
	}
	return append(own, stopped...)
}

// outputTargets sets the step outputs of a run with several targets:
// deployment-id as a JSON object of the targets' deployment ids by name
// (those that have one), deployment-status by OverallStatus, and targets.
// The outputs of one deployment (deployment-url, rollback-deployment-id,
// the facts') are in targets only.
func (r *Reporter) outputTargets(targets []*TargetResult) {
	ids := map[string]string{}
	for _, t := range targets {
		if d := deploymentOf(t); d != nil && d.ID != "" {
			ids[t.Name] = d.ID
		}
	}
	if len(ids) > 0 {
		r.Output("deployment-id", DeploymentIDs(ids))
	}
	r.outputIf("deployment-status", OverallStatus(targets))
	r.Output("targets", TargetsJSON(targets))
}

// DeploymentIDs is the deployment-id output of a run with several targets:
// a JSON object of deployment ids by target name, its keys sorted (as
// encoding/json writes a map), so that the same ids are the same text.
func DeploymentIDs(ids map[string]string) string { return mustJSON(ids) }

// TargetsJSON is the targets output: a JSON array with one object per
// target, in order, with name, wave and region, then those of these that
// have a value: environment, github-deployment-id, deployment-id,
// deployment-url, status (TargetStatus), outcome, rollback-deployment-id,
// each fact that sets an output (task-definition-arn, lambda-version,
// revision-location) by the output's name, error-code and error-message
// (a failed target's, as Explain says it, without the log tail), note. It
// fits in an output: past maxOutput the error messages go (error-message
// has them all), then the last targets.
func TargetsJSON(targets []*TargetResult) string {
	objects := make([]object, len(targets))
	for i, t := range targets {
		objects[i] = targetObject(t, true)
	}
	s := mustJSON(objects)
	if len(s) <= maxOutput {
		return s
	}
	for i, t := range targets {
		objects[i] = targetObject(t, false)
	}
	// The most targets that fit: the JSON grows with each one.
	n := sort.Search(len(objects)+1, func(n int) bool { return len(mustJSON(objects[:n])) > maxOutput })
	return mustJSON(objects[:n-1])
}

func targetObject(t *TargetResult, withMessage bool) object {
	o := object{{"name", t.Name}, {"wave", t.Wave}, {"region", t.Region}}
	add := func(key, value string) {
		if value != "" {
			o = append(o, field{key, value})
		}
	}
	add("environment", t.Environment)
	res := t.Result
	if res == nil {
		res = &Result{}
	}
	if gh := res.GitHub; gh != nil && gh.ID != 0 {
		o = append(o, field{"github-deployment-id", gh.ID})
	}
	d := res.Deploy
	if d == nil {
		d = &Deployment{}
	}
	add("deployment-id", d.ID)
	add("deployment-url", d.URL)
	add("status", TargetStatus(t))
	add("outcome", string(res.Outcome))
	add("rollback-deployment-id", d.RollbackID)
	for _, f := range slices.Concat(d.Where, d.What) {
		if f.Output != "" {
			add(f.Output, f.Value)
		}
	}
	if targetFailed(t) {
		f, _ := Explain(res)
		add("error-code", f.Code)
		if withMessage {
			msg, _, _ := strings.Cut(f.Message, "\nlog tail:\n")
			add("error-message", msg)
		}
	}
	add("note", t.Note)
	return o
}

// explainTargets says why a run with failed targets failed: each failed
// target's name and its Explain, in the targets' order (the run's own
// error is left out: it stands for theirs). The code is the run's when it
// was cancelled or timed out, else the first failed target's, whose file
// the annotation points at.
func explainTargets(res *Result, failed []*TargetResult) Failure {
	var f Failure
	parts := make([]string, len(failed))
	for i, t := range failed {
		tf, _ := Explain(t.Result)
		if i == 0 {
			f = tf
		}
		parts[i] = t.Name + ": " + strings.ReplaceAll(tf.Message, "\n", "\n  ")
	}
	f.Message = strings.Join(parts, "\n")
	switch res.Outcome {
	case OutcomeCancelled:
		f.Code = "CANCELLED"
	case OutcomeTimedOut:
		f.Code = "TIMEOUT"
	}
	return f
}

// field is one member of a JSON object.
type field struct {
	key   string
	value any
}

// object is a JSON object that keeps its members' order.
type object []field

func (o object) MarshalJSON() ([]byte, error) {
	var b strings.Builder
	b.WriteByte('{')
	for i, f := range o {
		if i > 0 {
			b.WriteByte(',')
		}
		k, err := json.Marshal(f.key)
		if err != nil {
			return nil, err
		}
		v, err := json.Marshal(f.value)
		if err != nil {
			return nil, fmt.Errorf("member %s: %w", f.key, err)
		}
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return []byte(b.String()), nil
}

// mustJSON encodes v, which holds only strings, numbers and objects.
func mustJSON(v any) string {
	data, err := json.Marshal(v)
	if err != nil {
		panic("report: encoding JSON: " + err.Error())
	}
	return string(data)
}

// targetResults returns the results of the run's targets that have one.
func targetResults(res *Result) []*Result {
	var results []*Result
	for _, t := range res.Targets {
		if t.Result != nil {
			results = append(results, t.Result)
		}
	}
	return results
}
