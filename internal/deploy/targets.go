package deploy

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awscfg"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
)

// refreshTargets reads the targets' lifecycle events, tells the observer
// about each change and reports whether there was one. Targets are
// informative: a failure to read them is noted, not returned.
func (w *watcher) refreshTargets(ctx context.Context, final bool) bool {
	total := overviewTotal(w.info)
	if len(w.targetIDs) == 0 || total != w.total || final {
		ids, err := w.listTargets(ctx)
		if err != nil {
			w.noteTargetError(err)
			return false
		}
		w.targetIDs, w.total = ids, total
	}
	changed := false
	for start := 0; start < len(w.targetIDs); start += 25 {
		batch := w.targetIDs[start:min(start+25, len(w.targetIDs))]
		out, err := w.d.API.BatchGetDeploymentTargets(ctx, &codedeploy.BatchGetDeploymentTargetsInput{
			DeploymentId: aws.String(w.id),
			TargetIds:    batch,
		})
		if err != nil {
			w.noteTargetError(err)
			return changed
		}
		for _, dt := range out.DeploymentTargets {
			t, ok := targetOf(dt)
			if ok && w.record(t) {
				changed = true
			}
		}
	}
	return changed
}

func (w *watcher) noteTargetError(err error) {
	var notStarted *types.DeploymentNotStartedException
	if errors.As(err, &notStarted) || awscfg.Throttled(err) || ctxErr(err) {
		return
	}
	w.note(fmt.Sprintf("reading the deployment's targets: %v", err))
}

func (w *watcher) listTargets(ctx context.Context) ([]string, error) {
	var ids []string
	in := &codedeploy.ListDeploymentTargetsInput{DeploymentId: aws.String(w.id)}
	for {
		out, err := w.d.API.ListDeploymentTargets(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("listing targets of deployment %s: %w", w.id, err)
		}
		ids = append(ids, out.TargetIds...)
		if aws.ToString(out.NextToken) == "" {
			return ids, nil
		}
		in.NextToken = out.NextToken
	}
}

// record stores a target's state, tells the observer what changed and
// reports whether anything did.
func (w *watcher) record(t Target) bool {
	w.targets[t.ID] = &t
	changed := false
	for _, e := range t.Events {
		key := t.ID + "/" + e.Name
		if w.seen[key] == e.Status {
			continue
		}
		if w.seen[key] == "" && e.Status == string(types.LifecycleEventStatusPending) {
			w.seen[key] = e.Status // pending events are not news
			continue
		}
		w.seen[key] = e.Status
		changed = true
		w.d.observer().Event(w.id, t, e)
	}
	if len(t.TaskSets) > 0 || t.Lambda != nil {
		var b strings.Builder
		for _, ts := range t.TaskSets {
			fmt.Fprintf(&b, "%s=%g/%d/%d;", ts.Label, ts.Weight, ts.Running, ts.Desired)
		}
		if l := t.Lambda; l != nil {
			fmt.Fprintf(&b, "%s=%g;", l.TargetVersion, l.TargetWeight)
		}
		if w.seen[t.ID] != b.String() {
			w.seen[t.ID] = b.String()
			changed = true
			w.d.observer().Weights(w.id, t)
		}
	}
	return changed
}

// trafficShifted reports whether every target with an AllowTraffic event
// (Server: the green instances; ECS and Lambda: the deployment's target)
// has finished it, and there is one.
func (w *watcher) trafficShifted() bool {
	found := false
	for _, t := range w.targets {
		for _, e := range t.Events {
			if e.Name != "AllowTraffic" {
				continue
			}
			if e.Status != string(types.LifecycleEventStatusSucceeded) {
				return false
			}
			found = true
		}
	}
	return found
}

// targetOf converts a deployment target of any platform.
func targetOf(dt types.DeploymentTarget) (Target, bool) {
	var t Target
	var events []types.LifecycleEvent
	switch {
	case dt.InstanceTarget != nil:
		it := dt.InstanceTarget
		t = Target{ID: aws.ToString(it.TargetId), Label: string(it.InstanceLabel), Status: string(it.Status)}
		events = it.LifecycleEvents
	case dt.EcsTarget != nil:
		et := dt.EcsTarget
		t = Target{ID: aws.ToString(et.TargetId), Status: string(et.Status)}
		events = et.LifecycleEvents
		for _, ts := range et.TaskSetsInfo {
			t.TaskSets = append(t.TaskSets, TaskSet{
				ID: aws.ToString(ts.Identifer), Label: string(ts.TaskSetLabel), Status: aws.ToString(ts.Status),
				Weight: ts.TrafficWeight, Running: ts.RunningCount, Desired: ts.DesiredCount,
			})
		}
	case dt.LambdaTarget != nil:
		lt := dt.LambdaTarget
		t = Target{ID: aws.ToString(lt.TargetId), Status: string(lt.Status)}
		events = lt.LifecycleEvents
		if fi := lt.LambdaFunctionInfo; fi != nil {
			t.Lambda = &LambdaShift{
				Function: aws.ToString(fi.FunctionName), Alias: aws.ToString(fi.FunctionAlias),
				CurrentVersion: aws.ToString(fi.CurrentVersion), TargetVersion: aws.ToString(fi.TargetVersion),
				TargetWeight: fi.TargetVersionWeight,
			}
		}
	default:
		return Target{}, false
	}
	for _, le := range events {
		e := Event{Name: aws.ToString(le.LifecycleEventName), Status: string(le.Status),
			Start: aws.ToTime(le.StartTime), End: aws.ToTime(le.EndTime)}
		if dg := le.Diagnostics; dg != nil && (dg.ErrorCode != "" && dg.ErrorCode != types.LifecycleErrorCodeSuccess || aws.ToString(dg.LogTail) != "") {
			e.Diagnostics = &Diagnostics{
				Target: t.ID, Label: t.Label, Event: e.Name, ErrorCode: string(dg.ErrorCode),
				Script: aws.ToString(dg.ScriptName), Message: aws.ToString(dg.Message), LogTail: aws.ToString(dg.LogTail),
			}
		}
		t.Events = append(t.Events, e)
	}
	return t, true
}

func overviewTotal(info *types.DeploymentInfo) int64 {
	o := info.DeploymentOverview
	if o == nil {
		return 0
	}
	return o.Pending + o.InProgress + o.Succeeded + o.Failed + o.Skipped + o.Ready
}
