package secrets

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/config"
)

// EnvName turns s into an environment variable name: upper case, every
// character outside [A-Z0-9_] replaced by "_", and "_" before a leading digit.
func EnvName(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 1)
	if s != "" && s[0] >= '0' && s[0] <= '9' {
		b.WriteByte('_')
	}
	for _, r := range strings.ToUpper(s) {
		if r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	return b.String()
}

// nameSeparators are the characters a prefix's remainder is trimmed of, so
// that "app/prod/*" and "app/prod*" both turn "app/prod/DB_URL" into DB_URL.
const nameSeparators = "/_+=.@-"

// baseName is the env name of the secret called name, fetched for spec: the
// alias, else the name; for a prefix match, the alias (if any) and the rest
// of the name after the prefix.
func baseName(spec config.SecretSpec, name string) string {
	if !spec.Prefix {
		if spec.Alias != "" {
			return EnvName(spec.Alias)
		}
		return EnvName(name)
	}
	rest := strings.TrimLeft(strings.TrimPrefix(name, spec.ID), nameSeparators)
	switch {
	case spec.Alias == "" && rest == "":
		return EnvName(name)
	case spec.Alias == "":
		return EnvName(rest)
	case rest == "":
		return EnvName(spec.Alias)
	}
	return EnvName(spec.Alias + "_" + rest)
}

// leaf is one value of a flattened JSON object.
type leaf struct {
	path  []string // keys from the top-level object down
	value string
}

// errNotObject says a value is not a JSON object and is kept whole.
var errNotObject = errors.New("not a JSON object")

// maxDepth bounds how deep objects are flattened: each level is parsed
// again, and 32 keys make an env name nobody could use.
const maxDepth = 32

var errTooDeep = fmt.Errorf("its JSON objects nest more than %d deep", maxDepth)

// flatten returns the leaves of the JSON object in s, sorted by key path.
// Strings are unquoted; numbers, booleans, null and arrays keep their JSON
// text; an empty object has no leaves; objects nested more than maxDepth
// deep are an error. A value that does not start with "{"
// returns errNotObject; one that does but does not parse returns an error
// that gives the position only, never the value's text.
func flatten(s string) ([]leaf, error) {
	if !strings.HasPrefix(strings.TrimSpace(s), "{") {
		return nil, errNotObject
	}
	var leaves []leaf
	if err := flattenInto(&leaves, nil, json.RawMessage(s)); err != nil {
		var syn *json.SyntaxError
		switch {
		case errors.Is(err, errTooDeep):
			return nil, err
		case errors.As(err, &syn):
			return nil, fmt.Errorf("the value starts with \"{\" but is not valid JSON (syntax error at byte %d)", syn.Offset)
		}
		return nil, errors.New("the value starts with \"{\" but is not valid JSON")
	}
	return leaves, nil
}

func flattenInto(leaves *[]leaf, path []string, raw json.RawMessage) error {
	if len(path) >= maxDepth {
		return errTooDeep
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil {
		return err
	}
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		v := obj[k]
		p := append(slices.Clip(path), k)
		switch v[0] {
		case '{':
			if err := flattenInto(leaves, p, v); err != nil {
				return err
			}
		case '"':
			var str string
			if err := json.Unmarshal(v, &str); err != nil {
				return err
			}
			*leaves = append(*leaves, leaf{path: p, value: str})
		default:
			*leaves = append(*leaves, leaf{path: p, value: string(v)})
		}
	}
	return nil
}

// binaryValue is how a SecretBinary value is exported: as text when it is
// UTF-8 without NUL bytes (a PEM file stored as binary), else base64.
func binaryValue(b []byte) string {
	if utf8.Valid(b) && !slices.Contains(b, 0) {
		return string(b)
	}
	return base64Std(b)
}

// Check finds, before any AWS call, lines of the secrets input that would
// export an unsafe env name, and two lines that must map to one env name:
// with parse-json-secrets off, an alias or a plain secret name decides the
// name alone. (Other unsafe names and collisions show once the values are
// fetched.)
func Check(in config.Secrets) error {
	errs := checkUnsafe(in)
	if in.ParseJSON {
		return errors.Join(errs...)
	}
	first := map[string]int{} // env name -> index of the first spec
	for i, spec := range in.Specs {
		if spec.Prefix || spec.Alias == "" && strings.HasPrefix(spec.ID, "arn:") {
			continue
		}
		name := baseName(spec, spec.ID)
		j, ok := first[name]
		switch {
		case !ok:
			first[name] = i
		case in.Specs[j].ID != spec.ID:
			errs = append(errs, &config.InputError{Input: "secrets", Problem: fmt.Sprintf(
				"lines %d and %d both map to env name %s: give one of them another alias", j+1, i+1, name)})
		}
	}
	return errors.Join(errs...)
}
