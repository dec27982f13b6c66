package lambda

import (
	"fmt"
	"os"
	"slices"

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
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("reading appspec: %w", err)
	}
	return parseHooks(file, data)
}

func parseHooks(file string, data []byte) ([]map[string]string, error) {
	fail := deploy.FailAt(file)
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fail(nil, "not valid YAML: %v", err)
	}
	if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, fail(nil, "must be a YAML mapping with version and Hooks")
	}
	top := doc.Content[0]
	var hooks []map[string]string
	for i := 0; i+1 < len(top.Content); i += 2 {
		key, val := top.Content[i], top.Content[i+1]
		switch key.Value {
		case "version":
			if val.Value != "0.0" {
				return nil, fail(val, "version must be 0.0")
			}
		case "Hooks":
			if val.Kind != yaml.SequenceNode {
				return nil, fail(val, "Hooks must be a list of lifecycle event: Lambda function entries")
			}
			for _, h := range val.Content {
				if h.Kind != yaml.MappingNode || len(h.Content) != 2 {
					return nil, fail(h, "each Hooks entry must be one lifecycle event: Lambda function")
				}
				event, fn := h.Content[0], h.Content[1]
				switch {
				case !slices.Contains(lambdaHooks, event.Value):
					return nil, fail(event, "%s is not a hook of a Lambda deployment (%v)", event.Value, lambdaHooks)
				case fn.Kind != yaml.ScalarNode || fn.Value == "":
					return nil, fail(fn, "%s must name a Lambda function", event.Value)
				}
				hooks = append(hooks, map[string]string{event.Value: fn.Value})
			}
		case "Resources":
			return nil, fail(key, "Resources are written by the action (from lambda-function and lambda-alias): keep only version and Hooks")
		default:
			return nil, fail(key, "%s is not a section of a Lambda AppSpec (version, Hooks)", key.Value)
		}
	}
	return hooks, nil
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
