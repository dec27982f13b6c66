package cloudformation

import (
	"encoding/json"
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim"
)

// stack is one CloudFormation stack and what it made.
type stack struct {
	id, name, region string
	status, reason   string
	created, updated time.Time
	body             string
	t                *template
	params           map[string]string // as given or defaulted, before typing
	resources        map[string]*stackResource
	outputs          []kv
	events           []event
	changeSets       []*changeSet
	versions         map[string]int // Lambda versions published, per function
}

// stackResource is one resource of a stack.
type stackResource struct {
	Type    string
	Props   map[string]any // evaluated
	phys    *physical
	status  string
	updated time.Time
}

// kv is an output or parameter as the API lists it.
type kv struct{ Key, Value string }

// event is one stack event.
type event struct {
	ID, Logical, Physical, Type, Status, Reason string
	Time                                        time.Time
}

// changeSet is a set of changes to a stack, made when executed.
type changeSet struct {
	id, name, typ  string
	status, reason string
	execution      string
	body           string
	t              *template
	params         map[string]string
	changes        []change
	created        time.Time
}

// change is one resource change of a change set.
type change struct{ Action, Logical, Physical, Type string }

func (st *stack) event(logical, physical, typ, status, reason string, t time.Time) {
	st.events = append(st.events, event{ID: awssim.RequestID(), Logical: logical, Physical: physical, Type: typ, Status: status, Reason: reason, Time: t})
}

// resolveParams types a template's parameters from the values given, the
// previous ones (UsePreviousValue) and the defaults.
func resolveParams(t *template, given map[string]string, usePrevious []string, previous map[string]string) (map[string]string, error) {
	for k := range given {
		if _, ok := t.Parameters[k]; !ok {
			return nil, templateErrorf("Parameters: [%s] do not exist in the template", k)
		}
	}
	raw := map[string]string{}
	var missing []string
	for name, p := range t.Parameters {
		v, ok := given[name]
		if !ok && slices.Contains(usePrevious, name) {
			v, ok = previous[name]
		}
		if !ok && p.Default != nil {
			v, ok = fmt.Sprint(p.Default), true
		}
		if !ok {
			missing = append(missing, name)
			continue
		}
		if len(p.AllowedValues) > 0 && !slices.ContainsFunc(p.AllowedValues, func(a any) bool { return fmt.Sprint(a) == v }) {
			return nil, templateErrorf("Parameter '%s' must be one of AllowedValues", name)
		}
		if p.AllowedPattern != "" {
			re, err := regexp.Compile("^(?:" + p.AllowedPattern + ")$")
			if err != nil || !re.MatchString(v) {
				return nil, templateErrorf("Parameter '%s' must match pattern %s", name, p.AllowedPattern)
			}
		}
		if err := checkType(name, p.Type, v); err != nil {
			return nil, err
		}
		raw[name] = v
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		return nil, templateErrorf("Parameters: [%s] must have values", strings.Join(missing, ", "))
	}
	return raw, nil
}

// idPrefixes are the AWS-specific parameter types the sandbox checks by
// their ids' form (it has no VPC to look them up in).
var idPrefixes = map[string]string{"AWS::EC2::VPC::Id": "vpc-", "AWS::EC2::Subnet::Id": "subnet-", "AWS::EC2::SecurityGroup::Id": "sg-"}

func checkType(name, typ, v string) error {
	elem, list := strings.CutPrefix(typ, "List<")
	elem = strings.TrimSuffix(elem, ">")
	switch {
	case typ == "String" || typ == "CommaDelimitedList" || strings.HasPrefix(typ, "AWS::SSM::Parameter::"):
		return nil
	case typ == "Number":
		var f float64
		if _, err := fmt.Sscan(v, &f); err != nil {
			return templateErrorf("Parameter '%s' must be a number", name)
		}
		return nil
	}
	prefix, ok := idPrefixes[elem]
	if !ok {
		return templateErrorf("Template format error: Unrecognized parameter type: %s", typ)
	}
	vals := []string{v}
	if list {
		vals = strings.Split(v, ",")
	}
	for _, x := range vals {
		if !strings.HasPrefix(strings.TrimSpace(x), prefix) {
			return templateErrorf("Parameter validation failed: parameter value %s for parameter name %s does not exist. Rollback requested by user.", x, name)
		}
	}
	return nil
}

// typedParams gives list parameters as lists and resolves SSM parameter
// types to a value of the sandbox (the AMI id of its one image).
func typedParams(t *template, raw map[string]string) map[string]any {
	out := map[string]any{}
	for k, v := range raw {
		typ := t.Parameters[k].Type
		switch {
		case typ == "CommaDelimitedList" || strings.HasPrefix(typ, "List<"):
			var l []any
			for _, x := range strings.Split(v, ",") {
				l = append(l, strings.TrimSpace(x))
			}
			out[k] = l
		case strings.HasPrefix(typ, "AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>"):
			out[k] = "ami-0sandbox0000000000"
		default:
			out[k] = v
		}
	}
	return out
}

// newEvaluator returns the evaluator of a template for a stack.
func (st *stack) newEvaluator(t *template, raw map[string]string) *evaluator {
	e := &evaluator{t: t, params: typedParams(t, raw), res: map[string]*physical{}, conds: map[string]bool{}, pending: map[string]bool{},
		pseudo: map[string]any{"AWS::AccountId": awssim.Account, "AWS::Region": st.region, "AWS::StackName": st.name,
			"AWS::StackId": st.id, "AWS::Partition": "aws", "AWS::URLSuffix": "amazonaws.com", "AWS::NoValue": noValue,
			"AWS::NotificationARNs": []any{}}}
	for k, r := range st.resources {
		e.res[k] = r.phys
	}
	return e
}

// plan returns the template's resources whose conditions hold, in an order
// that creates each after those it refers to.
func plan(t *template, e *evaluator) ([]string, error) {
	want := map[string]bool{}
	for name, r := range t.Resources {
		ok := true
		if r.Condition != "" {
			var err error
			if ok, err = e.condition(r.Condition); err != nil {
				return nil, err
			}
		}
		want[name] = ok
	}
	var order []string
	state := map[string]int{} // 1 visiting, 2 done
	var visit func(string) error
	visit = func(n string) error {
		switch state[n] {
		case 1:
			return templateErrorf("Template format error: Circular dependency between resources: [%s]", n)
		case 2:
			return nil
		}
		state[n] = 1
		r := t.Resources[n]
		deps := dependencies(r.Properties, t.Resources)
		for _, d := range awssim.Strings(r.DependsOn) {
			if _, ok := t.Resources[d]; !ok {
				return templateErrorf("Template format error: Unresolved resource dependencies [%s] in the Resources block of the template", d)
			}
			deps = append(deps, d)
		}
		for _, d := range deps {
			if want[d] {
				if err := visit(d); err != nil {
					return err
				}
			}
		}
		state[n] = 2
		order = append(order, n)
		return nil
	}
	names := make([]string, 0, len(want))
	for n, ok := range want {
		if ok {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	for _, n := range names {
		if err := visit(n); err != nil {
			return nil, err
		}
	}
	return order, nil
}

// execute applies a change set: creates, updates and deletes the stack's
// resources in dependency order, then evaluates the outputs. A failure
// rolls back what this run created.
func (s *Service) execute(st *stack, cs *changeSet) {
	now := s.Clock.Now()
	verb := "UPDATE"
	if cs.typ == "CREATE" {
		verb = "CREATE"
	}
	st.status, st.updated = verb+"_IN_PROGRESS", now
	st.event(st.name, st.id, "AWS::CloudFormation::Stack", st.status, "User Initiated", now)
	e := st.newEvaluator(cs.t, cs.params)
	order, err := plan(cs.t, e)
	var created []string
	failed := ""
	for _, name := range order {
		if err != nil {
			break
		}
		r := cs.t.Resources[name]
		var p any
		if p, err = e.eval(r.Properties); err != nil {
			failed = name
			st.event(name, "", r.Type, "CREATE_FAILED", err.Error(), now)
			break
		}
		pm, _ := p.(map[string]any)
		old := st.resources[name]
		if old != nil && old.Type == r.Type && reflect.DeepEqual(old.Props, pm) {
			continue
		}
		if old != nil && old.Type == r.Type && old.Type != "AWS::IAM::Role" {
			// Recorded as the new properties; the sandbox does not change
			// the resource itself (but roles, which it replaces).
			old.Props, old.updated, old.status = pm, now, "UPDATE_COMPLETE"
			st.event(name, old.phys.ID, r.Type, "UPDATE_COMPLETE", "", now)
			continue
		}
		prov, ok := provisioners[r.Type]
		if !ok {
			failed, err = name, templateErrorf("Resource type %s is not supported by the sandbox", r.Type)
			st.event(name, "", r.Type, "CREATE_FAILED", err.Error(), now)
			break
		}
		st.event(name, "", r.Type, "CREATE_IN_PROGRESS", "", now)
		c := &creation{s: s, st: st, logical: name}
		if old != nil {
			c.reuse = old.phys.ID
		}
		ph, perr := prov(c, pm)
		if perr != nil {
			failed, err = name, perr
			st.event(name, "", r.Type, "CREATE_FAILED", perr.Error(), now)
			break
		}
		st.resources[name] = &stackResource{Type: r.Type, Props: pm, phys: ph, status: verbOf(old) + "_COMPLETE", updated: now}
		e.res[name] = ph
		if old == nil {
			created = append(created, name)
		}
		st.event(name, ph.ID, r.Type, verbOf(old)+"_COMPLETE", "", now)
	}
	if err != nil {
		s.rollBack(st, verb, created, failed, err, now)
		return
	}
	for name, r := range st.resources {
		if !slices.Contains(order, name) {
			s.remove(st, name, r, now)
		}
	}
	outputs, err := evalOutputs(cs.t, e)
	if err != nil {
		s.rollBack(st, verb, created, "", err, now)
		return
	}
	st.outputs, st.t, st.body, st.params = outputs, cs.t, cs.body, cs.params
	st.status, st.reason = verb+"_COMPLETE", ""
	st.event(st.name, st.id, "AWS::CloudFormation::Stack", st.status, "", now)
}

// rollBack deletes what a failed run created and ends the stack in
// ROLLBACK_COMPLETE (a create) or UPDATE_ROLLBACK_COMPLETE.
func (s *Service) rollBack(st *stack, verb string, created []string, failed string, err error, now time.Time) {
	reason := err.Error()
	if failed != "" {
		reason = fmt.Sprintf("The following resource(s) failed to create: [%s]. Rollback requested by user.", failed)
	}
	prefix := ""
	if verb == "UPDATE" {
		prefix = "UPDATE_"
	}
	st.status, st.reason = prefix+"ROLLBACK_IN_PROGRESS", reason
	st.event(st.name, st.id, "AWS::CloudFormation::Stack", st.status, reason, now)
	for i := len(created) - 1; i >= 0; i-- {
		s.remove(st, created[i], st.resources[created[i]], now)
	}
	st.status = prefix + "ROLLBACK_COMPLETE"
	st.event(st.name, st.id, "AWS::CloudFormation::Stack", st.status, "", now)
}

// remove deletes a resource from the stack: roles leave the sandbox's IAM;
// other resources stay in their services, which have no delete calls.
func (s *Service) remove(st *stack, name string, r *stackResource, now time.Time) {
	if r.Type == "AWS::IAM::Role" {
		s.DeleteRole(fmt.Sprint(r.phys.Attrs["Arn"]))
	}
	delete(st.resources, name)
	st.event(name, r.phys.ID, r.Type, "DELETE_COMPLETE", "", now)
}

func evalOutputs(t *template, e *evaluator) ([]kv, error) {
	var out []kv
	for name, o := range t.Outputs {
		if o.Condition != "" {
			if ok, err := e.condition(o.Condition); err != nil || !ok {
				if err != nil {
					return nil, err
				}
				continue
			}
		}
		v, err := e.eval(o.Value)
		if err != nil {
			return nil, err
		}
		s, ok := v.(string)
		if !ok {
			b, _ := json.Marshal(v)
			s = string(b)
		}
		out = append(out, kv{name, s})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out, nil
}

// verbOf names a resource's change: CREATE when new, else UPDATE.
func verbOf(old *stackResource) string {
	if old == nil {
		return "CREATE"
	}
	return "UPDATE"
}
