package awssim

import (
	"encoding/json"
	"fmt"
	"net/http"
)

// CallerARN is the identity every signed request in the sandbox comes from.
const CallerARN = "arn:aws:iam::" + Account + ":user/sandbox"

// SetPolicy sets the IAM policy every later call with the sandbox's
// credentials is authorized against; nil allows everything.
func (s *Server) SetPolicy(p *Policy) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.policy = p
}

// Policy is the policy calls are authorized against; nil: every call is
// allowed.
func (s *Server) Policy() *Policy {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.policy
}

// IAMCall records the IAM actions one request was checked against. A nil
// *IAMCall (seed calls) is never refused.
type IAMCall struct {
	key     string // the access key id the request was signed with
	actions []string
}

// Actions returns the IAM actions the request was checked against.
func (ic *IAMCall) Actions() []string {
	if ic == nil {
		return nil
	}
	return ic.actions
}

// Allow checks action on resource, recording it, and returns the
// AccessDenied message when the policy refuses it ("" when allowed). It
// runs with the lock held.
func (s *Server) Allow(ic *IAMCall, action, resource string) string {
	if ic == nil {
		return ""
	}
	ic.actions = append(ic.actions, action)
	who, policies, enforced := s.principal(ic.key)
	if !enforced {
		return ""
	}
	d := ImplicitDeny
	for _, p := range policies {
		if d = max(d, p.Evaluate(action, resource)); d == ExplicitDeny {
			break
		}
	}
	if d == Allowed {
		return ""
	}
	why := "because no identity-based policy allows the " + action + " action"
	if d == ExplicitDeny {
		why = "with an explicit deny in an identity-based policy"
	}
	return fmt.Sprintf("User: %s is not authorized to perform: %s on resource: %s %s", who, action, resource, why)
}

// IAMCheck is one action on one resource that a request needs, or any one
// of Alternatives instead (on the same resource).
type IAMCheck struct {
	Action, Resource string
	Alternatives     []string
}

// Check allows each check in turn, with the lock held, and returns the
// first refusal as an error with the service's code and status.
func (s *Server) Check(ic *IAMCall, checks []IAMCheck, code string, status int) *Error {
checks:
	for _, c := range checks {
		msg := s.Allow(ic, c.Action, c.Resource)
		if msg == "" {
			continue
		}
		for _, alt := range c.Alternatives {
			if s.Allow(ic, alt, c.Resource) == "" {
				continue checks
			}
		}
		return &Error{Status: status, Code: code, Message: msg}
	}
	return nil
}

// authorize checks an API request against the policy and returns the error
// to refuse it with, in its service's form.
func (s *Server) authorize(svc *Service, service, operation string, r *http.Request, req *Request) *Error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if svc != nil && svc.Authorize != nil {
		return svc.Authorize(operation, r, req)
	}
	return s.Check(req.IAM, []IAMCheck{{Action: service + ":" + operation, Resource: "*"}}, "AccessDeniedException", 400)
}

// Input is a JSON request body as a map, for the IAM checks it needs.
type Input map[string]any

// ParseInput reads a JSON body; a bad body is the operation's to refuse.
func ParseInput(body []byte) Input {
	var in Input
	json.Unmarshal(body, &in)
	return in
}

// Str returns the string at key, or "".
func (in Input) Str(key string) string { v, _ := in[key].(string); return v }

// List returns the strings of the list at key.
func (in Input) List(key string) []string {
	var out []string
	vs, _ := in[key].([]any)
	for _, v := range vs {
		if v, ok := v.(string); ok {
			out = append(out, v)
		}
	}
	return out
}

// CheckJSON authorizes a JSON 1.1 request: the checks its service lists for
// it, refused with AccessDeniedException.
func (s *Server) CheckJSON(req *Request, checks func(in Input) []IAMCheck) *Error {
	return s.Check(req.IAM, checks(ParseInput(req.Body)), "AccessDeniedException", 400)
}
