package lambda

import (
	"net/http"
	"regexp"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim"
)

// aliasConfiguration is AliasConfiguration on the wire.
type aliasConfiguration struct {
	AliasArn        string        `json:"AliasArn"`
	Name            string        `json:"Name"`
	FunctionVersion string        `json:"FunctionVersion"`
	Description     string        `json:"Description"`
	RoutingConfig   *aliasRouting `json:"RoutingConfig,omitempty"`
	RevisionID      string        `json:"RevisionId"`
}

type aliasRouting struct {
	AdditionalVersionWeights map[string]float64 `json:"AdditionalVersionWeights"`
}

func (fn *lambdaFunction) aliasConfig(a *lambdaAlias) *aliasConfiguration {
	c := &aliasConfiguration{AliasArn: fn.arn + ":" + a.name, Name: a.name, FunctionVersion: a.version, Description: a.description, RevisionID: a.revisionID}
	if len(a.weights) > 0 {
		c.RoutingConfig = &aliasRouting{AdditionalVersionWeights: a.weights}
	}
	return c
}

// aliasInput is what CreateAlias and UpdateAlias take.
type aliasInput struct {
	FunctionName    string        `json:"FunctionName"`
	Name            string        `json:"Name"`
	FunctionVersion *string       `json:"FunctionVersion"`
	Description     *string       `json:"Description"`
	RoutingConfig   *aliasRouting `json:"RoutingConfig"`
	RevisionID      string        `json:"RevisionId"`
}

var lambdaAliasName = regexp.MustCompile(`^(?:[a-zA-Z0-9-_]*[a-zA-Z-_][a-zA-Z0-9-_]*)$`)

// checkWeights validates an alias's routing configuration for version.
func (fn *lambdaFunction) checkWeights(version string, rc *aliasRouting) error {
	if rc == nil {
		return nil
	}
	if len(rc.AdditionalVersionWeights) > 1 {
		return lambdaInvalid("Number of items in AdditionalVersionWeights cannot be greater than 1")
	}
	for extra, w := range rc.AdditionalVersionWeights {
		if w < 0 || w > 1 {
			return lambdaInvalid("1 validation error detected: Value '%v' at 'routingConfig.additionalVersionWeights' failed to satisfy constraint: Map value must satisfy constraint: [Member must have value less than or equal to 1.0, Member must have value greater than or equal to 0.0]", w)
		}
		if extra == version {
			return lambdaInvalid("Invalid function version %s. Function version %s is already included in routing configuration.", extra, extra)
		}
		if _, err := fn.version(extra); err != nil || extra == "$LATEST" {
			return lambdaInvalid("Invalid function version %s. Function version %s does not exist or is $LATEST.", extra, extra)
		}
	}
	return nil
}

func (s *Service) lambdaCreateAlias(region string, body []byte) (int, any, error) {
	var in aliasInput
	if err := lambdaDecode(body, &in); err != nil {
		return 0, nil, err
	}
	fn, _, err := s.lambdaFunctionOf(in.FunctionName, region)
	if err != nil {
		return 0, nil, err
	}
	if !lambdaAliasName.MatchString(in.Name) || in.Name == "" {
		return 0, nil, lambdaInvalid("The alias name %q is not valid.", in.Name)
	}
	if in.FunctionVersion == nil {
		return 0, nil, lambdaInvalid("1 validation error detected: Value null at 'functionVersion' failed to satisfy constraint: Member must not be null")
	}
	if fn.aliases[in.Name] != nil {
		return 0, nil, lambdaConflict("Alias already exists: %s:%s", fn.arn, in.Name)
	}
	if _, err := fn.version(*in.FunctionVersion); err != nil {
		return 0, nil, err
	}
	if err := fn.checkWeights(*in.FunctionVersion, in.RoutingConfig); err != nil {
		return 0, nil, err
	}
	a := &lambdaAlias{name: in.Name, version: *in.FunctionVersion, revisionID: awssim.RequestID()}
	if in.Description != nil {
		a.description = *in.Description
	}
	if in.RoutingConfig != nil {
		a.weights = in.RoutingConfig.AdditionalVersionWeights
	}
	fn.aliases[a.name] = a
	return http.StatusCreated, fn.aliasConfig(a), nil
}

// lambdaAliasOf finds the alias named by the input's FunctionName and Name.
func (s *Service) lambdaAliasOf(in aliasInput, region string) (*lambdaFunction, *lambdaAlias, error) {
	fn, _, err := s.lambdaFunctionOf(in.FunctionName, region)
	if err != nil {
		return nil, nil, err
	}
	a, ok := fn.aliases[in.Name]
	if !ok {
		return nil, nil, lambdaNotFound("Alias not found: %s:%s", fn.arn, in.Name)
	}
	return fn, a, nil
}

func (s *Service) lambdaGetAlias(region string, body []byte) (int, any, error) {
	var in aliasInput
	if err := lambdaDecode(body, &in); err != nil {
		return 0, nil, err
	}
	fn, a, err := s.lambdaAliasOf(in, region)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, fn.aliasConfig(a), nil
}

func (s *Service) lambdaUpdateAlias(region string, body []byte) (int, any, error) {
	var in aliasInput
	if err := lambdaDecode(body, &in); err != nil {
		return 0, nil, err
	}
	fn, a, err := s.lambdaAliasOf(in, region)
	if err != nil {
		return 0, nil, err
	}
	if err := lambdaCheckRevision(in.RevisionID, a.revisionID); err != nil {
		return 0, nil, err
	}
	version := a.version
	if in.FunctionVersion != nil {
		if _, err := fn.version(*in.FunctionVersion); err != nil {
			return 0, nil, err
		}
		version = *in.FunctionVersion
	}
	weights := a.weights
	if in.RoutingConfig != nil {
		weights = in.RoutingConfig.AdditionalVersionWeights
	}
	if err := fn.checkWeights(version, &aliasRouting{AdditionalVersionWeights: weights}); err != nil {
		return 0, nil, err
	}
	a.version, a.weights, a.revisionID = version, weights, awssim.RequestID()
	if in.Description != nil {
		a.description = *in.Description
	}
	return http.StatusOK, fn.aliasConfig(a), nil
}

func (s *Service) lambdaDeleteAlias(region string, body []byte) (int, any, error) {
	var in aliasInput
	if err := lambdaDecode(body, &in); err != nil {
		return 0, nil, err
	}
	fn, _, err := s.lambdaFunctionOf(in.FunctionName, region)
	if err != nil {
		return 0, nil, err
	}
	delete(fn.aliases, in.Name)
	return http.StatusNoContent, nil, nil
}

// Route points an alias at version with weight (0..100) of its traffic on
// target; weight 100 moves it to target outright.
func (a *lambdaAlias) Route(version, target string, weight float64) {
	switch {
	case weight >= 100:
		a.version, a.weights = target, nil
	case weight <= 0:
		a.version, a.weights = version, nil
	default:
		a.version, a.weights = version, map[string]float64{target: weight / 100}
	}
	a.revisionID = awssim.RequestID()
}
