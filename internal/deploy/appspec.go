package deploy

import (
	"fmt"

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
