package cloudformation

import (
	"encoding/json"
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"
)

// template is a parsed CloudFormation template: JSON or YAML, with YAML's
// short-form tags turned into their long forms (!Ref x -> {Ref: x},
// !GetAtt a.b -> {Fn::GetAtt: [a, b]}, !Sub s -> {Fn::Sub: s}, ...).
type template struct {
	Description string
	Parameters  map[string]param
	Conditions  map[string]any
	Resources   map[string]resource
	Outputs     map[string]output
}

// param is a template parameter.
type param struct {
	Type           string
	Default        any
	AllowedValues  []any
	AllowedPattern string
	NoEcho         any
	Description    string
}

// resource is a template resource.
type resource struct {
	Type       string
	Condition  string
	DependsOn  any
	Properties map[string]any
}

// output is a template output.
type output struct {
	Value       any
	Condition   string
	Description string
}

// parseTemplate reads a template body, reporting errors as CloudFormation's
// "Template format error".
func parseTemplate(body string) (*template, error) {
	var root yaml.Node
	if err := yaml.Unmarshal([]byte(body), &root); err != nil {
		return nil, templateErrorf("Template format error: YAML not well-formed. %v", err)
	}
	v, err := longForm(&root)
	if err != nil {
		return nil, templateErrorf("Template format error: %v", err)
	}
	data, err := json.Marshal(v)
	if err != nil {
		return nil, templateErrorf("Template format error: %v", err)
	}
	var t template
	if err := json.Unmarshal(data, &t); err != nil {
		return nil, templateErrorf("Template format error: %v", err)
	}
	if len(t.Resources) == 0 {
		return nil, templateErrorf("Template format error: At least one Resources member must be defined.")
	}
	for name, r := range t.Resources {
		if r.Type == "" {
			return nil, templateErrorf("Template format error: [/Resources/%s] Every Resources object must contain a Type member.", name)
		}
	}
	return &t, nil
}

// shortForms maps YAML tags to their long-form function names.
var shortForms = map[string]string{
	"!Ref": "Ref", "!Condition": "Condition", "!GetAtt": "Fn::GetAtt", "!Sub": "Fn::Sub",
	"!Join": "Fn::Join", "!If": "Fn::If", "!Select": "Fn::Select", "!GetAZs": "Fn::GetAZs",
	"!Equals": "Fn::Equals", "!Not": "Fn::Not", "!And": "Fn::And", "!Or": "Fn::Or",
	"!Base64": "Fn::Base64", "!Split": "Fn::Split", "!FindInMap": "Fn::FindInMap",
	"!ImportValue": "Fn::ImportValue", "!Cidr": "Fn::Cidr",
}

// longForm turns a YAML node into plain values (maps, lists, strings,
// numbers, booleans) with short-form tags expanded.
func longForm(n *yaml.Node) (any, error) {
	var v any
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return nil, nil
		}
		return longForm(n.Content[0])
	case yaml.AliasNode:
		return longForm(n.Alias)
	case yaml.MappingNode:
		m := map[string]any{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			val, err := longForm(n.Content[i+1])
			if err != nil {
				return nil, err
			}
			m[n.Content[i].Value] = val
		}
		v = m
	case yaml.SequenceNode:
		l := []any{}
		for _, c := range n.Content {
			val, err := longForm(c)
			if err != nil {
				return nil, err
			}
			l = append(l, val)
		}
		v = l
	case yaml.ScalarNode:
		if strings.HasPrefix(n.Tag, "!!") || n.Tag == "" {
			if err := n.Decode(&v); err != nil {
				return nil, err
			}
			return v, nil
		}
		v = n.Value
	}
	if !strings.HasPrefix(n.Tag, "!") || strings.HasPrefix(n.Tag, "!!") {
		return v, nil
	}
	fn, ok := shortForms[n.Tag]
	if !ok {
		return nil, templateErrorf("unknown tag %s", n.Tag)
	}
	if s, isStr := v.(string); isStr && fn == "Fn::GetAtt" {
		res, attr, _ := strings.Cut(s, ".")
		v = []any{res, attr}
	}
	return map[string]any{fn: v}, nil
}

// templateError is an error in CloudFormation's own words (they begin with
// a capital and may end with a period), answered as a ValidationError.
type templateError string

func (e templateError) Error() string { return string(e) }

func templateErrorf(format string, args ...any) error {
	return templateError(fmt.Sprintf(format, args...))
}
