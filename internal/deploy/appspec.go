package deploy

import (
	"fmt"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// AppSpecError is a problem in a bundle's appspec.yml, at a line.
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

// failFunc makes an *AppSpecError at node n (nil: the whole file).
type failFunc func(n *yaml.Node, format string, args ...any) error

// failAt returns the failFunc of file.
func failAt(file string) failFunc {
	return func(n *yaml.Node, format string, args ...any) error {
		e := &AppSpecError{File: file, Problem: fmt.Sprintf(format, args...)}
		if n != nil {
			e.Line = n.Line
		}
		return e
	}
}

// serverHooks are the lifecycle events a Server AppSpec may run scripts in.
var serverHooks = map[string]bool{
	"ApplicationStop": true, "BeforeInstall": true, "AfterInstall": true, "ApplicationStart": true,
	"ValidateService": true, "BeforeBlockTraffic": true, "AfterBlockTraffic": true,
	"BeforeAllowTraffic": true, "AfterAllowTraffic": true,
}

// reservedHooks are run by CodeDeploy itself and take no scripts.
var reservedHooks = map[string]bool{"DownloadBundle": true, "Install": true, "BlockTraffic": true, "AllowTraffic": true}

// maxHookTimeout is the longest a hook script may run, in seconds.
const maxHookTimeout = 3600

// CheckAppSpec checks a Server appspec.yml (file names it in errors) against
// the bundle's files: version 0.0, a known os, file sources and hook
// scripts that exist inside the bundle, known hooks, timeouts in range.
func CheckAppSpec(file string, data []byte, files map[string]bool) error {
	fail := failAt(file)
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return fail(nil, "not valid YAML: %v", err)
	}
	if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return fail(nil, "must be a YAML mapping with version, os and hooks")
	}
	top := doc.Content[0]
	if v := mapValue(top, "version"); v == nil || v.Value != "0.0" {
		return fail(orNode(v, top), "version must be 0.0")
	}
	if v := mapValue(top, "os"); v == nil || (v.Value != "linux" && v.Value != "windows") {
		return fail(orNode(v, top), "os must be linux or windows")
	}
	exists := func(name string) bool {
		if name == "" || files[name] {
			return true
		}
		for f := range files {
			if strings.HasPrefix(f, name+"/") {
				return true
			}
		}
		return false
	}
	if fl := mapValue(top, "files"); fl != nil {
		if fl.Kind != yaml.SequenceNode {
			return fail(fl, "files must be a list of source/destination pairs")
		}
		for _, f := range fl.Content {
			src := mapValue(f, "source")
			if src == nil || mapValue(f, "destination") == nil {
				return fail(f, "each files entry needs source and destination")
			}
			name, ok := cleanLocation(src.Value)
			if !ok {
				return fail(src, "source %q leaves the bundle folder", src.Value)
			}
			if !exists(name) {
				return fail(src, "source %q is not in the bundle", src.Value)
			}
		}
	}
	hooks := mapValue(top, "hooks")
	if hooks == nil {
		return nil
	}
	if hooks.Kind != yaml.MappingNode {
		return fail(hooks, "hooks must map lifecycle events to lists of scripts")
	}
	for i := 0; i+1 < len(hooks.Content); i += 2 {
		name, list := hooks.Content[i], hooks.Content[i+1]
		switch {
		case reservedHooks[name.Value]:
			return fail(name, "%s is run by CodeDeploy and takes no scripts", name.Value)
		case !serverHooks[name.Value]:
			return fail(name, "%s is not a lifecycle event of an EC2/on-premises deployment", name.Value)
		case list.Kind != yaml.SequenceNode:
			return fail(list, "%s must be a list of scripts (location, timeout, runas)", name.Value)
		}
		for _, script := range list.Content {
			loc := mapValue(script, "location")
			if loc == nil {
				return fail(script, "a %s script needs a location", name.Value)
			}
			f, ok := cleanLocation(loc.Value)
			if !ok {
				return fail(loc, "script %q leaves the bundle folder", loc.Value)
			}
			if !files[f] {
				return fail(loc, "script %q is not in the bundle", loc.Value)
			}
			if t := mapValue(script, "timeout"); t != nil {
				if n, err := strconv.Atoi(t.Value); err != nil || n < 1 || n > maxHookTimeout {
					return fail(t, "timeout %q must be 1 to %d seconds", t.Value, maxHookTimeout)
				}
			}
		}
	}
	return nil
}

// mapValue returns the value of key in a mapping node, or nil.
func mapValue(m *yaml.Node, key string) *yaml.Node {
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

func orNode(n, fallback *yaml.Node) *yaml.Node {
	if n != nil {
		return n
	}
	return fallback
}
