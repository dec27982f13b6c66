package awssim

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
)

// Policy is an IAM identity-based policy document: the statements the
// sandbox authorizes its user's calls against when one is set.
type Policy struct {
	Statements []Statement
}

// Statement is one statement of a policy: Effect Allow or Deny, on the
// actions and resources listed (IAM's `*` and `?` wildcards; actions match
// without regard to case, resources with).
type Statement struct {
	Effect    string
	Actions   []string
	Resources []string
}

// LoadPolicy reads a policy document from a file.
func LoadPolicy(path string) (*Policy, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	p, err := ParsePolicy(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return p, nil
}

// ParsePolicy parses a JSON policy document: Version, and Statement as one
// statement or a list, with Effect, Action and Resource (a string or a
// list). Elements the sandbox does not evaluate (NotAction, NotResource,
// Condition, Principal) are refused rather than ignored.
func ParsePolicy(data []byte) (*Policy, error) {
	var doc struct {
		Version   string
		Statement json.RawMessage
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("parsing IAM policy: %w", err)
	}
	if doc.Version != "2012-10-17" && doc.Version != "2008-10-17" {
		return nil, fmt.Errorf("parsing IAM policy: Version %q, want 2012-10-17", doc.Version)
	}
	raw, err := oneOrList[map[string]json.RawMessage](doc.Statement)
	if err != nil {
		return nil, fmt.Errorf("parsing IAM policy: Statement must be a statement or a list of them")
	}
	p := &Policy{}
	for i, st := range raw {
		var s Statement
		for key, val := range st {
			var err error
			switch key {
			case "Sid":
			case "Effect":
				err = json.Unmarshal(val, &s.Effect)
			case "Action":
				s.Actions, err = stringOrList(val)
			case "Resource":
				s.Resources, err = stringOrList(val)
			default:
				err = fmt.Errorf("%s is not supported by the sandbox", key)
			}
			if err != nil {
				return nil, fmt.Errorf("parsing IAM policy: statement %d: %s: %w", i, key, err)
			}
		}
		switch {
		case s.Effect != "Allow" && s.Effect != "Deny":
			return nil, fmt.Errorf("parsing IAM policy: statement %d: Effect %q, want Allow or Deny", i, s.Effect)
		case len(s.Actions) == 0 || len(s.Resources) == 0:
			return nil, fmt.Errorf("parsing IAM policy: statement %d needs Action and Resource", i)
		}
		p.Statements = append(p.Statements, s)
	}
	return p, nil
}

func stringOrList(val json.RawMessage) ([]string, error) {
	list, err := oneOrList[string](val)
	if err != nil {
		return nil, fmt.Errorf("want a string or a list of strings")
	}
	return list, nil
}

// oneOrList reads a policy element that is one T or a list of them, as
// IAM's Statement, Action and Resource are.
func oneOrList[T any](val json.RawMessage) ([]T, error) {
	var list []T
	if err := json.Unmarshal(val, &list); err == nil {
		return list, nil
	}
	var one T
	if err := json.Unmarshal(val, &one); err != nil {
		return nil, err
	}
	return []T{one}, nil
}

// Decision is the outcome of evaluating a request against a policy.
type Decision int

const (
	ImplicitDeny Decision = iota // no statement allows it
	Allowed
	ExplicitDeny // a Deny statement matches: it wins over any Allow
)

// Evaluate decides whether the policy allows action (service:Name) on
// resource (an ARN, or `*`), as IAM does: an explicit Deny wins, then an
// Allow, and anything else is denied.
func (p *Policy) Evaluate(action, resource string) Decision {
	d := ImplicitDeny
	for _, st := range p.Statements {
		if !matchAny(st.Actions, action, true) || !matchAny(st.Resources, resource, false) {
			continue
		}
		if st.Effect == "Deny" {
			return ExplicitDeny
		}
		d = Allowed
	}
	return d
}

func matchAny(patterns []string, s string, fold bool) bool {
	for _, p := range patterns {
		if fold {
			p, s = strings.ToLower(p), strings.ToLower(s)
		}
		if wildcardMatch(p, s) {
			return true
		}
	}
	return false
}

// wildcardMatch reports whether s matches pattern, where `*` matches any
// run of characters and `?` any one character.
func wildcardMatch(pattern, s string) bool {
	p, r := []rune(pattern), []rune(s)
	pi, si, star, mark := 0, 0, -1, 0
	for si < len(r) {
		switch {
		case pi < len(p) && (p[pi] == '?' || p[pi] == r[si]):
			pi++
			si++
		case pi < len(p) && p[pi] == '*':
			star, mark = pi, si
			pi++
		case star >= 0:
			pi = star + 1
			mark++
			si = mark
		default:
			return false
		}
	}
	for pi < len(p) && p[pi] == '*' {
		pi++
	}
	return pi == len(p)
}
