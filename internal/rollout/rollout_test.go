package rollout

import (
	"reflect"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cdtypes "github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

func linearConfig(pct, interval int32) cdtypes.DeploymentConfigInfo {
	return cdtypes.DeploymentConfigInfo{TrafficRoutingConfig: &cdtypes.TrafficRoutingConfig{
		Type: cdtypes.TrafficRoutingTypeTimeBasedLinear, TimeBasedLinear: &cdtypes.TimeBasedLinear{LinearPercentage: pct, LinearInterval: interval},
	}}
}

func TestCodeDeploy(t *testing.T) {
	t.Parallel()
	ecs := cdtypes.ComputePlatformEcs
	tests := map[string]struct {
		cfg                cdtypes.DeploymentConfigInfo
		group              Group
		strategy           string
		steps              []Step
		toTraffic, total   time.Duration
		pause              bool
		readyWait, waitFor time.Duration
	}{
		// The figure: ECSLinear10PercentEvery1Minutes with a 5-minute termination wait.
		"ECSLinear10PercentEvery1Minutes, 5m termination wait": {
			cfg: linearConfig(10, 1), group: Group{Platform: ecs, TerminationWait: 5 * time.Minute, ReadyAction: cdtypes.DeploymentReadyActionContinueDeployment},
			strategy: "linear: 10% every 1m",
			steps: []Step{{0, 10}, {time.Minute, 20}, {2 * time.Minute, 30}, {3 * time.Minute, 40}, {4 * time.Minute, 50},
				{5 * time.Minute, 60}, {6 * time.Minute, 70}, {7 * time.Minute, 80}, {8 * time.Minute, 90}, {9 * time.Minute, 100}},
			toTraffic: 10 * time.Minute, total: 15 * time.Minute, waitFor: 5 * time.Minute,
		},
		"linear 30% every 3m: the last share is what remains": {
			cfg: linearConfig(30, 3), group: Group{Platform: ecs},
			strategy:  "linear: 30% every 3m",
			steps:     []Step{{0, 30}, {3 * time.Minute, 60}, {6 * time.Minute, 90}, {9 * time.Minute, 100}},
			toTraffic: 10 * time.Minute, total: 10 * time.Minute,
		},
		"LambdaCanary10Percent5Minutes": {
			cfg: cdtypes.DeploymentConfigInfo{TrafficRoutingConfig: &cdtypes.TrafficRoutingConfig{
				Type: cdtypes.TrafficRoutingTypeTimeBasedCanary, TimeBasedCanary: &cdtypes.TimeBasedCanary{CanaryPercentage: 10, CanaryInterval: 5},
			}},
			group:     Group{Platform: cdtypes.ComputePlatformLambda},
			strategy:  "canary: 10%, the rest after 5m",
			steps:     []Step{{0, 10}, {5 * time.Minute, 100}},
			toTraffic: 6 * time.Minute, total: 6 * time.Minute,
		},
		"ECSAllAtOnce paused at Ready with a 60m wait": {
			cfg: cdtypes.DeploymentConfigInfo{TrafficRoutingConfig: &cdtypes.TrafficRoutingConfig{Type: cdtypes.TrafficRoutingTypeAllAtOnce}},
			group: Group{Platform: ecs, ReadyAction: cdtypes.DeploymentReadyActionStopDeployment, ReadyWait: time.Hour, Pause: true,
				TerminationWait: 10 * time.Minute},
			strategy: "all at once", steps: []Step{{0, 100}},
			toTraffic: time.Minute, total: 11 * time.Minute, pause: true, readyWait: time.Hour, waitFor: 10 * time.Minute,
		},
		"STOP_DEPLOYMENT continued by the run at once": {
			cfg:      cdtypes.DeploymentConfigInfo{},
			group:    Group{Platform: ecs, ReadyAction: cdtypes.DeploymentReadyActionStopDeployment, ReadyWait: time.Hour},
			strategy: "all at once", steps: []Step{{0, 100}},
			toTraffic: time.Minute, total: time.Minute,
		},
		"Server HalfAtATime": {
			cfg:       cdtypes.DeploymentConfigInfo{MinimumHealthyHosts: &cdtypes.MinimumHealthyHosts{Type: cdtypes.MinimumHealthyHostsTypeFleetPercent, Value: 50}},
			group:     Group{Platform: cdtypes.ComputePlatformServer, TerminationWait: 60 * time.Minute},
			strategy:  "instances in batches, at least 50% healthy",
			toTraffic: time.Minute, total: 61 * time.Minute, waitFor: time.Hour,
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			e := CodeDeploy(tt.cfg, tt.group)
			if e.Strategy != tt.strategy {
				t.Errorf("Strategy = %q, want %q", e.Strategy, tt.strategy)
			}
			if !reflect.DeepEqual(e.Steps, tt.steps) {
				t.Errorf("Steps = %v, want %v", e.Steps, tt.steps)
			}
			if e.ToTraffic() != tt.toTraffic || e.Total() != tt.total {
				t.Errorf("ToTraffic, Total = %v, %v; want %v, %v", e.ToTraffic(), e.Total(), tt.toTraffic, tt.total)
			}
			if e.Pause != tt.pause || e.ReadyWait != tt.readyWait || e.After != tt.waitFor {
				t.Errorf("Pause, ReadyWait, After = %v, %v, %v; want %v, %v, %v", e.Pause, e.ReadyWait, e.After, tt.pause, tt.readyWait, tt.waitFor)
			}
		})
	}
}

func TestECSNative(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		strategy         ecstypes.DeploymentStrategy
		cfg              ecstypes.DeploymentConfiguration
		want             string
		steps            int
		toTraffic, total time.Duration
	}{
		"linear with defaults: 10% every 6m": {
			strategy: ecstypes.DeploymentStrategyLinear, cfg: ecstypes.DeploymentConfiguration{BakeTimeInMinutes: aws.Int32(5)},
			want: "linear: 10% every 6m", steps: 10, toTraffic: 55 * time.Minute, total: 60 * time.Minute,
		},
		"linear 25% every 2m": {
			strategy: ecstypes.DeploymentStrategyLinear, cfg: ecstypes.DeploymentConfiguration{
				LinearConfiguration: &ecstypes.LinearConfiguration{StepPercent: aws.Float64(25), StepBakeTimeInMinutes: aws.Int32(2)},
			},
			want: "linear: 25% every 2m", steps: 4, toTraffic: 7 * time.Minute, total: 7 * time.Minute,
		},
		"canary with defaults: 5%, the rest after 10m": {
			strategy: ecstypes.DeploymentStrategyCanary, cfg: ecstypes.DeploymentConfiguration{BakeTimeInMinutes: aws.Int32(15)},
			want: "canary: 5%, the rest after 10m", steps: 2, toTraffic: 11 * time.Minute, total: 26 * time.Minute,
		},
		"canary 2.5%": {
			strategy: ecstypes.DeploymentStrategyCanary, cfg: ecstypes.DeploymentConfiguration{
				CanaryConfiguration: &ecstypes.CanaryConfiguration{CanaryPercent: aws.Float64(2.5), CanaryBakeTimeInMinutes: aws.Int32(3)},
			},
			want: "canary: 2.5%, the rest after 3m", steps: 2, toTraffic: 4 * time.Minute, total: 4 * time.Minute,
		},
		"blue/green with a 20m bake time": {
			strategy: ecstypes.DeploymentStrategyBlueGreen, cfg: ecstypes.DeploymentConfiguration{BakeTimeInMinutes: aws.Int32(20)},
			want: "blue/green: all at once", steps: 1, toTraffic: time.Minute, total: 21 * time.Minute,
		},
		"rolling": {
			strategy: ecstypes.DeploymentStrategyRolling, cfg: ecstypes.DeploymentConfiguration{BakeTimeInMinutes: aws.Int32(20)},
			want: "rolling update", toTraffic: time.Minute, total: time.Minute,
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			e := ECSNative(tt.strategy, tt.cfg, false)
			if e.Strategy != tt.want || len(e.Steps) != tt.steps || e.ToTraffic() != tt.toTraffic || e.Total() != tt.total {
				t.Errorf("ECSNative = %q, %d steps, %v to traffic, %v in all; want %q, %d, %v, %v",
					e.Strategy, len(e.Steps), e.ToTraffic(), e.Total(), tt.want, tt.steps, tt.toTraffic, tt.total)
			}
			if n := len(e.Steps); n > 0 && e.Steps[n-1].Percent != 100 {
				t.Errorf("last step moves to %v%%, want 100", e.Steps[n-1].Percent)
			}
		})
	}
}

func TestApprox(t *testing.T) {
	t.Parallel()
	for d, want := range map[time.Duration]string{
		30 * time.Second:                "under a minute",
		15 * time.Minute:                "about 15m",
		14*time.Minute + 40*time.Second: "about 15m",
		90 * time.Minute:                "about 1h30m",
		2 * time.Hour:                   "about 2h",
	} {
		if got := Approx(d); got != want {
			t.Errorf("Approx(%v) = %q, want %q", d, got, want)
		}
	}
}
