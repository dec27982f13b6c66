// Package cloudformation is the sandbox's CloudFormation over the query
// protocol: stacks and the change sets `aws cloudformation deploy` makes,
// from JSON or YAML templates (short-form tags included). Resources of the
// types the sandbox models are created through their services; network
// and load balancer types are recorded (see provisioners). Changes apply
// at once when executed: a stack is CREATE_COMPLETE, or ROLLBACK_COMPLETE
// with a CREATE_FAILED event naming the reason, by the next call.
package cloudformation

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim"
)

// namespace is the XML namespace of CloudFormation's answers.
const namespace = "http://cloudformation.amazonaws.com/doc/2010-05-15/"

// Service is the sandbox's CloudFormation.
type Service struct {
	*awssim.Server
	stacks []*stack // every stack, deleted ones too (DescribeStacks by id)
}

// Register adds CloudFormation to the sandbox; register it before STS,
// whose requests are form-encoded too.
func Register(core *awssim.Server) *Service {
	s := &Service{Server: core}
	core.Register(&awssim.Service{
		Name:       "cloudformation",
		Match:      match,
		WriteError: writeError,
		Serve: func(w http.ResponseWriter, r *http.Request, operation string, req *awssim.Request) {
			s.serve(w, operation, req)
		},
		Authorize: func(operation string, _ *http.Request, req *awssim.Request) *awssim.Error {
			return core.Check(req.IAM, []awssim.IAMCheck{{Action: "cloudformation:" + operation, Resource: "*"}}, "AccessDenied", 403)
		},
	})
	return s
}

// match takes query-protocol requests of CloudFormation's API version.
func match(r *http.Request) (string, bool) {
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		return "", false
	}
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(strings.NewReader(string(body)))
	form, err := url.ParseQuery(string(body))
	if err != nil || form.Get("Version") != "2010-05-15" {
		return "", false
	}
	return form.Get("Action"), form.Get("Action") != ""
}

type ops func(s *Service, f form) (any, error)

var operations = map[string]ops{
	"CreateStack":            (*Service).createStack,
	"UpdateStack":            (*Service).updateStack,
	"DeleteStack":            (*Service).deleteStack,
	"DescribeStacks":         (*Service).describeStacks,
	"DescribeStackEvents":    (*Service).describeStackEvents,
	"DescribeStackResources": (*Service).describeStackResources,
	"CreateChangeSet":        (*Service).createChangeSet,
	"DescribeChangeSet":      (*Service).describeChangeSet,
	"ExecuteChangeSet":       (*Service).executeChangeSet,
	"DeleteChangeSet":        (*Service).deleteChangeSet,
	"GetTemplate":            (*Service).getTemplate,
	"GetTemplateSummary":     (*Service).getTemplateSummary,
}

func (s *Service) serve(w http.ResponseWriter, operation string, req *awssim.Request) {
	values, err := url.ParseQuery(string(req.Body))
	if err != nil {
		writeError(w, awssim.Errorf("MalformedQueryString", "%v", err))
		return
	}
	op, ok := operations[operation]
	if !ok {
		writeError(w, &awssim.Error{Status: 400, Code: "InvalidAction", Message: fmt.Sprintf("Could not find operation %s for version 2010-05-15", operation)})
		return
	}
	s.Lock()
	result, err := op(s, form{values, req.Region})
	s.Unlock()
	if err != nil {
		e, ok := err.(*awssim.Error)
		if !ok {
			e = &awssim.Error{Status: 400, Code: "ValidationError", Message: err.Error()}
		}
		writeError(w, e)
		return
	}
	awssim.WriteQueryResult(w, namespace, operation, result)
}

// form is a query-protocol request's parameters.
type form struct {
	url.Values
	region string
}

// members returns the list parameter name.member.N.
func (f form) members(name string) []string {
	var out []string
	for i := 1; ; i++ {
		v, ok := f.Values[name+".member."+strconv.Itoa(i)]
		if !ok {
			return out
		}
		out = append(out, v[0])
	}
}

// parameters returns Parameters.member.N: values given, and the keys that
// use their previous values.
func (f form) parameters() (map[string]string, []string) {
	given := map[string]string{}
	var previous []string
	for i := 1; ; i++ {
		p := "Parameters.member." + strconv.Itoa(i) + "."
		key := f.Get(p + "ParameterKey")
		if key == "" {
			return given, previous
		}
		if f.Get(p+"UsePreviousValue") == "true" {
			previous = append(previous, key)
		} else {
			given[key] = f.Get(p + "ParameterValue")
		}
	}
}

func writeError(w http.ResponseWriter, e *awssim.Error) {
	awssim.WriteQueryError(w, namespace, e)
}
