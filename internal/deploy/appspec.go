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

// TemplateMapping parses an appspec template (YAML or JSON) and returns its
// top-level mapping, which should hold sections (e.g. "version and Hooks").
func TemplateMapping(file string, data []byte, sections string) (*yaml.Node, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, FailAt(file)(nil, "not valid YAML: %v", err)
	}
	if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, FailAt(file)(nil, "must be a YAML mapping with %s", sections)
	}
	return doc.Content[0], nil
}

// TemplateHooks reads a template's Hooks list: each entry names a Lambda
// function for one of events, the lifecycle events of a platform's
// deployment (e.g. "an ECS deployment").
func TemplateHooks(list *yaml.Node, events []string, platform string, fail FailFunc) ([]map[string]string, error) {
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
