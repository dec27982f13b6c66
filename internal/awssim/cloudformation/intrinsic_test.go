package cloudformation

import (
	"encoding/base64"
	"reflect"
	"strings"
	"testing"
)

// evalTemplate parses a template, resolves its parameters and returns an
// evaluator with one created resource, Res (Ref res-id, GetAtt Res.Arn).
func evalTemplate(t *testing.T, body string, given map[string]string) *evaluator {
	t.Helper()
	tpl, err := parseTemplate(body)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := resolveParams(tpl, given, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	st := &stack{name: "s", region: "eu-west-1", id: "arn:aws:cloudformation:eu-west-1:123456789012:stack/s/1",
		resources: map[string]*stackResource{"Res": {phys: &physical{ID: "res-id", Attrs: map[string]any{"Arn": "arn:res"}}}}}
	return st.newEvaluator(tpl, raw)
}

func TestIntrinsics(t *testing.T) {
	yaml := `
Parameters:
  Env: {Type: String, Default: prod, AllowedValues: [prod, dev]}
  Subnets: {Type: "List<AWS::EC2::Subnet::Id>"}
Conditions:
  IsProd: !Equals [!Ref Env, prod]
  NotProd: !Not [!Condition IsProd]
  Both: !And [!Condition IsProd, !Or [!Condition NotProd, !Equals [a, a]]]
Resources:
  Res: {Type: AWS::Logs::LogGroup}
Outputs:
  O: {Value: x}
`
	e := evalTemplate(t, yaml, map[string]string{"Subnets": "subnet-1,subnet-2"})
	tests := []struct {
		expr any
		want any
	}{
		{map[string]any{"Ref": "AWS::Region"}, "eu-west-1"},
		{map[string]any{"Ref": "Res"}, "res-id"},
		{map[string]any{"Ref": "Subnets"}, []any{"subnet-1", "subnet-2"}},
		{map[string]any{"Fn::GetAtt": []any{"Res", "Arn"}}, "arn:res"},
		{map[string]any{"Fn::Sub": "${AWS::StackName}-${Env}-${Res}-${Res.Arn}-${!Literal}"}, "s-prod-res-id-arn:res-${Literal}"},
		{map[string]any{"Fn::Sub": []any{"${a}/${AWS::AccountId}", map[string]any{"a": map[string]any{"Ref": "Env"}}}}, "prod/123456789012"},
		{map[string]any{"Fn::Join": []any{",", map[string]any{"Ref": "Subnets"}}}, "subnet-1,subnet-2"},
		{map[string]any{"Fn::Select": []any{"1", map[string]any{"Fn::GetAZs": ""}}}, "eu-west-1b"},
		{map[string]any{"Fn::If": []any{"NotProd", "a", "b"}}, "b"},
		{map[string]any{"Fn::If": []any{"Both", "a", "b"}}, "a"},
		{map[string]any{"Fn::Base64": "#!/bin/bash"}, base64.StdEncoding.EncodeToString([]byte("#!/bin/bash"))},
		{[]any{"a", map[string]any{"Ref": "AWS::NoValue"}}, []any{"a"}},
		{map[string]any{"k": map[string]any{"Fn::If": []any{"IsProd", map[string]any{"Ref": "AWS::NoValue"}, 1}}}, map[string]any{}},
	}
	for _, tt := range tests {
		got, err := e.eval(tt.expr)
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("eval(%v) = %#v, %v; want %#v", tt.expr, got, err, tt.want)
		}
	}
	if _, err := e.eval(map[string]any{"Fn::FindInMap": []any{"a", "b", "c"}}); err == nil || !strings.Contains(err.Error(), "Encountered unsupported function: Fn::FindInMap") {
		t.Errorf("Fn::FindInMap: %v, want CloudFormation's unsupported function error", err)
	}
}

func TestTemplateForms(t *testing.T) {
	json := `{"Resources": {"B": {"Type": "AWS::S3::Bucket", "DependsOn": "A", "Properties": {"BucketName": {"Fn::Sub": "${A}-b"}}},
		"A": {"Type": "AWS::Logs::LogGroup"}, "C": {"Type": "AWS::Logs::LogGroup", "Properties": {"X": {"Fn::GetAtt": ["B", "Arn"]}}}}}`
	tpl, err := parseTemplate(json)
	if err != nil {
		t.Fatal(err)
	}
	order, err := plan(tpl, &evaluator{t: tpl, conds: map[string]bool{}, pending: map[string]bool{}})
	if err != nil || !reflect.DeepEqual(order, []string{"A", "B", "C"}) {
		t.Errorf("plan = %v, %v; want [A B C]", order, err)
	}
	if _, err := parseTemplate("Resources:\n  A: {Type: AWS::Logs::LogGroup, Properties: {N: !Bogus x}}\n"); err == nil || !strings.Contains(err.Error(), "!Bogus") {
		t.Errorf("unknown tag: %v", err)
	}
}

func TestParameters(t *testing.T) {
	tpl, err := parseTemplate("Parameters:\n  Vpc: {Type: AWS::EC2::VPC::Id}\n  Env: {Type: String, Default: a, AllowedValues: [a, b]}\n" +
		"  Repo: {Type: String, Default: o/n, AllowedPattern: '[a-z]+/[a-z]+'}\nResources:\n  A: {Type: AWS::Logs::LogGroup}\n")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		given   map[string]string
		prev    []string
		wantErr string
	}{
		{map[string]string{"Vpc": "vpc-1"}, nil, ""},
		{map[string]string{}, nil, "Parameters: [Vpc] must have values"},
		{map[string]string{"Vpc": "vpc-1", "Env": "c"}, nil, "Parameter 'Env' must be one of AllowedValues"},
		{map[string]string{"Vpc": "subnet-1"}, nil, "parameter value subnet-1 for parameter name Vpc does not exist"},
		{map[string]string{"Vpc": "vpc-1", "Nope": "x"}, nil, "Parameters: [Nope] do not exist in the template"},
		{map[string]string{}, []string{"Vpc"}, ""},
		{map[string]string{"Vpc": "vpc-1", "Repo": "octo"}, nil, "Parameter 'Repo' must match pattern [a-z]+/[a-z]+"},
	}
	for _, tt := range tests {
		_, err := resolveParams(tpl, tt.given, tt.prev, map[string]string{"Vpc": "vpc-0"})
		if (tt.wantErr == "") != (err == nil) || err != nil && !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("resolveParams(%v, previous %v) = %v, want %q", tt.given, tt.prev, err, tt.wantErr)
		}
	}
}
