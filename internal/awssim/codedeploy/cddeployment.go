package codedeploy

import (
	"fmt"
	"slices"
	"time"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim"
)

// cdDeployment is a CodeDeploy deployment and its place on its timeline.
type cdDeployment struct {
	id           string
	app          *cdApp
	group        *cdGroup
	config       *cdConfig
	revision     *cdRevision
	previous     *cdRevision
	spec         cdSpec
	style        cdStyle
	blueGreen    *cdBlueGreen
	autoRollback *cdAutoRollback
	creator      string
	description  string
	fileExists   string

	status                      string
	created, started, completed time.Time
	errorInfo                   *cdErrorInfo
	rollbackInfo                *cdRollbackInfo
	terminationStarted, begun   bool
	targets                     []*cdTarget
	blueIDs, greenIDs           []string // Server instances
	ecs                         *cdECSRun
	lambda                      *cdLambdaRun

	steps []cdStep
	pc    int       // index of the next step
	last  time.Time // when the previous step ran
	wait  *cdWait
	hung  bool
	agent *agentRun          // exec mode: the deployment on this host
	hooks map[string]*cdHook // Lambda and ECS: hook executions by event
	stop  *cdStop            // a StopDeployment that has not taken effect yet
}

// cdStop is a requested stop: StopDeployment answers Pending and the
// deployment stops cdStopDelay later on the clock, as in AWS.
type cdStop struct {
	at       time.Time
	rollback bool
}

// cdStopDelay is how long after StopDeployment a deployment is Stopped.
const cdStopDelay = 5 * time.Second

// cdECSRun is what an ECS deployment does to its service.
type cdECSRun struct {
	svc             awssim.ECSService
	blue, green     awssim.TaskSet
	blueTG, greenTG string
	greenWeight     float64
}

type cdErrorInfo struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

type cdRollbackInfo struct {
	RollbackDeploymentID           string `json:"rollbackDeploymentId,omitempty"`
	RollbackTriggeringDeploymentID string `json:"rollbackTriggeringDeploymentId,omitempty"`
	RollbackMessage                string `json:"rollbackMessage,omitempty"`
}

func (d *cdDeployment) terminal() bool {
	return d.status == "Succeeded" || d.status == "Failed" || d.status == "Stopped"
}

// rollbackOn reports whether d's auto-rollback configuration covers event.
func (d *cdDeployment) rollbackOn(event string) bool {
	ar := d.autoRollback
	return ar != nil && ar.Enabled && slices.Contains(ar.Events, event)
}

// cdNewDeployment registers a deployment of g created at t.
func (s *Service) cdNewDeployment(g *cdGroup, cfg *cdConfig, rev *cdRevision, t time.Time) *cdDeployment {
	id := "d-" + cdRandom("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 9)
	for s.cd.byID[id] != nil {
		id = "d-" + cdRandom("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 9)
	}
	d := &cdDeployment{
		id: id, app: g.app, group: g, config: cfg, revision: rev,
		style: *g.DeploymentStyle, blueGreen: g.BlueGreenDeploymentConfiguration, autoRollback: g.AutoRollbackConfiguration,
		creator: "user", status: "Created", created: t, last: t, hooks: map[string]*cdHook{},
	}
	if g.success != nil {
		d.previous = g.success.revision
	}
	s.cd.deployments = append(s.cd.deployments, d)
	s.cd.byID[id] = d
	g.last = d
	return d
}

// cdTarget is an instance or ECS service a deployment acts on.
type cdTarget struct {
	id, arn string
	label   string // Blue, Green or empty
	events  []*cdEvent
	ready   bool
}

type cdEvent struct {
	LifecycleEventName string         `json:"lifecycleEventName"`
	StartTime          *awssim.Time   `json:"startTime,omitempty"`
	EndTime            *awssim.Time   `json:"endTime,omitempty"`
	Status             string         `json:"status"`
	Diagnostics        *cdDiagnostics `json:"diagnostics,omitempty"`
}

type cdDiagnostics struct {
	ErrorCode  string `json:"errorCode"`
	ScriptName string `json:"scriptName,omitempty"`
	Message    string `json:"message,omitempty"`
	LogTail    string `json:"logTail,omitempty"`
}

// diagnostics describes the failure a scenario fault causes.
func (d *cdDeployment) diagnostics(f awssim.LifecycleFault) cdDiagnostics {
	diag := cdDiagnostics{ErrorCode: f.ErrorCode, ScriptName: f.Script, Message: f.Message, LogTail: f.LogTail}
	if diag.ErrorCode == "" {
		diag.ErrorCode = "ScriptFailed"
	}
	if hooks := d.spec.hooks[f.Event]; diag.ScriptName == "" && len(hooks) > 0 {
		diag.ScriptName = hooks[0]
	}
	if diag.Message == "" {
		diag.Message = fmt.Sprintf("Script at specified location: %s run as user root failed with exit code 1", diag.ScriptName)
		if d.ecs != nil {
			diag.Message = fmt.Sprintf("The %s hook %s returned Failed.", f.Event, diag.ScriptName)
		}
	}
	return diag
}

// addTargets adds targets with the given ids, label and pending events.
func (d *cdDeployment) addTargets(ids []string, label string, events []string) []*cdTarget {
	var out []*cdTarget
	for _, id := range ids {
		t := &cdTarget{id: id, arn: fmt.Sprintf("arn:aws:ec2:%s:%s:instance/%s", d.app.region, awssim.Account, id), label: label}
		for _, e := range events {
			t.events = append(t.events, &cdEvent{LifecycleEventName: e, Status: "Pending"})
		}
		out = append(out, t)
	}
	d.targets = append(d.targets, out...)
	return out
}

// event returns the target's lifecycle event of that name.
func (t *cdTarget) event(name string) *cdEvent {
	for _, ev := range t.events {
		if ev.LifecycleEventName == name {
			return ev
		}
	}
	panic("awssim: target " + t.id + " has no lifecycle event " + name)
}

// status derives the target's status from its events.
func (t *cdTarget) status(d *cdDeployment) string {
	count := map[string]int{}
	for _, ev := range t.events {
		count[ev.Status]++
	}
	switch n := len(t.events); {
	case count["Failed"] > 0:
		return "Failed"
	case t.ready:
		return "Ready"
	case count["Succeeded"] == n:
		return "Succeeded"
	case count["Pending"] == n:
		return "Pending"
	case count["Skipped"] > 0 && count["InProgress"] == 0 && d.terminal():
		return "Skipped"
	}
	return "InProgress"
}

// lastUpdated is when anything last happened to the target.
func (t *cdTarget) lastUpdated(d *cdDeployment) time.Time {
	last := d.created
	for _, ev := range t.events {
		for _, at := range []*awssim.Time{ev.StartTime, ev.EndTime} {
			if at != nil && time.Time(*at).After(last) {
				last = time.Time(*at)
			}
		}
	}
	return last
}

type cdTaskSetInfo struct {
	Identifer     string       `json:"identifer"` // sic
	DesiredCount  int          `json:"desiredCount"`
	PendingCount  int          `json:"pendingCount"`
	RunningCount  int          `json:"runningCount"`
	Status        string       `json:"status"`
	TrafficWeight awssim.Float `json:"trafficWeight"`
	TargetGroup   cdName       `json:"targetGroup"`
	TaskSetLabel  string       `json:"taskSetLabel"`
}

// cdTargetInfo renders a deployment target in its wire shape.
func (s *Service) cdTargetInfo(d *cdDeployment, t *cdTarget) any {
	if d.lambda != nil {
		return d.lambdaTargetInfo(t)
	}
	type target struct {
		DeploymentID    string          `json:"deploymentId"`
		TargetID        string          `json:"targetId"`
		TargetArn       string          `json:"targetArn"`
		Status          string          `json:"status"`
		LastUpdatedAt   awssim.Time     `json:"lastUpdatedAt"`
		LifecycleEvents []*cdEvent      `json:"lifecycleEvents"`
		InstanceLabel   string          `json:"instanceLabel,omitempty"`
		TaskSetsInfo    []cdTaskSetInfo `json:"taskSetsInfo,omitempty"`
	}
	tg := &target{
		DeploymentID: d.id, TargetID: t.id, TargetArn: t.arn, Status: t.status(d),
		LastUpdatedAt: awssim.Time(t.lastUpdated(d)), LifecycleEvents: t.events, InstanceLabel: t.label,
	}
	if run := d.ecs; run != nil {
		add := func(ts awssim.TaskSet, label, tgName string, weight float64) {
			if ts != nil {
				info := ts.Info()
				tg.TaskSetsInfo = append(tg.TaskSetsInfo, cdTaskSetInfo{
					Identifer: info.ID, DesiredCount: info.DesiredCount, PendingCount: info.PendingCount, RunningCount: info.RunningCount,
					Status: info.Status, TrafficWeight: awssim.Float(weight), TargetGroup: cdName{Name: tgName}, TaskSetLabel: label,
				})
			}
		}
		add(run.blue, "Blue", run.blueTG, 100-run.greenWeight)
		add(run.green, "Green", run.greenTG, run.greenWeight)
		return map[string]any{"deploymentTargetType": "ECSTarget", "ecsTarget": tg}
	}
	return map[string]any{"deploymentTargetType": "InstanceTarget", "instanceTarget": tg}
}

type cdOverview struct {
	Pending    int `json:"Pending"`
	InProgress int `json:"InProgress"`
	Succeeded  int `json:"Succeeded"`
	Failed     int `json:"Failed"`
	Skipped    int `json:"Skipped"`
	Ready      int `json:"Ready"`
}

// cdDeploymentInfo is a deployment in its wire shape (deploymentInfo).
type cdDeploymentInfo struct {
	ApplicationName                    string              `json:"applicationName"`
	DeploymentGroupName                string              `json:"deploymentGroupName"`
	DeploymentConfigName               string              `json:"deploymentConfigName"`
	DeploymentID                       string              `json:"deploymentId"`
	ComputePlatform                    string              `json:"computePlatform"`
	Status                             string              `json:"status"`
	Creator                            string              `json:"creator"`
	Description                        string              `json:"description,omitempty"`
	CreateTime                         awssim.Time         `json:"createTime"`
	StartTime                          *awssim.Time        `json:"startTime,omitempty"`
	CompleteTime                       *awssim.Time        `json:"completeTime,omitempty"`
	DeploymentOverview                 cdOverview          `json:"deploymentOverview"`
	ErrorInformation                   *cdErrorInfo        `json:"errorInformation,omitempty"`
	RollbackInfo                       *cdRollbackInfo     `json:"rollbackInfo,omitempty"`
	Revision                           *cdRevision         `json:"revision,omitempty"`
	PreviousRevision                   *cdRevision         `json:"previousRevision,omitempty"`
	DeploymentStyle                    cdStyle             `json:"deploymentStyle"`
	BlueGreenDeploymentConfiguration   *cdBlueGreen        `json:"blueGreenDeploymentConfiguration,omitempty"`
	AutoRollbackConfiguration          *cdAutoRollback     `json:"autoRollbackConfiguration,omitempty"`
	LoadBalancerInfo                   *cdLoadBalancerInfo `json:"loadBalancerInfo,omitempty"`
	FileExistsBehavior                 string              `json:"fileExistsBehavior,omitempty"`
	InstanceTerminationWaitTimeStarted bool                `json:"instanceTerminationWaitTimeStarted"`
	DeploymentStatusMessages           []string            `json:"deploymentStatusMessages"`
	IgnoreApplicationStopFailures      bool                `json:"ignoreApplicationStopFailures"`
	UpdateOutdatedInstancesOnly        bool                `json:"updateOutdatedInstancesOnly"`
}

func (d *cdDeployment) info() *cdDeploymentInfo {
	info := &cdDeploymentInfo{
		ApplicationName:                    d.app.ApplicationName,
		DeploymentGroupName:                d.group.DeploymentGroupName,
		DeploymentConfigName:               d.config.DeploymentConfigName,
		DeploymentID:                       d.id,
		ComputePlatform:                    d.app.ComputePlatform,
		Status:                             d.status,
		Creator:                            d.creator,
		Description:                        d.description,
		CreateTime:                         awssim.Time(d.created),
		StartTime:                          cdTimePtr(d.started),
		CompleteTime:                       cdTimePtr(d.completed),
		ErrorInformation:                   d.errorInfo,
		RollbackInfo:                       d.rollbackInfo,
		Revision:                           d.revision.public(),
		PreviousRevision:                   d.previous.public(),
		DeploymentStyle:                    d.style,
		BlueGreenDeploymentConfiguration:   d.blueGreen,
		AutoRollbackConfiguration:          d.autoRollback,
		LoadBalancerInfo:                   d.group.LoadBalancerInfo,
		FileExistsBehavior:                 d.fileExists,
		InstanceTerminationWaitTimeStarted: d.terminationStarted,
		DeploymentStatusMessages:           []string{},
	}
	if d.style.DeploymentType != "BLUE_GREEN" {
		info.BlueGreenDeploymentConfiguration = nil
	}
	for _, t := range d.targets {
		switch t.status(d) {
		case "Pending":
			info.DeploymentOverview.Pending++
		case "InProgress":
			info.DeploymentOverview.InProgress++
		case "Succeeded":
			info.DeploymentOverview.Succeeded++
		case "Failed":
			info.DeploymentOverview.Failed++
		case "Skipped":
			info.DeploymentOverview.Skipped++
		case "Ready":
			info.DeploymentOverview.Ready++
		}
	}
	return info
}
