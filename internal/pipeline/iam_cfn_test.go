package pipeline

import (
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// iamUntestedStages are the README's IAM stages no run of
// TestREADMEPermissions covers yet, and why.
var iamUntestedStages = map[string]string{}

// TestRolePolicyIsREADMETable checks the one source of truth for the deploy
// role's permissions: the inline policies of
// examples/cloudformation/github-role.yaml, one per stage of the README's IAM
// table and named after it, allow exactly the table's actions on its
// resources, and every stage of the table is one TestREADMEPermissions runs
// under (or is listed in iamUntestedStages).
func TestRolePolicyIsREADMETable(t *testing.T) {
	t.Parallel()
	readme := map[string][]string{} // policy name: "action on resource" lines
	for _, p := range readmePermissions(t) {
		for _, a := range p.actions {
			readme[policyName(p.stage)] = append(readme[policyName(p.stage)], a+" on "+p.resource)
		}
	}
	template := rolePolicies(t, "../../examples/cloudformation/github-role.yaml")
	for name, want := range readme {
		got := template[name]
		slices.Sort(got)
		got = slices.Compact(got)
		slices.Sort(want)
		want = slices.Compact(want)
		if !slices.Equal(got, want) {
			t.Errorf("github-role.yaml's policy %q:\n  %s\nthe README's stage:\n  %s", name, strings.Join(got, "\n  "), strings.Join(want, "\n  "))
		}
	}
	for name := range template {
		if _, ok := readme[name]; !ok {
			t.Errorf("github-role.yaml has a policy %q that names no stage of the README's IAM table", name)
		}
	}

	run := map[string]bool{}
	for _, r := range iamRuns {
		for _, s := range r.stages {
			run[s] = true
		}
	}
	stages := map[string]bool{}
	for _, p := range readmePermissions(t) {
		if stages[p.stage] {
			continue
		}
		stages[p.stage] = true
		if why, ok := iamUntestedStages[p.stage]; ok {
			if run[p.stage] {
				t.Errorf("stage %q is run by TestREADMEPermissions: remove it from iamUntestedStages", p.stage)
			}
			t.Logf("stage %q: not run: %s", p.stage, why)
			continue
		}
		if !run[p.stage] {
			t.Errorf("the README's stage %q is in no run of TestREADMEPermissions", p.stage)
		}
	}
	for s := range run {
		if !stages[s] {
			t.Errorf("TestREADMEPermissions runs stage %q, which the README's IAM table does not have", s)
		}
	}
}

// policyName is a README stage as the template's policy name: lower case,
// each run of other characters a hyphen ("deploy, EC2/Server" is
// deploy-ec2-server).
func policyName(stage string) string {
	return strings.Trim(nonWord.ReplaceAllString(strings.ToLower(stage), "-"), "-")
}

var (
	nonWord     = regexp.MustCompile(`[^a-z0-9]+`)
	subVariable = regexp.MustCompile(`\$\{([^}!]+)\}`)
)

// rolePolicies reads the template's DeployRole inline policies (each one,
// whatever its condition) as "action on resource" lines per policy name,
// with each resource's Fn::Sub variables written as the README's
// placeholders: ${AWS::Region} as <region>, ${AWS::AccountId} as <account>,
// ${AWS::Partition} as aws, and a variable ${x} of the Fn::Sub's map as <x>.
func rolePolicies(t *testing.T, path string) map[string][]string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	doc, _ := cfnValue(&root).(map[string]any)
	role := dig(doc, "Resources", "DeployRole", "Properties")
	policies, ok := role["Policies"].([]any)
	if !ok {
		t.Fatalf("%s: DeployRole has no Policies list", path)
	}
	out := map[string][]string{}
	for _, p := range policies {
		policy, _ := p.(map[string]any)
		if f, ok := policy["Fn::If"].([]any); ok && len(f) == 3 {
			policy, _ = f[1].(map[string]any) // the policy when its condition holds
		}
		name, _ := policy["PolicyName"].(string)
		statements, _ := dig(policy, "PolicyDocument")["Statement"].([]any)
		if name == "" || len(statements) == 0 {
			t.Fatalf("%s: a policy without a name or statements: %v", path, p)
		}
		for _, s := range statements {
			st, _ := s.(map[string]any)
			if st["Effect"] != "Allow" || st["Condition"] != nil {
				t.Errorf("policy %s: statement %v is not a plain Allow", name, st)
			}
			for _, r := range list(st["Resource"]) {
				resource, err := subToPlaceholders(r)
				if err != nil {
					t.Fatalf("policy %s: %v", name, err)
				}
				for _, a := range list(st["Action"]) {
					out[name] = append(out[name], fmt.Sprint(a)+" on "+resource)
				}
			}
		}
	}
	return out
}

// subToPlaceholders writes a resource ("*", or a Fn::Sub of a string, or of
// a string and its variables) with the README's placeholders.
func subToPlaceholders(r any) (string, error) {
	if s, ok := r.(string); ok {
		return s, nil
	}
	m, _ := r.(map[string]any)
	sub, ok := m["Fn::Sub"]
	if !ok {
		return "", fmt.Errorf("resource %v: not a string or Fn::Sub", r)
	}
	vars := map[string]any{}
	if l, ok := sub.([]any); ok && len(l) == 2 {
		sub = l[0]
		vars, _ = l[1].(map[string]any)
	}
	text, ok := sub.(string)
	if !ok {
		return "", fmt.Errorf("resource %v: Fn::Sub without a string", r)
	}
	pseudo := map[string]string{"AWS::Partition": "aws", "AWS::Region": "<region>", "AWS::AccountId": "<account>"}
	var unknown []string
	out := subVariable.ReplaceAllStringFunc(text, func(v string) string {
		name := v[2 : len(v)-1]
		if p, ok := pseudo[name]; ok {
			return p
		}
		if _, ok := vars[name]; ok {
			return "<" + name + ">"
		}
		unknown = append(unknown, v)
		return v
	})
	if len(unknown) > 0 {
		return "", fmt.Errorf("resource %s: %v are neither pseudo parameters nor the Fn::Sub's variables", text, unknown)
	}
	return out, nil
}

// cfnValue is a template's YAML as CloudFormation reads it: the short forms
// of intrinsic functions (!Sub x) become their long forms ({"Fn::Sub": x},
// {"Ref": x}, {"Condition": x}; !GetAtt a.b becomes a list).
func cfnValue(n *yaml.Node) any {
	var v any
	switch n.Kind {
	case yaml.DocumentNode:
		return cfnValue(n.Content[0])
	case yaml.AliasNode:
		return cfnValue(n.Alias)
	case yaml.MappingNode:
		m := map[string]any{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			m[n.Content[i].Value] = cfnValue(n.Content[i+1])
		}
		v = m
	case yaml.SequenceNode:
		l := []any{}
		for _, c := range n.Content {
			l = append(l, cfnValue(c))
		}
		v = l
	default:
		v = n.Value
	}
	tag, ok := strings.CutPrefix(n.Tag, "!")
	if !ok || strings.HasPrefix(tag, "!") {
		return v // untagged, or a standard !!tag
	}
	switch tag {
	case "Ref", "Condition":
		return map[string]any{tag: v}
	case "GetAtt":
		if s, ok := v.(string); ok {
			resource, attribute, _ := strings.Cut(s, ".")
			v = []any{resource, attribute}
		}
	}
	return map[string]any{"Fn::" + tag: v}
}

// dig follows keys through nested maps; a missing key gives an empty map.
func dig(m map[string]any, keys ...string) map[string]any {
	for _, k := range keys {
		m, _ = m[k].(map[string]any)
	}
	return m
}

// list is a policy's Action or Resource, one value or a list, as a list.
func list(v any) []any {
	if l, ok := v.([]any); ok {
		return l
	}
	return []any{v}
}
