package lambda

import (
	"fmt"

	"gopkg.in/yaml.v3"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/deploy"
)

// lambdaHooks are the lifecycle events a Lambda AppSpec may name a hook
// function for.
var lambdaHooks = []string{"BeforeAllowTraffic", "AfterAllowTraffic"}

// CheckAppSpec checks a Lambda appspec template (YAML or JSON): version 0.0
// and Hooks naming a Lambda function for BeforeAllowTraffic or
// AfterAllowTraffic. Resources are the action's to write. A problem is a
// *deploy.AppSpecError with the line.
func CheckAppSpec(file string) error {
	_, err := loadHooks(file)
	return err
}

func loadHooks(file string) ([]map[string]string, error) {
	data, err := deploy.ReadTemplate(file)
	if err != nil {
		return nil, err
	}
	return parseHooks(file, data)
}

func parseHooks(file string, data []byte) ([]map[string]string, error) {
	return deploy.Template{
		Sections: "version and Hooks",
		Events:   lambdaHooks,
		Platform: "a Lambda deployment",
		Section: func(key, _ *yaml.Node, fail deploy.FailFunc) error {
			if key.Value == "Resources" {
				return fail(key, "Resources are written by the action (from lambda-function and lambda-alias): keep only version and Hooks")
			}
			return fail(key, "%s is not a section of a Lambda AppSpec (version, Hooks)", key.Value)
		},
	}.Parse(file, data)
}

// appSpec is a Lambda AppSpec, its fields in the documented order.
type appSpec struct {
	Version   string                `yaml:"version"`
	Resources []map[string]resource `yaml:"Resources"`
	Hooks     []map[string]string   `yaml:"Hooks,omitempty"`
}

type resource struct {
	Type       string     `yaml:"Type"`
	Properties properties `yaml:"Properties"`
}

type properties struct {
	Name           string `yaml:"Name"`
	Alias          string `yaml:"Alias"`
	CurrentVersion string `yaml:"CurrentVersion"`
	TargetVersion  string `yaml:"TargetVersion"`
}

// renderAppSpec renders the AppSpec that moves alias of function fn from
// version current to target.
func renderAppSpec(fn, alias, current, target string, hooks []map[string]string) ([]byte, error) {
	spec := appSpec{
		Version: "0.0",
		Resources: []map[string]resource{{fn: {
			Type:       "AWS::Lambda::Function",
			Properties: properties{Name: fn, Alias: alias, CurrentVersion: current, TargetVersion: target},
		}}},
		Hooks: hooks,
	}
	out, err := yaml.Marshal(spec)
	if err != nil {
		return nil, fmt.Errorf("rendering the AppSpec of Lambda function %q: %w", fn, err)
	}
	return out, nil
}
