package secrets

import (
	"fmt"
	"strings"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/config"
)

// unsafeNames are variables that, written to GITHUB_ENV, change what later
// steps run or where they look, rather than handing them a value. The runner
// itself refuses only NODE_OPTIONS (actions/runner#2775, case-insensitively);
// the others are honoured by the loader, the shells or the language runtimes
// of every later step, so a secret named after one would hijack them.
var unsafeNames = map[string]string{
	"PATH":              "the command search path of every later step",
	"NODE_OPTIONS":      "refused by the runner: node (every JavaScript action) loads --require modules from it",
	"NODE_PATH":         "where node resolves modules",
	"BASH_ENV":          "a file every non-interactive bash (each run: step) sources first",
	"ENV":               "a file sh and bash in POSIX mode source at start",
	"SHELLOPTS":         "shell options bash applies at start",
	"BASHOPTS":          "shell options bash applies at start",
	"PS4":               "bash expands it, command substitutions included, under set -x",
	"IFS":               "how every shell splits words",
	"HOME":              "where git, docker, npm and the AWS CLI find their configuration and credentials",
	"PYTHONPATH":        "where python imports modules from",
	"PYTHONHOME":        "where python finds its standard library",
	"PYTHONSTARTUP":     "a file python runs at start",
	"PERL5OPT":          "options (e.g. -M modules) perl applies at start",
	"PERL5LIB":          "where perl loads modules from",
	"RUBYOPT":           "options (e.g. -r libraries) ruby applies at start",
	"RUBYLIB":           "where ruby loads libraries from",
	"JAVA_TOOL_OPTIONS": "options (e.g. -javaagent) every JVM applies",
	"_JAVA_OPTIONS":     "options every JVM applies",
	"JDK_JAVA_OPTIONS":  "options the java launcher applies",
	"GIT_SSH_COMMAND":   "a command git runs to connect",
	"GIT_ASKPASS":       "a program git runs for credentials",
	"GIT_EXEC_PATH":     "where git finds its subcommands",
	"GIT_CONFIG_GLOBAL": "the git configuration file (aliases, hooks, credential helpers)",
	"DOCKER_HOST":       "which engine later docker commands talk to",
	"DOCKER_CONFIG":     "where docker finds its registry credentials",
}

// unsafePrefixes are families of such variables.
var unsafePrefixes = map[string]string{
	"LD_":      "the dynamic loader's (LD_PRELOAD, LD_LIBRARY_PATH, LD_AUDIT load code into every process)",
	"DYLD_":    "the macOS dynamic loader's (DYLD_INSERT_LIBRARIES loads code into every process)",
	"GITHUB_":  "the runner's context and file commands (GITHUB_ENV, GITHUB_OUTPUT, GITHUB_PATH, GITHUB_TOKEN)",
	"RUNNER_":  "the runner's (RUNNER_TEMP, RUNNER_TOOL_CACHE: where setup actions install tools)",
	"ACTIONS_": "the runner's service endpoints and tokens (ACTIONS_ID_TOKEN_REQUEST_URL, ACTIONS_RUNTIME_TOKEN)",
	"INPUT_":   "how actions read their inputs",
	"STATE_":   "how actions read their saved state",
}

// unsafeEnv says why name must not be exported, or "" when it may be. The
// match ignores case: Windows runners' variable names do.
func unsafeEnv(name string) string {
	up := strings.ToUpper(name)
	if why, ok := unsafeNames[up]; ok {
		return why
	}
	for p, why := range unsafePrefixes {
		if strings.HasPrefix(up, p) {
			return why
		}
	}
	return ""
}

// unsafeError refuses to export name, which src (a secret, or a secret's
// JSON key) would set.
func unsafeError(src, name, why string) error {
	return &config.InputError{Input: "secrets", Problem: fmt.Sprintf(
		"%s would set %s for later steps (%s): give it an alias", src, name, why)}
}

// checkUnsafe refuses, with export-secrets on, a line of the secrets input
// whose every env name is unsafe, as far as the input alone decides: a
// plain name or an alias (and, when JSON objects are flattened or a prefix
// appends the rest of a name, every name that starts with it).
func checkUnsafe(in config.Secrets) []error {
	if !in.Export {
		return nil
	}
	var errs []error
	for i, spec := range in.Specs {
		if spec.Alias == "" && (spec.Prefix || strings.HasPrefix(spec.ID, "arn:")) {
			continue // the name comes from Secrets Manager
		}
		base := baseName(spec, spec.ID)
		why := unsafeEnv(base)
		if why == "" || (in.ParseJSON || spec.Prefix) && unsafeEnv(base+"_") == "" {
			continue
		}
		id := spec.ID
		if spec.Prefix {
			id += "*"
		}
		errs = append(errs, unsafeError(fmt.Sprintf("line %d: secret %q", i+1, id), base, why))
	}
	return errs
}
