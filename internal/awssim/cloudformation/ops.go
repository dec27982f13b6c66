package cloudformation

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim"
)

// findStack returns the live stack named or with the ARN given.
func (s *Service) findStack(nameOrID string) *stack {
	for i := len(s.stacks) - 1; i >= 0; i-- {
		st := s.stacks[i]
		if st.id == nameOrID || (st.name == nameOrID && st.status != "DELETE_COMPLETE") {
			return st
		}
	}
	return nil
}

// namedStack returns the live stack the request's StackName names, or
// CloudFormation's error for a stack that does not exist.
func (s *Service) namedStack(f form) (*stack, error) {
	if st := s.findStack(f.Get("StackName")); st != nil {
		return st, nil
	}
	return nil, noStack(f.Get("StackName"))
}

func noStack(name string) error {
	return awssim.Errorf("ValidationError", "Stack with id %s does not exist", name)
}

// newChangeSet validates a template and parameters and lists the changes
// they make to st. Template and parameter errors are the caller's.
func (s *Service) newChangeSet(st *stack, f form, typ string) (*changeSet, error) {
	body := f.Get("TemplateBody")
	if body == "" && f.Get("UsePreviousTemplate") == "true" {
		body = st.body
	}
	if body == "" {
		return nil, awssim.Errorf("ValidationError", "Either Template URL or Template Body must be specified.")
	}
	t, err := parseTemplate(body)
	if err != nil {
		return nil, err
	}
	given, previous := f.parameters()
	params, err := resolveParams(t, given, previous, st.params)
	if err != nil {
		return nil, err
	}
	if err := checkCapabilities(t, f.members("Capabilities")); err != nil {
		return nil, err
	}
	cs := &changeSet{name: f.Get("ChangeSetName"), typ: typ, body: body, t: t, params: params, created: s.Clock.Now(),
		status: "CREATE_COMPLETE", execution: "AVAILABLE"}
	cs.id = fmt.Sprintf("arn:aws:cloudformation:%s:%s:changeSet/%s/%s", st.region, awssim.Account, cs.name, awssim.RequestID())
	e := st.newEvaluator(t, params)
	order, err := plan(t, e)
	if err != nil {
		cs.status, cs.reason, cs.execution = "FAILED", err.Error(), "UNAVAILABLE"
		return cs, nil
	}
	for _, name := range order {
		r := t.Resources[name]
		old := st.resources[name]
		switch {
		case old == nil:
			cs.changes = append(cs.changes, change{"Add", name, "", r.Type})
		case st.t == nil || !reflect.DeepEqual(st.t.Resources[name], r) || !reflect.DeepEqual(st.params, params):
			cs.changes = append(cs.changes, change{"Modify", name, old.phys.ID, r.Type})
		}
	}
	for name, r := range st.resources {
		if !slices.Contains(order, name) {
			cs.changes = append(cs.changes, change{"Remove", name, r.phys.ID, r.Type})
		}
	}
	if len(cs.changes) == 0 && (st.t == nil || reflect.DeepEqual(st.t.Outputs, t.Outputs)) {
		cs.status, cs.execution = "FAILED", "UNAVAILABLE"
		cs.reason = "The submitted information didn't contain changes. Submit different information to create a change set."
	}
	return cs, nil
}

// checkCapabilities asks for CAPABILITY_IAM (CAPABILITY_NAMED_IAM for named
// IAM resources) when the template has IAM resources.
func checkCapabilities(t *template, caps []string) error {
	need := ""
	for _, r := range t.Resources {
		if !strings.HasPrefix(r.Type, "AWS::IAM::") {
			continue
		}
		if need == "" {
			need = "CAPABILITY_IAM"
		}
		if r.Properties["RoleName"] != nil || r.Properties["InstanceProfileName"] != nil {
			need = "CAPABILITY_NAMED_IAM"
		}
	}
	if need == "" || slices.Contains(caps, need) || (need == "CAPABILITY_IAM" && slices.Contains(caps, "CAPABILITY_NAMED_IAM")) {
		return nil
	}
	return awssim.Errorf("InsufficientCapabilitiesException", "Requires capabilities : [%s]", need)
}

// stackFor returns the stack a change set of type typ goes to, making a
// REVIEW_IN_PROGRESS one for CREATE.
func (s *Service) stackFor(f form, typ string) (*stack, error) {
	name := f.Get("StackName")
	st := s.findStack(name)
	switch {
	case typ == "CREATE" && st != nil && st.status != "REVIEW_IN_PROGRESS":
		return nil, &awssim.Error{Status: 400, Code: "AlreadyExistsException", Message: fmt.Sprintf("Stack [%s] already exists", name)}
	case typ == "CREATE" && st == nil:
		now := s.Clock.Now()
		st = &stack{name: name, region: f.region, status: "REVIEW_IN_PROGRESS", created: now, updated: now,
			resources: map[string]*stackResource{}, versions: map[string]int{},
			id: fmt.Sprintf("arn:aws:cloudformation:%s:%s:stack/%s/%s", f.region, awssim.Account, name, awssim.RequestID())}
		return st, nil
	case typ != "CREATE" && st == nil:
		return nil, awssim.Errorf("ValidationError", "Stack [%s] does not exist", name)
	case typ != "CREATE" && !strings.HasSuffix(st.status, "_COMPLETE") || st.status == "ROLLBACK_COMPLETE":
		return nil, awssim.Errorf("ValidationError", "Stack:%s is in %s state and can not be updated.", st.id, st.status)
	}
	return st, nil
}

func (s *Service) createChangeSet(f form) (any, error) {
	typ := f.Get("ChangeSetType")
	if typ == "" {
		typ = "UPDATE"
	}
	if typ != "CREATE" && typ != "UPDATE" {
		return nil, awssim.Errorf("ValidationError", "ChangeSetType %s is not supported by the sandbox", typ)
	}
	st, err := s.stackFor(f, typ)
	if err != nil {
		return nil, err
	}
	cs, err := s.newChangeSet(st, f, typ)
	if err != nil {
		return nil, err
	}
	if s.findStack(st.id) == nil {
		s.stacks = append(s.stacks, st)
	}
	st.changeSets = append(st.changeSets, cs)
	return struct{ Id, StackId string }{cs.id, st.id}, nil
}

func (s *Service) findChangeSet(f form) (*stack, *changeSet, error) {
	name := f.Get("ChangeSetName")
	for _, st := range s.stacks {
		if f.Get("StackName") != "" && st.name != f.Get("StackName") && st.id != f.Get("StackName") {
			continue
		}
		for _, cs := range st.changeSets {
			if cs.id == name || cs.name == name {
				return st, cs, nil
			}
		}
	}
	return nil, nil, &awssim.Error{Status: 404, Code: "ChangeSetNotFound", Message: fmt.Sprintf("ChangeSet [%s] does not exist", name)}
}

type xmlParam struct{ ParameterKey, ParameterValue string }

type xmlChange struct {
	Type           string
	ResourceChange struct {
		Action, LogicalResourceId, PhysicalResourceId, ResourceType string
		Replacement                                                 string `xml:",omitempty"`
	}
}

func params(m map[string]string) []xmlParam {
	var out []xmlParam
	for k, v := range m {
		out = append(out, xmlParam{k, v})
	}
	slices.SortFunc(out, func(a, b xmlParam) int { return strings.Compare(a.ParameterKey, b.ParameterKey) })
	return out
}

func (s *Service) describeChangeSet(f form) (any, error) {
	st, cs, err := s.findChangeSet(f)
	if err != nil {
		return nil, err
	}
	var changes []xmlChange
	for _, c := range cs.changes {
		var x xmlChange
		x.Type = "Resource"
		x.ResourceChange.Action, x.ResourceChange.LogicalResourceId, x.ResourceChange.PhysicalResourceId, x.ResourceChange.ResourceType = c.Action, c.Logical, c.Physical, c.Type
		if c.Action == "Modify" {
			x.ResourceChange.Replacement = "Conditional"
		}
		changes = append(changes, x)
	}
	return struct {
		ChangeSetName, ChangeSetId, StackId, StackName string
		Status, ExecutionStatus                        string
		StatusReason                                   string      `xml:",omitempty"`
		Parameters                                     []xmlParam  `xml:"Parameters>member"`
		Changes                                        []xmlChange `xml:"Changes>member"`
		CreationTime                                   string
	}{cs.name, cs.id, st.id, st.name, cs.status, cs.execution, cs.reason, params(cs.params), changes, iso(cs.created)}, nil
}

func (s *Service) executeChangeSet(f form) (any, error) {
	st, cs, err := s.findChangeSet(f)
	if err != nil {
		return nil, err
	}
	if cs.execution != "AVAILABLE" {
		return nil, &awssim.Error{Status: 400, Code: "InvalidChangeSetStatus", Message: fmt.Sprintf("ChangeSet [%s] cannot be executed in its current execution status of [%s]", cs.id, cs.execution)}
	}
	s.execute(st, cs)
	cs.execution, cs.status = "EXECUTE_COMPLETE", "CREATE_COMPLETE"
	if strings.Contains(st.status, "ROLLBACK") {
		cs.execution = "EXECUTE_FAILED"
	}
	st.changeSets = slices.DeleteFunc(st.changeSets, func(c *changeSet) bool { return c != cs })
	return nil, nil
}

func (s *Service) deleteChangeSet(f form) (any, error) {
	st, cs, err := s.findChangeSet(f)
	if err != nil {
		return nil, err
	}
	st.changeSets = slices.DeleteFunc(st.changeSets, func(c *changeSet) bool { return c == cs })
	return nil, nil
}

// createStack and updateStack are a change set made and executed at once.
func (s *Service) createStack(f form) (any, error) {
	return s.runStack(f, "CREATE")
}

func (s *Service) updateStack(f form) (any, error) {
	return s.runStack(f, "UPDATE")
}

func (s *Service) runStack(f form, typ string) (any, error) {
	st, err := s.stackFor(f, typ)
	if err != nil {
		return nil, err
	}
	cs, err := s.newChangeSet(st, f, typ)
	if err != nil {
		return nil, err
	}
	if cs.status == "FAILED" {
		if typ == "UPDATE" && cs.changes == nil {
			return nil, awssim.Errorf("ValidationError", "No updates are to be performed.")
		}
		return nil, awssim.Errorf("ValidationError", "%s", cs.reason)
	}
	if s.findStack(st.id) == nil {
		s.stacks = append(s.stacks, st)
	}
	s.execute(st, cs)
	return struct{ StackId string }{st.id}, nil
}

func (s *Service) deleteStack(f form) (any, error) {
	st := s.findStack(f.Get("StackName"))
	if st == nil || st.status == "DELETE_COMPLETE" {
		return nil, nil
	}
	now := s.Clock.Now()
	st.status = "DELETE_IN_PROGRESS"
	st.event(st.name, st.id, "AWS::CloudFormation::Stack", st.status, "User Initiated", now)
	for name, r := range st.resources {
		s.remove(st, name, r, now)
	}
	st.status, st.outputs = "DELETE_COMPLETE", nil
	st.event(st.name, st.id, "AWS::CloudFormation::Stack", st.status, "", now)
	return nil, nil
}

func iso(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

type xmlStack struct {
	StackId, StackName, StackStatus string
	StackStatusReason               string `xml:",omitempty"`
	CreationTime                    string
	LastUpdatedTime                 string
	Description                     string                                    `xml:",omitempty"`
	Parameters                      []xmlParam                                `xml:"Parameters>member"`
	Outputs                         []struct{ OutputKey, OutputValue string } `xml:"Outputs>member"`
}

func (s *Service) describeStacks(f form) (any, error) {
	var out []xmlStack
	for _, st := range s.stacks {
		if name := f.Get("StackName"); name != "" && st != s.findStack(name) || st.status == "DELETE_COMPLETE" && f.Get("StackName") != st.id {
			continue
		}
		x := xmlStack{StackId: st.id, StackName: st.name, StackStatus: st.status, StackStatusReason: st.reason,
			CreationTime: iso(st.created), LastUpdatedTime: iso(st.updated), Parameters: params(st.params)}
		if st.t != nil {
			x.Description = st.t.Description
		}
		for _, o := range st.outputs {
			x.Outputs = append(x.Outputs, struct{ OutputKey, OutputValue string }{o.Key, o.Value})
		}
		out = append(out, x)
	}
	if name := f.Get("StackName"); name != "" && len(out) == 0 {
		return nil, noStack(name)
	}
	return struct {
		Stacks []xmlStack `xml:"Stacks>member"`
	}{out}, nil
}

type xmlEvent struct {
	StackId, EventId, StackName, LogicalResourceId, PhysicalResourceId, ResourceType, Timestamp, ResourceStatus string
	ResourceStatusReason                                                                                        string `xml:",omitempty"`
}

func (s *Service) describeStackEvents(f form) (any, error) {
	st, err := s.namedStack(f)
	if err != nil {
		return nil, err
	}
	var out []xmlEvent
	for i := len(st.events) - 1; i >= 0; i-- {
		e := st.events[i]
		out = append(out, xmlEvent{st.id, e.ID, st.name, e.Logical, e.Physical, e.Type, iso(e.Time), e.Status, e.Reason})
	}
	return struct {
		StackEvents []xmlEvent `xml:"StackEvents>member"`
	}{out}, nil
}

func (s *Service) describeStackResources(f form) (any, error) {
	st, err := s.namedStack(f)
	if err != nil {
		return nil, err
	}
	type res struct {
		StackName, StackId, LogicalResourceId, PhysicalResourceId, ResourceType, Timestamp, ResourceStatus string
	}
	var out []res
	for name, r := range st.resources {
		out = append(out, res{st.name, st.id, name, r.phys.ID, r.Type, iso(r.updated), r.status})
	}
	slices.SortFunc(out, func(a, b res) int { return strings.Compare(a.LogicalResourceId, b.LogicalResourceId) })
	return struct {
		StackResources []res `xml:"StackResources>member"`
	}{out}, nil
}

func (s *Service) getTemplate(f form) (any, error) {
	st, err := s.namedStack(f)
	if err != nil {
		return nil, err
	}
	return struct{ TemplateBody string }{st.body}, nil
}

func (s *Service) getTemplateSummary(f form) (any, error) {
	body := f.Get("TemplateBody")
	if body == "" {
		st, err := s.namedStack(f)
		if err != nil {
			return nil, err
		}
		body = st.body
	}
	t, err := parseTemplate(body)
	if err != nil {
		return nil, err
	}
	type p struct {
		ParameterKey, ParameterType string
		DefaultValue                string `xml:",omitempty"`
		NoEcho                      bool
		Description                 string `xml:",omitempty"`
	}
	var out []p
	for k, v := range t.Parameters {
		d := ""
		if v.Default != nil {
			d = fmt.Sprint(v.Default)
		}
		out = append(out, p{k, v.Type, d, fmt.Sprint(v.NoEcho) == "true", v.Description})
	}
	slices.SortFunc(out, func(a, b p) int { return strings.Compare(a.ParameterKey, b.ParameterKey) })
	return struct {
		Parameters  []p    `xml:"Parameters>member"`
		Description string `xml:",omitempty"`
	}{out, t.Description}, nil
}
