package codedeploy

import "github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim"

// cdCreateDeploymentConfig makes a custom deployment configuration: minimum
// healthy hosts for Server, a traffic routing configuration (AllAtOnce,
// TimeBasedCanary or TimeBasedLinear) for ECS and Lambda.
func (s *Service) cdCreateDeploymentConfig(r *awssim.Request) (any, error) {
	var in struct {
		DeploymentConfigName string            `json:"deploymentConfigName"`
		ComputePlatform      string            `json:"computePlatform"`
		MinimumHealthyHosts  *cdMinHealthy     `json:"minimumHealthyHosts"`
		TrafficRoutingConfig *cdTrafficRouting `json:"trafficRoutingConfig"`
	}
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	if in.DeploymentConfigName == "" {
		return nil, awssim.Errorf("DeploymentConfigNameRequiredException", "The deployment configuration name was not specified.")
	}
	if cdBuiltinConfigs[in.DeploymentConfigName] != nil || s.cd.configs[in.DeploymentConfigName] != nil {
		return nil, awssim.Errorf("DeploymentConfigAlreadyExistsException", "A deployment configuration with the name %s already exists.", in.DeploymentConfigName)
	}
	if in.ComputePlatform == "" {
		in.ComputePlatform = "Server"
	}
	switch in.ComputePlatform {
	case "Server":
		mh := in.MinimumHealthyHosts
		if mh == nil || (mh.Type != "HOST_COUNT" && mh.Type != "FLEET_PERCENT") || mh.Value < 0 || (mh.Type == "FLEET_PERCENT" && mh.Value > 99) {
			return nil, awssim.Errorf("InvalidMinimumHealthyHostValueException", "The minimum healthy hosts of a Server configuration must be a HOST_COUNT, or a FLEET_PERCENT from 0 to 99.")
		}
		in.TrafficRoutingConfig = nil
	case "ECS", "Lambda":
		if in.TrafficRoutingConfig == nil {
			in.TrafficRoutingConfig = &cdTrafficRouting{Type: "AllAtOnce"}
		}
		if err := in.TrafficRoutingConfig.check(); err != nil {
			return nil, err
		}
		in.MinimumHealthyHosts = nil
	default:
		return nil, awssim.Errorf("InvalidComputePlatformException", "The compute platform %q is not valid: use Server, ECS or Lambda.", in.ComputePlatform)
	}
	c := &cdConfig{
		DeploymentConfigID: awssim.RequestID(), DeploymentConfigName: in.DeploymentConfigName, ComputePlatform: in.ComputePlatform,
		MinimumHealthyHosts: in.MinimumHealthyHosts, TrafficRoutingConfig: in.TrafficRoutingConfig,
	}
	s.cd.configs[c.DeploymentConfigName] = c
	return map[string]string{"deploymentConfigId": c.DeploymentConfigID}, nil
}

// check validates a traffic routing configuration.
func (tr *cdTrafficRouting) check() error {
	invalid := awssim.Errorf("InvalidTrafficRoutingConfigurationException", "The traffic routing configuration is not valid: %s", "")
	switch tr.Type {
	case "AllAtOnce":
		tr.TimeBasedCanary, tr.TimeBasedLinear = nil, nil
		return nil
	case "TimeBasedCanary":
		if k := tr.TimeBasedCanary; k == nil || k.CanaryPercentage < 1 || k.CanaryPercentage > 99 || k.CanaryInterval < 1 {
			invalid.Message += "TimeBasedCanary needs a canaryPercentage from 1 to 99 and a canaryInterval of at least 1 minute."
			return invalid
		}
		tr.TimeBasedLinear = nil
		return nil
	case "TimeBasedLinear":
		if l := tr.TimeBasedLinear; l == nil || l.LinearPercentage < 1 || l.LinearPercentage > 99 || l.LinearInterval < 1 {
			invalid.Message += "TimeBasedLinear needs a linearPercentage from 1 to 99 and a linearInterval of at least 1 minute."
			return invalid
		}
		tr.TimeBasedCanary = nil
		return nil
	}
	invalid.Message += "the type must be AllAtOnce, TimeBasedCanary or TimeBasedLinear."
	return invalid
}
