package config

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/moby/moby/client"
)

// reader reads inputs with their defaults and collects problems.
type reader struct {
	getenv    func(string) string
	inActions bool // under the runner: only InputKey's spelling is read
	// over, when set, gives an input's value ahead of getenv: a targets
	// entry's own values, and the step's it does not inherit (ok true).
	over func(name string) (v string, ok bool)
	errs []error
}

var defaults = func() map[string]string {
	m := make(map[string]string, len(Inputs))
	for _, in := range Inputs {
		m[in.Name] = in.Default
	}
	return m
}()

// str returns an input as the runner passes it (INPUT_<NAME>, upper case,
// hyphens kept) or, outside the runner, as a shell lets people type it
// (UnderscoreKey), trimmed, or its default when unset.
func (r *reader) str(name string) string {
	def, ok := defaults[name]
	if !ok {
		panic("config: undeclared input " + name)
	}
	if v := r.given(name); v != "" {
		return v
	}
	return def
}

// given returns an input's value as set, trimmed, or "" when it is not
// set (and its default applies).
func (r *reader) given(name string) string {
	if r.over != nil {
		if v, ok := r.over(name); ok {
			return strings.TrimSpace(v)
		}
	}
	if v := strings.TrimSpace(r.getenv(InputKey(name))); v != "" {
		return v
	}
	if !r.inActions {
		return strings.TrimSpace(r.getenv(UnderscoreKey(name)))
	}
	return ""
}

func (r *reader) fail(input, format string, args ...any) {
	r.errs = append(r.errs, &InputError{Input: input, Problem: fmt.Sprintf(format, args...)})
}

// boolean accepts what @actions/core's getBooleanInput accepts.
func (r *reader) boolean(name string) bool {
	switch v := r.str(name); v {
	case "true", "True", "TRUE":
		return true
	case "false", "False", "FALSE":
		return false
	default:
		r.fail(name, "%q is not a boolean (true or false)", v)
		return false
	}
}

// wait reads input "wait": true, false (as boolean reads them) or
// traffic-shifted, which waits too.
func (r *reader) wait() (wait, untilTraffic bool) {
	switch v := r.str("wait"); v {
	case "traffic-shifted":
		return true, true
	case "true", "True", "TRUE":
		return true, false
	case "false", "False", "FALSE":
		return false, false
	default:
		r.fail("wait", "%q is not true, false or traffic-shifted", v)
		return false, false
	}
}

func (r *reader) enum(name string, allowed ...string) string {
	v := r.str(name)
	for _, a := range allowed {
		if v == a {
			return v
		}
	}
	r.fail(name, "%q is not one of %s", v, strings.Join(allowed, ", "))
	return allowed[0]
}

func (r *reader) intRange(name string, lo, hi int) int {
	v := r.str(name)
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		r.fail(name, "%q is not a whole number from %d to %d", v, lo, hi)
		return lo
	}
	return n
}

func (r *reader) port(name string) int {
	if r.str(name) == "" {
		return 0
	}
	return r.intRange(name, 1, 65535)
}

// duration accepts Go durations (90s, 30m, 1h30m) up to 48 hours.
func (r *reader) duration(name string) time.Duration {
	v := r.str(name)
	if v == "" {
		return 0
	}
	d, err := time.ParseDuration(v)
	switch {
	case err != nil:
		r.fail(name, "%q is not a duration (e.g. 30m or 1h30m)", v)
	case d <= 0 || d > 48*time.Hour:
		r.fail(name, "%q must be more than 0 and at most 48h", v)
	}
	return d
}

func (r *reader) keyValues(name string) []KeyValue {
	kvs, err := ParseKeyValues(r.str(name))
	if err != nil {
		r.fail(name, "%v", err)
	}
	return kvs
}

// path resolves an input path against the workspace, refuses one that leaves
// it, and requires it to exist (a directory when dir is set, else a file).
func (r *reader) path(name, workspace string, dir bool) string {
	v := r.str(name)
	p := v
	if !filepath.IsAbs(p) {
		p = filepath.Join(workspace, p)
	}
	p = filepath.Clean(p)
	rel, err := filepath.Rel(workspace, p)
	if err != nil || rel == ".." || strings.HasPrefix(rel, "../") {
		r.fail(name, "%q is outside the workspace %s", v, workspace)
		return ""
	}
	if real, err := filepath.EvalSymlinks(p); err == nil {
		if rel, err := filepath.Rel(workspace, real); err != nil || rel == ".." || strings.HasPrefix(rel, "../") {
			r.fail(name, "%q leads outside the workspace %s through a symbolic link", v, workspace)
			return ""
		}
	}
	fi, err := os.Stat(p)
	switch {
	case err != nil:
		r.fail(name, "%q does not exist in the workspace", v)
	case dir && !fi.IsDir():
		r.fail(name, "%q is not a directory", v)
	case !dir && fi.IsDir():
		r.fail(name, "%q is a directory, not a file", v)
	}
	return p
}

func (r *reader) optionalPath(name, workspace string, dir bool) string {
	if r.str(name) == "" {
		return ""
	}
	return r.path(name, workspace, dir)
}

// github reads the run's context from the GITHUB_* variables.
func (r *reader) github() GitHub {
	g := GitHub{
		Workspace:  r.getenv("GITHUB_WORKSPACE"),
		Repository: r.getenv("GITHUB_REPOSITORY"),
		SHA:        r.getenv("GITHUB_SHA"),
		Ref:        r.getenv("GITHUB_REF"),
		ServerURL:  firstNonEmpty(r.getenv("GITHUB_SERVER_URL"), "https://github.com"),
		APIURL:     firstNonEmpty(r.getenv("GITHUB_API_URL"), "https://api.github.com"),
		RunID:      r.getenv("GITHUB_RUN_ID"),
		RunAttempt: r.getenv("GITHUB_RUN_ATTEMPT"),
		Actor:      r.getenv("GITHUB_ACTOR"),
		EventName:  r.getenv("GITHUB_EVENT_NAME"),
		EventPath:  r.getenv("GITHUB_EVENT_PATH"),
		InActions:  r.getenv("GITHUB_ACTIONS") == "true",
		InAct:      r.getenv("ACT") == "true",
	}
	if g.Workspace == "" {
		g.Workspace, _ = os.Getwd()
	}
	if abs, err := filepath.Abs(g.Workspace); err == nil {
		g.Workspace = abs
	}
	if real, err := filepath.EvalSymlinks(g.Workspace); err == nil {
		g.Workspace = real
	}
	return g
}

// dockerHost reads DOCKER_HOST, the Docker engine's address ("" for the
// default socket).
func (r *reader) dockerHost() string {
	host := r.getenv("DOCKER_HOST")
	if host == "" {
		return ""
	}
	if _, err := client.ParseHostURL(host); err != nil {
		r.errs = append(r.errs, fmt.Errorf("DOCKER_HOST %q is not a Docker engine address (e.g. unix:///var/run/docker.sock): %w", host, err))
	}
	return host
}
