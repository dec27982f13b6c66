package ecs

import (
	"encoding/json"
	"slices"
	"time"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim"
)

// deploymentConfig is a service's deploymentConfiguration as ECS echoes it.
type deploymentConfig struct {
	DeploymentCircuitBreaker *circuitBreakerConfig `json:"deploymentCircuitBreaker,omitempty"`
	MaximumPercent           *int                  `json:"maximumPercent,omitempty"`
	MinimumHealthyPercent    *int                  `json:"minimumHealthyPercent,omitempty"`
	Alarms                   *alarmsConfig         `json:"alarms,omitempty"`
	Strategy                 string                `json:"strategy,omitempty"`
	BakeTimeInMinutes        *int                  `json:"bakeTimeInMinutes,omitempty"`
	LifecycleHooks           []lifecycleHook       `json:"lifecycleHooks,omitempty"`
	LinearConfiguration      *linearConfig         `json:"linearConfiguration,omitempty"`
	CanaryConfiguration      *canaryConfig         `json:"canaryConfiguration,omitempty"`
}

type circuitBreakerConfig struct {
	Enable   bool `json:"enable"`
	Rollback bool `json:"rollback"`
}

type alarmsConfig struct {
	AlarmNames []string `json:"alarmNames"`
	Rollback   bool     `json:"rollback"`
	Enable     bool     `json:"enable"`
}

type lifecycleHook struct {
	TargetType           string          `json:"targetType,omitempty"`
	HookTargetArn        string          `json:"hookTargetArn,omitempty"`
	RoleArn              string          `json:"roleArn,omitempty"`
	LifecycleStages      []string        `json:"lifecycleStages"`
	HookDetails          json.RawMessage `json:"hookDetails,omitempty"`
	TimeoutConfiguration *hookTimeout    `json:"timeoutConfiguration,omitempty"`
}

type hookTimeout struct {
	TimeoutInMinutes int    `json:"timeoutInMinutes,omitempty"`
	Action           string `json:"action,omitempty"`
}

type linearConfig struct {
	StepPercent           awssim.Float `json:"stepPercent,omitempty"`
	StepBakeTimeInMinutes *int         `json:"stepBakeTimeInMinutes,omitempty"`
}

type canaryConfig struct {
	CanaryPercent           awssim.Float `json:"canaryPercent,omitempty"`
	CanaryBakeTimeInMinutes *int         `json:"canaryBakeTimeInMinutes,omitempty"`
}

// advancedConfig is a load balancer's advancedConfiguration: what ECS needs
// to shift traffic itself.
type advancedConfig struct {
	AlternateTargetGroupArn string `json:"alternateTargetGroupArn,omitempty"`
	ProductionListenerRule  string `json:"productionListenerRule,omitempty"`
	TestListenerRule        string `json:"testListenerRule,omitempty"`
	RoleArn                 string `json:"roleArn,omitempty"`
}

// Strategies and the hookable lifecycle stages (the API reference's
// DeploymentLifecycleHook.lifecycleStages: SCALE_UP, BAKE_TIME and CLEAN_UP
// take no hook).
var (
	strategies     = []string{"ROLLING", "BLUE_GREEN", "LINEAR", "CANARY"}
	hookableStages = []string{"RECONCILE_SERVICE", "PRE_SCALE_UP", "POST_SCALE_UP", "TEST_TRAFFIC_SHIFT",
		"POST_TEST_TRAFFIC_SHIFT", "PRODUCTION_TRAFFIC_SHIFT", "POST_PRODUCTION_TRAFFIC_SHIFT"}
)

// withDefaults fills in what ECS reports when a field was not sent:
// maximumPercent 200, minimumHealthyPercent 100, strategy ROLLING, the
// circuit breaker off, and the documented LINEAR (10% every 6 minutes),
// CANARY (5% for 10 minutes) and hook timeout (1440 minutes, ROLLBACK)
// defaults.
func (c deploymentConfig) withDefaults() *deploymentConfig {
	intp := func(n int) *int { return &n }
	if c.MaximumPercent == nil {
		c.MaximumPercent = intp(200)
	}
	if c.MinimumHealthyPercent == nil {
		c.MinimumHealthyPercent = intp(100)
	}
	if c.Strategy == "" {
		c.Strategy = "ROLLING"
	}
	if c.DeploymentCircuitBreaker == nil {
		c.DeploymentCircuitBreaker = &circuitBreakerConfig{}
	}
	if c.Strategy == "LINEAR" {
		l := linearConfig{StepPercent: 10, StepBakeTimeInMinutes: intp(6)}
		if c.LinearConfiguration != nil {
			if c.LinearConfiguration.StepPercent != 0 {
				l.StepPercent = c.LinearConfiguration.StepPercent
			}
			if c.LinearConfiguration.StepBakeTimeInMinutes != nil {
				l.StepBakeTimeInMinutes = c.LinearConfiguration.StepBakeTimeInMinutes
			}
		}
		c.LinearConfiguration = &l
	}
	if c.Strategy == "CANARY" {
		k := canaryConfig{CanaryPercent: 5, CanaryBakeTimeInMinutes: intp(10)}
		if c.CanaryConfiguration != nil {
			if c.CanaryConfiguration.CanaryPercent != 0 {
				k.CanaryPercent = c.CanaryConfiguration.CanaryPercent
			}
			if c.CanaryConfiguration.CanaryBakeTimeInMinutes != nil {
				k.CanaryBakeTimeInMinutes = c.CanaryConfiguration.CanaryBakeTimeInMinutes
			}
		}
		c.CanaryConfiguration = &k
	}
	hooks := make([]lifecycleHook, len(c.LifecycleHooks))
	for i, h := range c.LifecycleHooks {
		if h.TargetType == "" {
			h.TargetType = "AWS_LAMBDA"
		}
		t := hookTimeout{TimeoutInMinutes: 1440, Action: "ROLLBACK"}
		if h.TimeoutConfiguration != nil {
			if h.TimeoutConfiguration.TimeoutInMinutes != 0 {
				t.TimeoutInMinutes = h.TimeoutConfiguration.TimeoutInMinutes
			}
			if h.TimeoutConfiguration.Action != "" {
				t.Action = h.TimeoutConfiguration.Action
			}
		}
		h.TimeoutConfiguration = &t
		hooks[i] = h
	}
	c.LifecycleHooks = hooks
	return &c
}

// bake is the bake time after production traffic has shifted.
func (c *deploymentConfig) bake() time.Duration {
	if c.BakeTimeInMinutes == nil {
		return 0
	}
	return time.Duration(*c.BakeTimeInMinutes) * time.Minute
}

// shiftsTraffic reports whether ECS moves traffic between target groups
// itself (BLUE_GREEN, LINEAR, CANARY).
func (c *deploymentConfig) shiftsTraffic() bool { return c.Strategy != "ROLLING" }

func invalid(format string, args ...any) error {
	return awssim.Errorf("InvalidParameterException", format, args...)
}

// validate checks a service's deployment configuration and load balancers
// for its controller, as ECS does on CreateService and UpdateService.
func validateDeployment(controller string, c *deploymentConfig, lbs []ecsLoadBalancer) error {
	if c == nil {
		return nil
	}
	if c.Strategy != "" && !slices.Contains(strategies, c.Strategy) {
		return invalid("1 validation error detected: Value '%s' at 'deploymentConfiguration.strategy' failed to satisfy constraint: Member must satisfy enum value set: [ROLLING, BLUE_GREEN, LINEAR, CANARY]", c.Strategy)
	}
	if controller != "ECS" && (c.Strategy != "" && c.Strategy != "ROLLING" || len(c.LifecycleHooks) > 0) {
		return invalid("The deployment strategy %s and lifecycle hooks are only supported with the ECS deployment controller.", c.Strategy)
	}
	if c.LinearConfiguration != nil && c.Strategy != "LINEAR" {
		return invalid("linearConfiguration is only valid with the LINEAR deployment strategy.")
	}
	if c.CanaryConfiguration != nil && c.Strategy != "CANARY" {
		return invalid("canaryConfiguration is only valid with the CANARY deployment strategy.")
	}
	if l := c.LinearConfiguration; l != nil && (l.StepPercent != 0 && (l.StepPercent < 3 || l.StepPercent > 100) || l.StepBakeTimeInMinutes != nil && (*l.StepBakeTimeInMinutes < 0 || *l.StepBakeTimeInMinutes > 1440)) {
		return invalid("linearConfiguration: stepPercent must be from 3.0 to 100.0 and stepBakeTimeInMinutes from 0 to 1440.")
	}
	if k := c.CanaryConfiguration; k != nil && (k.CanaryPercent != 0 && (k.CanaryPercent < 0.1 || k.CanaryPercent > 100) || k.CanaryBakeTimeInMinutes != nil && (*k.CanaryBakeTimeInMinutes < 0 || *k.CanaryBakeTimeInMinutes > 1440)) {
		return invalid("canaryConfiguration: canaryPercent must be from 0.1 to 100.0 and canaryBakeTimeInMinutes from 0 to 1440.")
	}
	if c.Strategy == "BLUE_GREEN" && c.BakeTimeInMinutes == nil {
		// The API reference: "You must provide this parameter when you use the BLUE_GREEN deployment strategy."
		return invalid("bakeTimeInMinutes must be provided when you use the BLUE_GREEN deployment strategy.")
	}
	if b := c.BakeTimeInMinutes; b != nil && (*b < 0 || *b > 1440) {
		return invalid("bakeTimeInMinutes must be from 0 to 1440.")
	}
	for i, h := range c.LifecycleHooks {
		if err := validateHook(i, h); err != nil {
			return err
		}
	}
	if c.Strategy == "" || c.Strategy == "ROLLING" {
		return nil
	}
	if len(lbs) == 0 {
		return invalid("The %s deployment strategy requires a load balancer with an advancedConfiguration.", c.Strategy)
	}
	for i, lb := range lbs {
		a := lb.AdvancedConfiguration
		switch {
		case a == nil:
			return invalid("loadBalancers[%d].advancedConfiguration must be provided for the %s deployment strategy.", i, c.Strategy)
		case a.AlternateTargetGroupArn == "":
			return invalid("loadBalancers[%d].advancedConfiguration.alternateTargetGroupArn must be provided.", i)
		case a.AlternateTargetGroupArn == lb.TargetGroupArn:
			return invalid("loadBalancers[%d].advancedConfiguration.alternateTargetGroupArn must differ from targetGroupArn.", i)
		case a.ProductionListenerRule == "":
			return invalid("loadBalancers[%d].advancedConfiguration.productionListenerRule must be provided.", i)
		case a.RoleArn == "":
			return invalid("loadBalancers[%d].advancedConfiguration.roleArn must be provided.", i)
		}
	}
	return nil
}

func validateHook(i int, h lifecycleHook) error {
	switch h.TargetType {
	case "", "AWS_LAMBDA":
		if h.HookTargetArn == "" {
			return invalid("lifecycleHooks[%d]: hookTargetArn must be provided for an AWS_LAMBDA lifecycle hook.", i)
		}
		if h.RoleArn == "" {
			return invalid("lifecycleHooks[%d]: roleArn must be provided for an AWS_LAMBDA lifecycle hook.", i)
		}
	case "PAUSE":
		if h.HookTargetArn != "" {
			return invalid("lifecycleHooks[%d]: hookTargetArn is not applicable for a PAUSE lifecycle hook.", i)
		}
	default:
		return invalid("lifecycleHooks[%d]: targetType must be AWS_LAMBDA or PAUSE.", i)
	}
	if len(h.LifecycleStages) == 0 {
		return invalid("lifecycleHooks[%d]: lifecycleStages must not be empty.", i)
	}
	for _, st := range h.LifecycleStages {
		if !slices.Contains(hookableStages, st) {
			return invalid("lifecycleHooks[%d]: a lifecycle hook cannot run at stage %s.", i, st)
		}
	}
	if t := h.TimeoutConfiguration; t != nil {
		if t.TimeoutInMinutes != 0 && (t.TimeoutInMinutes < 1 || t.TimeoutInMinutes > 20160) {
			return invalid("lifecycleHooks[%d]: timeoutInMinutes must be from 1 to 20160.", i)
		}
		if t.Action != "" && t.Action != "CONTINUE" && t.Action != "ROLLBACK" {
			return invalid("lifecycleHooks[%d]: timeoutConfiguration.action must be CONTINUE or ROLLBACK.", i)
		}
	}
	return nil
}
