package deploy

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
	"gopkg.in/yaml.v3"
)

// AppSpecError is a problem in an AppSpec file (a Server bundle's
// appspec.yml or an ECS appspec template), at a line.
type AppSpecError struct {
	File    string
	Line    int // 0: the whole file
	Problem string
}

func (e *AppSpecError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Problem)
	}
	return fmt.Sprintf("%s: %s", e.File, e.Problem)
}

// Location is the file and line to blame.
func (e *AppSpecError) Location() (string, int) { return e.File, e.Line }

// FailFunc makes an *AppSpecError at node n (nil: the whole file).
type FailFunc func(n *yaml.Node, format string, args ...any) error

// FailAt returns the FailFunc of file.
func FailAt(file string) FailFunc {
	return func(n *yaml.Node, format string, args ...any) error {
		e := &AppSpecError{File: file, Problem: fmt.Sprintf(format, args...)}
		if n != nil {
			e.Line = n.Line
		}
		return e
	}
}

// MapValue returns the value of key in a mapping node, or nil.
func MapValue(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

// OrNode is n, or fallback when n is nil: the node to blame.
func OrNode(n, fallback *yaml.Node) *yaml.Node {
	if n != nil {
		return n
	}
	return fallback
}

// AppSpecRevision is the revision whose AppSpec (ECS or Lambda) is content
// itself, named by its sha256.
func AppSpecRevision(content []byte) Revision {
	sum := sha256.Sum256(content)
	hexSum := hex.EncodeToString(sum[:])
	return Revision{
		Where: "sha256:" + hexSum,
		Location: types.RevisionLocation{
			RevisionType: types.RevisionLocationTypeAppSpecContent,
			AppSpecContent: &types.AppSpecContent{
				Content: aws.String(string(content)),
				Sha256:  aws.String(hexSum),
			},
		},
	}
}

// ReadTemplate reads an appspec template file.
func ReadTemplate(file string) ([]byte, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("reading appspec: %w", err)
	}
	return data, nil
}

// Template is how a platform's appspec template (YAML or JSON) is read:
// version 0.0, Hooks naming a Lambda function for one of Events, and other
// sections handed to Section.
type Template struct {
	Sections string   // what the top-level mapping holds, e.g. "version and Hooks"
	Events   []string // the lifecycle events Hooks may name
	Platform string   // whose events they are, e.g. "a Lambda deployment"
	Section  func(key, val *yaml.Node, fail FailFunc) error
}

// Parse reads the template file holds (data) and returns its hooks.
func (t Template) Parse(file string, data []byte) ([]map[string]string, error) {
	fail := FailAt(file)
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fail(nil, "not valid YAML: %v", err)
	}
	if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, fail(nil, "must be a YAML mapping with %s", t.Sections)
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
			h, err := templateHooks(val, t.Events, t.Platform, fail)
			if err != nil {
				return nil, err
			}
			hooks = append(hooks, h...)
		default:
			if err := t.Section(key, val, fail); err != nil {
				return nil, err
			}
		}
	}
	return hooks, nil
}

// templateHooks reads a template's Hooks list: each entry names a Lambda
// function for one of events, the lifecycle events of platform.
func templateHooks(list *yaml.Node, events []string, platform string, fail FailFunc) ([]map[string]string, error) {
	if list.Kind != yaml.SequenceNode {
		return nil, fail(list, "Hooks must be a list of lifecycle event: Lambda function entries")
	}
	var hooks []map[string]string
	for _, h := range list.Content {
		if h.Kind != yaml.MappingNode || len(h.Content) != 2 {
			return nil, fail(h, "each Hooks entry must be one lifecycle event: Lambda function")
		}
		event, fn := h.Content[0], h.Content[1]
		switch {
		case !slices.Contains(events, event.Value):
			return nil, fail(event, "%s is not a hook of %s (%v)", event.Value, platform, events)
		case fn.Kind != yaml.ScalarNode || fn.Value == "":
			return nil, fail(fn, "%s must name a Lambda function", event.Value)
		}
		hooks = append(hooks, map[string]string{event.Value: fn.Value})
	}
	return hooks, nil
}
