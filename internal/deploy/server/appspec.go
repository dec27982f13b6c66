package server

import (
	"path"
	"strconv"
	"strings"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/deploy"
	"gopkg.in/yaml.v3"
)

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
	fail := deploy.FailAt(file)
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return fail(nil, "not valid YAML: %v", err)
	}
	if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return fail(nil, "must be a YAML mapping with version, os and hooks")
	}
	top := doc.Content[0]
	if v := deploy.MapValue(top, "version"); v == nil || v.Value != "0.0" {
		return fail(deploy.OrNode(v, top), "version must be 0.0")
	}
	if v := deploy.MapValue(top, "os"); v == nil || (v.Value != "linux" && v.Value != "windows") {
		return fail(deploy.OrNode(v, top), "os must be linux or windows")
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
	if fl := deploy.MapValue(top, "files"); fl != nil {
		if fl.Kind != yaml.SequenceNode {
			return fail(fl, "files must be a list of source/destination pairs")
		}
		for _, f := range fl.Content {
			src := deploy.MapValue(f, "source")
			if src == nil || deploy.MapValue(f, "destination") == nil {
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
	hooks := deploy.MapValue(top, "hooks")
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
			loc := deploy.MapValue(script, "location")
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
			if t := deploy.MapValue(script, "timeout"); t != nil {
				if n, err := strconv.Atoi(t.Value); err != nil || n < 1 || n > maxHookTimeout {
					return fail(t, "timeout %q must be 1 to %d seconds", t.Value, maxHookTimeout)
				}
			}
		}
	}
	return nil
}

// cleanLocation turns an AppSpec path into a bundle file name ("" for the
// root), and reports false when it leaves the bundle.
func cleanLocation(p string) (string, bool) {
	p = strings.TrimSpace(p)
	for _, part := range strings.Split(p, "/") {
		if part == ".." {
			return "", false
		}
	}
	return strings.TrimPrefix(path.Clean("/"+p), "/"), true
}
