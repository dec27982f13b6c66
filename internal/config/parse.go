package config

import (
	"fmt"
	"regexp"
	"strings"
)

// Lines splits a multi-line input into its non-empty lines, trimmed.
func Lines(s string) []string {
	var out []string
	for line := range strings.Lines(s) {
		if line = strings.TrimSpace(line); line != "" {
			out = append(out, line)
		}
	}
	return out
}

// KeyValue is one KEY=VALUE line of an input.
type KeyValue struct {
	Key, Value string
}

var keyPattern = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_.\-]*$`)

// ParseKeyValues parses one KEY=VALUE per line. The value may contain "="
// and is kept as written after the first "="; keys must be unique.
func ParseKeyValues(s string) ([]KeyValue, error) {
	var out []KeyValue
	seen := map[string]bool{}
	for i, line := range Lines(s) {
		key, value, ok := strings.Cut(line, "=")
		key = strings.TrimSpace(key)
		switch {
		case !ok:
			return nil, fmt.Errorf("line %d: %q is not KEY=VALUE", i+1, line)
		case !keyPattern.MatchString(key):
			return nil, fmt.Errorf("line %d: %q is not a valid key (letters, digits, '_', '.', '-'; not starting with a digit)", i+1, key)
		case seen[key]:
			return nil, fmt.Errorf("line %d: key %q is given twice", i+1, key)
		}
		seen[key] = true
		out = append(out, KeyValue{Key: key, Value: value})
	}
	return out, nil
}

// SecretSpec is one line of the secrets input: a secret id or ARN, a name
// prefix ending in "*", either with an optional alias.
type SecretSpec struct {
	Alias  string // env name prefix chosen by the user; empty: derived from the id
	ID     string // name or ARN; for a prefix, the prefix without "*"
	Prefix bool
}

var (
	secretNamePattern = regexp.MustCompile(`^[A-Za-z0-9/_+=.@\-]{1,512}$`)
	secretARNPattern  = regexp.MustCompile(`^arn:aws[a-z\-]*:secretsmanager:[a-z0-9\-]+:\d{12}:secret:[A-Za-z0-9/_+=.@\-]{1,512}$`)
	aliasPattern      = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
)

// ParseSecretSpec parses `secret-id`, `ALIAS,secret-id` or `prefix*` (at
// least three characters before the star).
func ParseSecretSpec(line string) (SecretSpec, error) {
	var spec SecretSpec
	id := strings.TrimSpace(line)
	if alias, rest, ok := strings.Cut(id, ","); ok {
		spec.Alias, id = strings.TrimSpace(alias), strings.TrimSpace(rest)
		if !aliasPattern.MatchString(spec.Alias) {
			return SecretSpec{}, fmt.Errorf("%q: alias %q must be letters, digits and '_', not starting with a digit", line, spec.Alias)
		}
	}
	if before, ok := strings.CutSuffix(id, "*"); ok {
		if strings.HasPrefix(before, "arn:") {
			return SecretSpec{}, fmt.Errorf("%q: a prefix match takes a secret name, not an ARN", line)
		}
		if len(before) < 3 {
			return SecretSpec{}, fmt.Errorf("%q: a prefix needs at least 3 characters before '*'", line)
		}
		spec.Prefix, id = true, before
	}
	switch {
	case id == "":
		return SecretSpec{}, fmt.Errorf("%q: no secret id", line)
	case strings.Contains(id, "*"):
		return SecretSpec{}, fmt.Errorf("%q: '*' is allowed only at the end, for a prefix", line)
	case strings.HasPrefix(id, "arn:"):
		if !secretARNPattern.MatchString(id) {
			return SecretSpec{}, fmt.Errorf("%q: not a Secrets Manager secret ARN (arn:aws:secretsmanager:<region>:<account>:secret:<name>)", line)
		}
	case !secretNamePattern.MatchString(id):
		return SecretSpec{}, fmt.Errorf("%q: a secret name has 1-512 letters, digits and /_+=.@-", line)
	}
	spec.ID = id
	return spec, nil
}

// Region returns the region named in an ARN id, or "".
func (s SecretSpec) Region() string {
	parts := strings.SplitN(s.ID, ":", 6)
	if len(parts) < 6 || parts[0] != "arn" {
		return ""
	}
	return parts[3]
}
