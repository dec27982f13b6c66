package awssim

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// Role is an IAM role of the sandbox: its trust policy and the policies its
// sessions are authorized with. CloudFormation's AWS::IAM::Role creates them.
type Role struct {
	ARN string
	// Trust is the AssumeRolePolicyDocument's statements that STS checks.
	Trust []TrustStatement
	// Policies are the role's inline policies and the managed policies of
	// ManagedPolicies it names (other managed policies' contents are AWS's
	// and unknown here, so they grant nothing).
	Policies []*Policy
}

// ManagedPolicies are the AWS managed policies the sandbox knows, by ARN,
// with the statements it can evaluate, copied from the AWS Managed Policy
// Reference. AWSCodeDeployRoleForLambda (v3) lacks its statement
// conditioned on s3:ExistingObjectTag/UseWithCodeDeploy.
var ManagedPolicies = map[string]string{
	"arn:aws:iam::aws:policy/service-role/AWSCodeDeployRoleForLambda": `{"Version": "2012-10-17", "Statement": [
		{"Action": ["cloudwatch:DescribeAlarms", "lambda:UpdateAlias", "lambda:GetAlias", "lambda:GetProvisionedConcurrencyConfig", "sns:Publish"], "Resource": "*", "Effect": "Allow"},
		{"Action": ["s3:GetObject", "s3:GetObjectVersion"], "Resource": "arn:aws:s3:::*/CodeDeploy/*", "Effect": "Allow"},
		{"Action": ["lambda:InvokeFunction"], "Resource": "arn:aws:lambda:*:*:function:CodeDeployHook_*", "Effect": "Allow"}]}`,
}

// RoleAllows reports whether a role the sandbox knows may perform action
// on resource; known is false for a role it does not know (a role made
// outside the sandbox), which it cannot judge. Call it with the lock held.
func (s *Server) RoleAllows(roleARN, action, resource string) (allowed, known bool) {
	r, known := s.roles[roleARN]
	if !known || r == nil {
		return false, known
	}
	d := ImplicitDeny
	for _, p := range r.Policies {
		d = max(d, p.Evaluate(action, resource))
	}
	return d == Allowed, true
}

// TrustStatement is one statement of a role's trust policy.
type TrustStatement struct {
	Effect    string
	Principal map[string]any
	Action    any
	Condition map[string]map[string]any
}

// ParseTrustPolicy reads a role's AssumeRolePolicyDocument.
func ParseTrustPolicy(data []byte) ([]TrustStatement, error) {
	var doc struct{ Statement json.RawMessage }
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("parsing trust policy: %w", err)
	}
	list, err := oneOrList[TrustStatement](doc.Statement)
	if err != nil {
		return nil, fmt.Errorf("parsing trust policy: Statement: %w", err)
	}
	return list, nil
}

// PutRole adds or replaces a role; call it with the lock held.
func (s *Server) PutRole(r *Role) {
	if s.roles == nil {
		s.roles = map[string]*Role{}
	}
	s.roles[r.ARN] = r
}

// DeleteRole deletes a role; call it with the lock held. Its sessions lose
// every permission and it can no longer be assumed.
func (s *Server) DeleteRole(arn string) {
	if s.roles != nil {
		s.roles[arn] = nil
	}
}

// RoleLocked returns a role by ARN, with known set when the sandbox made
// it (nil when it was deleted since); call it with the lock held.
func (s *Server) RoleLocked(arn string) (r *Role, known bool) {
	r, known = s.roles[arn]
	return r, known
}

// AddSession maps temporary credentials (their access key id) to the role
// session they act as; call it with the lock held.
func (s *Server) AddSession(keyID, roleARN, sessionARN string) {
	if s.sessions == nil {
		s.sessions = map[string]session{}
	}
	s.sessions[keyID] = session{role: roleARN, arn: sessionARN}
}

// session is who a set of temporary credentials acts as.
type session struct{ role, arn string }

// principal returns the ARN calls with keyID come from and the policies
// they are authorized with: a role session's role policies, else the
// sandbox user's policy (nil: everything allowed).
func (s *Server) principal(keyID string) (string, []*Policy, bool) {
	if se, ok := s.sessions[keyID]; ok {
		var ps []*Policy
		if r := s.roles[se.role]; r != nil {
			ps = r.Policies
		}
		return se.arn, ps, true
	}
	return CallerARN, []*Policy{s.policy}, s.policy != nil
}

// TrustAllows reports whether a role's trust policy lets a web identity
// (its token's issuer host, audience and subject) assume it with action
// (sts:AssumeRoleWithWebIdentity). It evaluates Federated principals and
// the StringEquals and StringLike conditions on <issuer>:aud and
// <issuer>:sub; a statement with any other condition never matches. As in
// IAM, actions and context key names match whatever their case; values
// match case-sensitively.
func (r *Role) TrustAllows(action, issuer, aud, sub string) bool {
	provider := "arn:aws:iam::" + Account + ":oidc-provider/" + issuer
	allowed := false
	for _, st := range r.Trust {
		if !matchAny(Strings(st.Action), action, true) || !matchAny(Strings(st.Principal["Federated"]), provider, false) || !conditionsHold(st.Condition, issuer, aud, sub) {
			continue
		}
		if st.Effect == "Deny" {
			return false
		}
		allowed = st.Effect == "Allow"
	}
	return allowed
}

func conditionsHold(conds map[string]map[string]any, issuer, aud, sub string) bool {
	claims := map[string]string{strings.ToLower(issuer + ":aud"): aud, strings.ToLower(issuer + ":sub"): sub}
	for op, kv := range conds {
		for key, want := range kv {
			got, ok := claims[strings.ToLower(key)]
			if !ok {
				return false
			}
			switch op {
			case "StringEquals":
				if !slices.Contains(Strings(want), got) {
					return false
				}
			case "StringLike":
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

// Strings reads a policy or template value that is a string or a list of
// strings.
func Strings(v any) []string {
	switch v := v.(type) {
	case string:
		return []string{v}
	case []any:
		var out []string
		for _, e := range v {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}
