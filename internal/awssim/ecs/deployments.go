package ecs

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim"
)

// serviceDeployment is a service deployment of a service with the ECS
// deployment controller: from one or more source service revisions to a
// target one, through the lifecycle stages of its strategy.
type serviceDeployment struct {
	arn          string
	svc          *ecsService
	cfg          *deploymentConfig
	status       string
	statusReason string
	stage        string
	createdAt    time.Time
	startedAt    *time.Time
	finishedAt   *time.Time
	stoppedAt    *time.Time
	updatedAt    time.Time
	target       *revision
	source       []*revision
	hooks        []*hookRun // the hooks of the current stage, while they run
	hooksDone    bool       // the current phase's hooks have run
	rollback     *rollbackInfo
	cb           monitor
	alarms       monitor
	fault        *awssim.ECSDeploymentFault
	plan         []phase   // the current phase first
	at           time.Time // when the current phase ends
	rolloutID    string    // the service's deployments entry of the target
}

// revision is a service revision of a deployment, as ServiceRevisionSummary.
type revision struct {
	Arn       string       `json:"arn"`
	Requested int          `json:"requestedTaskCount"`
	Running   int          `json:"runningTaskCount"`
	Pending   int          `json:"pendingTaskCount"`
	Test      awssim.Float `json:"requestedTestTrafficWeight"`
	Prod      awssim.Float `json:"requestedProductionTrafficWeight"`

	taskDef string
}

type rollbackInfo struct {
	Reason             string      `json:"reason"`
	StartedAt          awssim.Time `json:"startedAt"`
	ServiceRevisionArn string      `json:"serviceRevisionArn,omitempty"`
}

// monitor is the circuit breaker's or the alarms' state.
type monitor struct {
	Status              string   `json:"status"`
	FailureCount        *int     `json:"failureCount,omitempty"`
	Threshold           *int     `json:"threshold,omitempty"`
	AlarmNames          []string `json:"alarmNames,omitempty"`
	TriggeredAlarmNames []string `json:"triggeredAlarmNames,omitempty"`
}

func ptr[T any](v T) *T { return &v }

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// lambdaName is the function name of a Lambda ARN (or name).
func lambdaName(arn string) string {
	if i := strings.Index(arn, ":function:"); i >= 0 {
		name, _, _ := strings.Cut(arn[i+len(":function:"):], ":")
		return name
	}
	return ecsName(arn)
}

func (d *serviceDeployment) finished() bool { return d.finishedAt != nil }

func (d *serviceDeployment) finish(t time.Time, status, reason string) {
	d.status, d.statusReason, d.finishedAt, d.updatedAt, d.plan, d.hooks = status, reason, ptr(t), t, nil, nil
	d.stage = ""
}

// stoppable reports whether StopServiceDeployment may stop d.
func (d *serviceDeployment) stoppable() bool {
	return d.status == "PENDING" || d.status == "IN_PROGRESS"
}

func optTime(t *time.Time) *awssim.Time {
	if t == nil {
		return nil
	}
	return ptr(awssim.Time(*t))
}

func (d *serviceDeployment) MarshalJSON() ([]byte, error) {
	source := d.source
	if source == nil {
		source = []*revision{}
	}
	hooks := d.hooks
	if hooks == nil {
		hooks = []*hookRun{}
	}
	out := map[string]any{
		"serviceDeploymentArn": d.arn, "serviceArn": d.svc.ServiceArn, "clusterArn": d.svc.ClusterArn,
		"createdAt": awssim.Time(d.createdAt), "updatedAt": awssim.Time(d.updatedAt),
		"startedAt": optTime(d.startedAt), "finishedAt": optTime(d.finishedAt), "stoppedAt": optTime(d.stoppedAt),
		"sourceServiceRevisions": source, "targetServiceRevision": d.target, "status": d.status,
		"lifecycleHookDetails": hooks, "deploymentConfiguration": d.cfg,
		"deploymentCircuitBreaker": d.cb, "alarms": d.alarms,
	}
	if d.statusReason != "" {
		out["statusReason"] = d.statusReason
	}
	if d.stage != "" {
		out["lifecycleStage"] = d.stage
	}
	if d.rollback != nil {
		out["rollback"] = d.rollback
	}
	for k, v := range out {
		if t, ok := v.(*awssim.Time); ok && t == nil {
			delete(out, k)
		}
	}
	return json.Marshal(out)
}

// brief is the deployment as ListServiceDeployments gives it.
func (d *serviceDeployment) brief() map[string]any {
	out := map[string]any{
		"serviceDeploymentArn": d.arn, "serviceArn": d.svc.ServiceArn, "clusterArn": d.svc.ClusterArn,
		"createdAt": awssim.Time(d.createdAt), "targetServiceRevisionArn": d.target.Arn, "status": d.status,
	}
	if d.startedAt != nil {
		out["startedAt"] = awssim.Time(*d.startedAt)
	}
	if d.finishedAt != nil {
		out["finishedAt"] = awssim.Time(*d.finishedAt)
	}
	if d.statusReason != "" {
		out["statusReason"] = d.statusReason
	}
	return out
}

func randomID() string { return strconv.FormatUint(rand.Uint64N(9e18)+1e18, 10) }

// revisionArn names a new service revision of svc.
func (svc *ecsService) revisionArn() string {
	return fmt.Sprintf("arn:aws:ecs:%s:%s:service-revision/%s/%s/%s", svc.region, awssim.Account, svc.cluster, svc.ServiceName, randomID())
}

// startDeployment starts a service deployment of svc to taskDef at t,
// superseding one in progress.
func (s *Service) startDeployment(svc *ecsService, taskDef string, t time.Time) *serviceDeployment {
	cfg := svc.DeploymentConfiguration
	d := &serviceDeployment{
		arn: fmt.Sprintf("arn:aws:ecs:%s:%s:service-deployment/%s/%s/%s", svc.region, awssim.Account, svc.cluster, svc.ServiceName, randomID()[:16]),
		svc: svc, cfg: cfg, status: "PENDING", createdAt: t, updatedAt: t, at: t,
		target:    &revision{Arn: svc.revisionArn(), Requested: svc.DesiredCount, Pending: svc.DesiredCount, taskDef: taskDef},
		cb:        monitor{Status: "DISABLED"},
		alarms:    monitor{Status: "DISABLED"},
		rolloutID: "ecs-svc/" + randomID(),
	}
	if cfg.DeploymentCircuitBreaker.Enable {
		// ECS's failure threshold: half the desired count, at least 3, at most 200.
		d.cb = monitor{Status: "MONITORING", FailureCount: ptr(0), Threshold: ptr(min(max((svc.DesiredCount+1)/2, 3), 200))}
	}
	if a := cfg.Alarms; a != nil && a.Enable {
		d.alarms = monitor{Status: "MONITORING", AlarmNames: a.AlarmNames}
	}
	d.source = []*revision{{Arn: svc.revision, Requested: svc.DesiredCount, Running: svc.DesiredCount, Test: 100, Prod: 100, taskDef: svc.serving}}
	d.plan = plan(cfg)
	for _, o := range s.ecs.deployments {
		if o.svc == svc && !o.finished() {
			// Its revision stays a source: more than one revision is
			// ACTIVE, so the deployment starts with RECONCILE_SERVICE.
			d.source[0].Test, d.source[0].Prod = 100-o.target.Test, 100-o.target.Prod
			src := *o.target
			d.source = append(d.source, &src)
			d.plan[1].status = ""
			d.plan = slices.Insert(d.plan, 1, phase{stage: "RECONCILE_SERVICE", dur: shiftTime, hooks: true, status: "IN_PROGRESS"})
			o.finish(t, "STOPPED", "Service deployment was superseded by a newer service deployment.")
			o.stoppedAt = ptr(t)
		}
	}
	d.fault = s.deploymentFault(svc)
	if d.fault != nil && len(d.fault.Alarms) > 0 && d.alarms.Status == "MONITORING" {
		d.plan = withAlarm(d.plan)
	}
	d.at = t.Add(d.plan[0].dur)
	s.ecs.deployments = append(s.ecs.deployments, d)
	svc.CurrentServiceDeployment = d.arn
	svc.startRollout(d, t)
	return d
}

// deploymentFault returns the first scenario entry for svc's deployments
// that has not been used up, and uses it.
func (s *Service) deploymentFault(svc *ecsService) *awssim.ECSDeploymentFault {
	faults := s.Scenario().ECSDeployments
	for i := range faults {
		f := &faults[i]
		if ecsName(f.Service) != svc.ServiceName || (f.Cluster != "" && ecsName(f.Cluster) != svc.cluster) || (f.Count > 0 && f.Used >= f.Count) {
			continue
		}
		f.Used++
		c := *f
		return &c
	}
	return nil
}

// startRollout shows a deployment in the service's deployments: the new one
// PRIMARY, the old ACTIVE.
func (svc *ecsService) startRollout(d *serviceDeployment, t time.Time) {
	var keep []ecsRollout
	for _, r := range svc.Deployments {
		if r.Status == "PRIMARY" {
			r.Status, r.UpdatedAt = "ACTIVE", awssim.Time(t)
			keep = append(keep, r)
		}
	}
	svc.Deployments = append([]ecsRollout{{ID: d.rolloutID, Status: "PRIMARY", TaskDefinition: d.target.taskDef,
		DesiredCount: svc.DesiredCount, PendingCount: svc.DesiredCount, RolloutState: "IN_PROGRESS",
		RolloutStateReason: "ECS deployment " + d.rolloutID + " in progress.", CreatedAt: awssim.Time(t), UpdatedAt: awssim.Time(t)}}, keep...)
	svc.TaskDefinition = d.target.taskDef
}

// setRollout sets the rollout state of the deployment's PRIMARY entry; on
// COMPLETED the older entries go.
func (svc *ecsService) setRollout(d *serviceDeployment, state string, t time.Time) {
	for i := range svc.Deployments {
		r := &svc.Deployments[i]
		if r.ID != d.rolloutID {
			continue
		}
		r.RolloutState, r.UpdatedAt = state, awssim.Time(t)
		r.RunningCount, r.PendingCount = d.target.Running, d.target.Pending
		r.RolloutStateReason = "ECS deployment " + d.rolloutID + " completed."
		if state == "FAILED" {
			r.RolloutStateReason = d.statusReason
		}
	}
	if state == "COMPLETED" {
		svc.Deployments = svc.Deployments[:1]
		svc.revision, svc.serving = d.target.Arn, d.target.taskDef
	}
}

// rolledBack makes the source revision the service's again.
func (svc *ecsService) rolledBack(d *serviceDeployment, t time.Time) {
	src := d.source[0]
	svc.TaskDefinition = src.taskDef
	svc.Deployments = []ecsRollout{{ID: "ecs-svc/" + randomID(), Status: "PRIMARY", TaskDefinition: src.taskDef,
		DesiredCount: svc.DesiredCount, RunningCount: svc.DesiredCount, RolloutState: "COMPLETED",
		RolloutStateReason: "ECS deployment rolled back to service revision " + src.Arn + ".",
		CreatedAt:          awssim.Time(t), UpdatedAt: awssim.Time(t)}}
}
