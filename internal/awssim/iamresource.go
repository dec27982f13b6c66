package awssim

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// ResourcePolicy is a resource-based policy, such as an ECR repository
// policy: statements that name who (Principal) may perform which actions on
// the resource they are attached to.
type ResourcePolicy struct {
	Statements []ResourceStatement
}

// ResourceStatement is one statement of a resource-based policy.
type ResourceStatement struct {
	Effect    string
	Principal any // "*" or {"AWS"|"Service": a string or a list}
	Action    any
	Condition map[string]map[string]any
}

// ParseResourcePolicy reads a resource-based policy document: Version,
// and Statement as one statement or a list, each with Effect, Principal and
// Action (Sid and Resource are read past); a statement with NotAction,
// NotPrincipal or NotResource is refused rather than misread.
func ParseResourcePolicy(data []byte) (*ResourcePolicy, error) {
	var doc struct {
		Version   string
		Statement json.RawMessage
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("parsing policy: %w", err)
	}
	if doc.Version != "2012-10-17" && doc.Version != "2008-10-17" {
		return nil, fmt.Errorf("parsing policy: Version %q, want 2012-10-17 or 2008-10-17", doc.Version)
	}
	raw, err := oneOrList[map[string]json.RawMessage](doc.Statement)
	if err != nil {
		return nil, fmt.Errorf("parsing policy: Statement must be a statement or a list of them")
	}
	p := &ResourcePolicy{}
	for i, st := range raw {
		for _, key := range []string{"NotAction", "NotPrincipal", "NotResource"} {
			if _, ok := st[key]; ok {
				return nil, fmt.Errorf("parsing policy: statement %d: %s is not supported by the sandbox", i, key)
			}
		}
		b, _ := json.Marshal(st)
		var s ResourceStatement
		if err := json.Unmarshal(b, &s); err != nil {
			return nil, fmt.Errorf("parsing policy: statement %d: %w", i, err)
		}
		if s.Effect != "Allow" && s.Effect != "Deny" {
			return nil, fmt.Errorf("parsing policy: statement %d: Effect %q, want Allow or Deny", i, s.Effect)
		}
		if s.Principal == nil || len(Strings(s.Action)) == 0 {
			return nil, fmt.Errorf("parsing policy: statement %d needs Principal and Action", i)
		}
		p.Statements = append(p.Statements, s)
	}
	return p, nil
}

// ServiceAllows decides whether the policy lets an AWS service principal
// (lambda.amazonaws.com) perform action when it acts for sourceARN (the
// aws:SourceArn and aws:SourceAccount of its request). Conditions are
// evaluated for those two keys with StringEquals, StringLike, ArnEquals
// and ArnLike; a statement with any other condition never matches.
func (p *ResourcePolicy) ServiceAllows(service, action, sourceARN string) Decision {
	d := ImplicitDeny
	for _, st := range p.Statements {
		if !principalMatches(st.Principal, service) || !matchAny(Strings(st.Action), action, true) || !sourceConditionsHold(st.Condition, sourceARN) {
			continue
		}
		if st.Effect == "Deny" {
			return ExplicitDeny
		}
		d = Allowed
	}
	return d
}

func principalMatches(principal any, service string) bool {
	if s, ok := principal.(string); ok {
		return s == "*"
	}
	m, _ := principal.(map[string]any)
	return slices.Contains(Strings(m["Service"]), service) || slices.Contains(Strings(m["AWS"]), "*")
}

func sourceConditionsHold(conds map[string]map[string]any, sourceARN string) bool {
	account := ""
	if parts := strings.Split(sourceARN, ":"); len(parts) > 4 {
		account = parts[4]
	}
	keys := map[string]string{"aws:sourcearn": sourceARN, "aws:sourceaccount": account}
	for op, kv := range conds {
		for key, want := range kv {
			got, ok := keys[strings.ToLower(key)]
			if !ok {
				return false
			}
			switch op {
			case "StringEquals", "ArnEquals":
				if !slices.Contains(Strings(want), got) {
					return false
				}
			case "StringLike", "ArnLike":
				if !matchAny(Strings(want), got, false) {
					return false
				}
			default:
				return false
			}
		}
	}
	return true
}
