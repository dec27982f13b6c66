package deploy

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
)

func TestScheduleNext(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 3, 14, 10, 0, 0, 0, time.UTC)
	at := func(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }
	linear := &types.TrafficRoutingConfig{TimeBasedLinear: &types.TimeBasedLinear{LinearPercentage: 10, LinearInterval: 1}}
	canary := &types.TrafficRoutingConfig{TimeBasedCanary: &types.TimeBasedCanary{CanaryPercentage: 10, CanaryInterval: 5}}
	allowing := map[string]*Target{"svc": {ID: "svc", Events: []Event{
		{Name: "BeforeAllowTraffic", Status: "Succeeded", Start: at(-6), End: at(-1)},
		{Name: "AllowTraffic", Status: "InProgress", Start: at(0)},
	}}}
	waiting := map[string]*Target{"svc": {ID: "svc", Events: []Event{{Name: "AfterAllowTraffic", Status: "Succeeded", Start: at(-5), End: at(0)}}}}
	ecs := func(terminating bool) *types.DeploymentInfo {
		return &types.DeploymentInfo{
			Status: types.DeploymentStatusInProgress, ComputePlatform: types.ComputePlatformEcs,
			InstanceTerminationWaitTimeStarted: terminating,
			BlueGreenDeploymentConfiguration: &types.BlueGreenDeploymentConfiguration{
				TerminateBlueInstancesOnDeploymentSuccess: &types.BlueInstanceTerminationOption{TerminationWaitTimeInMinutes: 5},
			},
		}
	}
	server := &types.DeploymentInfo{Status: types.DeploymentStatusInProgress, ComputePlatform: types.ComputePlatformServer}
	tests := []struct {
		name         string
		info         *types.DeploymentInfo
		targets      map[string]*Target
		routing      *types.TrafficRoutingConfig
		untilTraffic bool
		changedAt    float64 // a change seen then, before now
		now          float64
		want         time.Duration
	}{
		{"linear: sleep to the next step", ecs(false), allowing, linear, false, 10, 10, 50*time.Second + Slack},
		{"canary: never longer than SparseMax", ecs(false), allowing, canary, false, 10, 10, SparseMax},
		{"linear: a step due and not seen: dense", ecs(false), allowing, linear, false, 10, 60.25, time.Second},
		{"linear: long overdue: back off", ecs(false), allowing, linear, false, 10, 95, 4 * time.Second},
		{"linear: after the last step: dense", ecs(false), allowing, linear, false, 540.25, 541.25, time.Second},
		{"canary: its one step", ecs(false), allowing, canary, false, 290, 290, 10*time.Second + Slack},
		{"termination wait: sparse", ecs(true), waiting, nil, false, 0, 10, SparseMax},
		{"termination wait: to its end", ecs(true), waiting, nil, false, 0, 280, 20*time.Second + Slack},
		{"server AllowTraffic: back off", server, allowing, nil, false, 10, 20, 4 * time.Second},
		{"server AllowTraffic, until traffic: dense", server, allowing, nil, true, 10, 20, time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d := &Driver{}
			w := d.watcher("d-1")
			w.info, w.targets, w.untilTraffic = tt.info, tt.targets, tt.untilTraffic
			w.info.DeploymentConfigName = aws.String("c")
			w.phase = string(tt.info.Status)
			if tt.info.InstanceTerminationWaitTimeStarted {
				w.phase = PhaseTerminationWait
			}
			s := d.schedule()
			s.routing, s.routingRead = tt.routing, true
			s.next(context.Background(), w, at(tt.changedAt), true)
			// Nothing changed since: the back-off has grown to PollMax.
			s.interval = s.max
			if got := s.next(context.Background(), w, at(tt.now), false); got != tt.want {
				t.Errorf("next = %s, want %s", got, tt.want)
			}
		})
	}
}
