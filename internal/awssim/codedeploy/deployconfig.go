package codedeploy

import (
	"math"
	"time"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim"
)

// cdConfig is a CodeDeploy deployment configuration, in its wire shape
// (deploymentConfigInfo).
type cdConfig struct {
	DeploymentConfigID   string            `json:"deploymentConfigId"`
	DeploymentConfigName string            `json:"deploymentConfigName"`
	ComputePlatform      string            `json:"computePlatform"`
	MinimumHealthyHosts  *cdMinHealthy     `json:"minimumHealthyHosts,omitempty"`
	TrafficRoutingConfig *cdTrafficRouting `json:"trafficRoutingConfig,omitempty"`
}

type cdMinHealthy struct {
	Type  string `json:"type"` // HOST_COUNT or FLEET_PERCENT
	Value int    `json:"value"`
}

type cdTrafficRouting struct {
	Type            string     `json:"type"` // AllAtOnce, TimeBasedCanary, TimeBasedLinear
	TimeBasedCanary *cdCanary  `json:"timeBasedCanary,omitempty"`
	TimeBasedLinear *cdLinearT `json:"timeBasedLinear,omitempty"`
}

type cdCanary struct {
	CanaryPercentage int `json:"canaryPercentage"`
	CanaryInterval   int `json:"canaryInterval"` // minutes
}

type cdLinearT struct {
	LinearPercentage int `json:"linearPercentage"`
	LinearInterval   int `json:"linearInterval"` // minutes
}

// cdBuiltinConfigs are the predefined configurations the sandbox knows, by name.
var cdBuiltinConfigs = func() map[string]*cdConfig {
	server := func(name, typ string, value int) *cdConfig {
		return &cdConfig{DeploymentConfigName: name, ComputePlatform: "Server", MinimumHealthyHosts: &cdMinHealthy{Type: typ, Value: value}}
	}
	ecs := func(name string, tr cdTrafficRouting) *cdConfig {
		return &cdConfig{DeploymentConfigName: name, ComputePlatform: "ECS", TrafficRoutingConfig: &tr}
	}
	lambda := func(name string, tr cdTrafficRouting) *cdConfig {
		return &cdConfig{DeploymentConfigName: name, ComputePlatform: "Lambda", TrafficRoutingConfig: &tr}
	}
	linear := func(pct, min int) cdTrafficRouting {
		return cdTrafficRouting{Type: "TimeBasedLinear", TimeBasedLinear: &cdLinearT{LinearPercentage: pct, LinearInterval: min}}
	}
	canary := func(pct, min int) cdTrafficRouting {
		return cdTrafficRouting{Type: "TimeBasedCanary", TimeBasedCanary: &cdCanary{CanaryPercentage: pct, CanaryInterval: min}}
	}
	list := []*cdConfig{
		server("CodeDeployDefault.AllAtOnce", "FLEET_PERCENT", 0),
		server("CodeDeployDefault.HalfAtATime", "FLEET_PERCENT", 50),
		server("CodeDeployDefault.OneAtATime", "HOST_COUNT", 1),
		ecs("CodeDeployDefault.ECSAllAtOnce", cdTrafficRouting{Type: "AllAtOnce"}),
		ecs("CodeDeployDefault.ECSLinear10PercentEvery1Minutes", linear(10, 1)),
		ecs("CodeDeployDefault.ECSLinear10PercentEvery3Minutes", linear(10, 3)),
		ecs("CodeDeployDefault.ECSCanary10Percent5Minutes", canary(10, 5)),
		ecs("CodeDeployDefault.ECSCanary10Percent15Minutes", canary(10, 15)),
		lambda("CodeDeployDefault.LambdaAllAtOnce", cdTrafficRouting{Type: "AllAtOnce"}),
		lambda("CodeDeployDefault.LambdaCanary10Percent5Minutes", canary(10, 5)),
		lambda("CodeDeployDefault.LambdaCanary10Percent10Minutes", canary(10, 10)),
		lambda("CodeDeployDefault.LambdaCanary10Percent15Minutes", canary(10, 15)),
		lambda("CodeDeployDefault.LambdaCanary10Percent30Minutes", canary(10, 30)),
		lambda("CodeDeployDefault.LambdaLinear10PercentEvery1Minute", linear(10, 1)),
		lambda("CodeDeployDefault.LambdaLinear10PercentEvery2Minutes", linear(10, 2)),
		lambda("CodeDeployDefault.LambdaLinear10PercentEvery3Minutes", linear(10, 3)),
		lambda("CodeDeployDefault.LambdaLinear10PercentEvery10Minutes", linear(10, 10)),
	}
	m := make(map[string]*cdConfig, len(list))
	for _, c := range list {
		c.DeploymentConfigID = awssim.RequestID()
		m[c.DeploymentConfigName] = c
	}
	return m
}()

// cdDefaultConfig is the configuration a deployment group of a platform uses
// when it names none.
var cdDefaultConfig = map[string]string{
	"Server": "CodeDeployDefault.OneAtATime",
	"ECS":    "CodeDeployDefault.ECSAllAtOnce",
	"Lambda": "CodeDeployDefault.LambdaAllAtOnce",
}

// batchSize is how many of n instances a Server configuration deploys to or
// reroutes at once: OneAtATime (HOST_COUNT) one, FLEET_PERCENT v the rest
// beyond v percent of the fleet.
func (c *cdConfig) batchSize(n int) int {
	mh := c.MinimumHealthyHosts
	if mh == nil || mh.Type == "HOST_COUNT" || n <= 1 {
		return 1
	}
	return max(n-int(math.Ceil(float64(n*mh.Value)/100)), 1)
}

// weightStep is a traffic weight the replacement reaches some time after
// traffic shifting started.
type weightStep struct {
	after  time.Duration
	weight float64
}

// weights is the replacement's traffic weight over time for an ECS or
// Lambda configuration.
func (c *cdConfig) weights() []weightStep {
	tr := c.TrafficRoutingConfig
	switch {
	case tr != nil && tr.TimeBasedLinear != nil:
		l := tr.TimeBasedLinear
		var steps []weightStep
		for i, w := 0, l.LinearPercentage; ; i, w = i+1, w+l.LinearPercentage {
			steps = append(steps, weightStep{time.Duration(i*l.LinearInterval) * time.Minute, float64(min(w, 100))})
			if w >= 100 {
				return steps
			}
		}
	case tr != nil && tr.TimeBasedCanary != nil:
		k := tr.TimeBasedCanary
		return []weightStep{{0, float64(k.CanaryPercentage)}, {time.Duration(k.CanaryInterval) * time.Minute, 100}}
	}
	return []weightStep{{0, 100}}
}
