package cloudformation

import (
	"encoding/base64"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// physical is a created resource as the template sees it: Ref's value and
// the attributes Fn::GetAtt reads.
type physical struct {
	ID    string
	Attrs map[string]any
}

// evaluator resolves intrinsic functions against a stack's parameters,
// conditions, pseudo parameters and the resources made so far.
type evaluator struct {
	t       *template
	params  map[string]any // a string, or []any for list types
	pseudo  map[string]any
	res     map[string]*physical
	conds   map[string]bool
	pending map[string]bool // conditions being evaluated, against cycles
}

// noValue is AWS::NoValue: the property or list element it is in is removed.
type noValueT struct{}

var noValue = noValueT{}

// supported lists the functions the sandbox evaluates, in CloudFormation's
// error message.
const supported = "[Fn::Base64, Fn::GetAtt, Fn::GetAZs, Fn::Join, Fn::Select, Fn::Split, Fn::Sub, Fn::If, Fn::Equals, Fn::Not, Fn::And, Fn::Or, Ref, Condition]"

// intrinsic returns the function of a one-key map, if it is one.
func intrinsic(v any) (string, any, bool) {
	m, ok := v.(map[string]any)
	if !ok || len(m) != 1 {
		return "", nil, false
	}
	for k, arg := range m {
		if k == "Ref" || k == "Condition" || strings.HasPrefix(k, "Fn::") {
			return k, arg, true
		}
	}
	return "", nil, false
}

// eval resolves every function in v.
func (e *evaluator) eval(v any) (any, error) {
	if fn, arg, ok := intrinsic(v); ok {
		return e.call(fn, arg)
	}
	switch v := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, x := range v {
			r, err := e.eval(x)
			if err != nil {
				return nil, err
			}
			if r != noValue {
				out[k] = r
			}
		}
		return out, nil
	case []any:
		out := []any{}
		for _, x := range v {
			r, err := e.eval(x)
			if err != nil {
				return nil, err
			}
			if r != noValue {
				out = append(out, r)
			}
		}
		return out, nil
	}
	return v, nil
}

func (e *evaluator) call(fn string, arg any) (any, error) {
	args, _ := arg.([]any)
	switch fn {
	case "Ref":
		name, _ := arg.(string)
		return e.ref(name)
	case "Condition":
		name, _ := arg.(string)
		return e.condition(name)
	case "Fn::GetAtt":
		if len(args) != 2 {
			return nil, templateErrorf("Template error: every Fn::GetAtt object requires two non-empty parameters, the resource name and the resource attribute")
		}
		name, _ := args[0].(string)
		attr, _ := args[1].(string)
		return e.getAtt(name, attr)
	case "Fn::Sub":
		return e.sub(arg)
	case "Fn::Base64":
		s, err := e.str(arg, fn)
		return base64.StdEncoding.EncodeToString([]byte(s)), err
	case "Fn::GetAZs":
		region := e.pseudo["AWS::Region"].(string)
		return []any{region + "a", region + "b", region + "c"}, nil
	case "Fn::If":
		if len(args) != 3 {
			return nil, templateErrorf("Template error: Fn::If requires a list argument with three elements")
		}
		name, _ := args[0].(string)
		ok, err := e.condition(name)
		if err != nil {
			return nil, err
		}
		if ok {
			return e.eval(args[1])
		}
		return e.eval(args[2])
	case "Fn::Equals":
		if len(args) != 2 {
			return nil, templateErrorf("Template error: Fn::Equals requires a list argument with two elements")
		}
		a, err := e.eval(args[0])
		if err != nil {
			return nil, err
		}
		b, err := e.eval(args[1])
		return fmt.Sprint(a) == fmt.Sprint(b), err
	case "Fn::Not", "Fn::And", "Fn::Or":
		var bs []bool
		for _, a := range args {
			r, err := e.eval(a)
			if err != nil {
				return nil, err
			}
			b, ok := r.(bool)
			if !ok {
				return nil, templateErrorf("Template error: every %s member must be a condition", fn)
			}
			bs = append(bs, b)
		}
		return logic(fn, bs)
	}
	args, err := e.evalList(arg, fn)
	if err != nil {
		return nil, err
	}
	switch fn {
	case "Fn::Join":
		if len(args) != 2 {
			return nil, templateErrorf("Template error: every Fn::Join object requires two parameters")
		}
		sep, _ := args[0].(string)
		parts, err := e.evalList(args[1], fn)
		if err != nil {
			return nil, err
		}
		var ss []string
		for _, p := range parts {
			ss = append(ss, fmt.Sprint(p))
		}
		return strings.Join(ss, sep), nil
	case "Fn::Select":
		if len(args) != 2 {
			return nil, templateErrorf("Template error: Fn::Select requires a list argument with two elements")
		}
		i, err := strconv.Atoi(fmt.Sprint(args[0]))
		list, _ := args[1].([]any)
		if err != nil || i < 0 || i >= len(list) {
			return nil, templateErrorf("Template error: Fn::Select cannot select nonexistent value at index %v", args[0])
		}
		return list[i], nil
	case "Fn::Split":
		if len(args) != 2 {
			return nil, templateErrorf("Template error: every Fn::Split object requires two parameters")
		}
		var out []any
		for _, s := range strings.Split(fmt.Sprint(args[1]), fmt.Sprint(args[0])) {
			out = append(out, s)
		}
		return out, nil
	}
	return nil, templateErrorf("Template error: Encountered unsupported function: %s Supported functions are: %s", fn, supported)
}

func logic(fn string, bs []bool) (bool, error) {
	switch fn {
	case "Fn::Not":
		if len(bs) != 1 {
			return false, templateErrorf("Template error: Fn::Not requires a list argument with one element")
		}
		return !bs[0], nil
	case "Fn::And":
		for _, b := range bs {
			if !b {
				return false, nil
			}
		}
		return true, nil
	}
	for _, b := range bs {
		if b {
			return true, nil
		}
	}
	return false, nil
}

// evalList evaluates v, which must be a list.
func (e *evaluator) evalList(v any, fn string) ([]any, error) {
	r, err := e.eval(v)
	if err != nil {
		return nil, err
	}
	l, ok := r.([]any)
	if !ok {
		return nil, templateErrorf("Template error: %s requires a list argument", fn)
	}
	return l, nil
}

// str evaluates v, which must be a string.
func (e *evaluator) str(v any, fn string) (string, error) {
	r, err := e.eval(v)
	if err != nil {
		return "", err
	}
	s, ok := r.(string)
	if !ok {
		return "", templateErrorf("Template error: %s requires a string argument", fn)
	}
	return s, nil
}

func (e *evaluator) ref(name string) (any, error) {
	if v, ok := e.pseudo[name]; ok {
		return v, nil
	}
	if v, ok := e.params[name]; ok {
		return v, nil
	}
	if r, ok := e.res[name]; ok {
		return r.ID, nil
	}
	return nil, templateErrorf("Template format error: Unresolved resource dependencies [%s] in the Resources block of the template", name)
}

func (e *evaluator) getAtt(name, attr string) (any, error) {
	r, ok := e.res[name]
	if !ok {
		return nil, templateErrorf("Template error: instance of Fn::GetAtt references undefined resource %s", name)
	}
	v, ok := r.Attrs[attr]
	if !ok {
		return nil, templateErrorf("Template error: resource %s does not support attribute type %s in Fn::GetAtt", name, attr)
	}
	return v, nil
}

var subVar = regexp.MustCompile(`\$\{([^}]*)\}`)

// sub resolves Fn::Sub: a string, or [string, {var: value}].
func (e *evaluator) sub(arg any) (any, error) {
	vars := map[string]any{}
	s, ok := arg.(string)
	if l, isList := arg.([]any); isList && len(l) == 2 {
		s, ok = l[0].(string)
		m, _ := l[1].(map[string]any)
		for k, v := range m {
			r, err := e.eval(v)
			if err != nil {
				return nil, err
			}
			vars[k] = r
		}
	}
	if !ok {
		return nil, templateErrorf("Template error: One or more Fn::Sub intrinsic functions don't specify expected arguments. Specify a string as first argument, and an optional second argument to specify a mapping of values to replace in the string")
	}
	var firstErr error
	out := subVar.ReplaceAllStringFunc(s, func(m string) string {
		name := m[2 : len(m)-1]
		if strings.HasPrefix(name, "!") {
			return "${" + name[1:] + "}"
		}
		var v any
		var err error
		if x, ok := vars[name]; ok {
			v = x
		} else if res, attr, dot := strings.Cut(name, "."); dot && !strings.HasPrefix(name, "AWS::") {
			v, err = e.getAtt(res, attr)
		} else {
			v, err = e.ref(name)
		}
		if err != nil && firstErr == nil {
			firstErr = err
		}
		return fmt.Sprint(v)
	})
	return out, firstErr
}

// condition evaluates a named condition of the template.
func (e *evaluator) condition(name string) (bool, error) {
	if b, ok := e.conds[name]; ok {
		return b, nil
	}
	def, ok := e.t.Conditions[name]
	if !ok || e.pending[name] {
		return false, templateErrorf("Template format error: Unresolved dependencies [%s]. Cannot reference resources in the Conditions block of the template", name)
	}
	e.pending[name] = true
	r, err := e.eval(def)
	if err != nil {
		return false, err
	}
	b, ok := r.(bool)
	if !ok {
		return false, templateErrorf("Template format error: Condition %s must be a condition function", name)
	}
	e.conds[name] = b
	return b, nil
}

// dependencies returns the resources v refers to (Ref, Fn::GetAtt, Fn::Sub),
// sorted.
func dependencies(v any, resources map[string]resource) []string {
	seen := map[string]bool{}
	var walk func(any)
	add := func(name string) {
		if _, ok := resources[name]; ok {
			seen[name] = true
		}
	}
	walk = func(v any) {
		if fn, arg, ok := intrinsic(v); ok {
			switch fn {
			case "Ref":
				s, _ := arg.(string)
				add(s)
			case "Fn::GetAtt":
				if l, _ := arg.([]any); len(l) > 0 {
					s, _ := l[0].(string)
					add(s)
				}
			case "Fn::Sub":
				s, _ := arg.(string)
				if l, _ := arg.([]any); len(l) > 0 {
					s, _ = l[0].(string)
				}
				for _, m := range subVar.FindAllStringSubmatch(s, -1) {
					name, _, _ := strings.Cut(m[1], ".")
					add(name)
				}
			}
			walk(arg)
			return
		}
		switch v := v.(type) {
		case map[string]any:
			for _, x := range v {
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	walk(v)
	var out []string
	for k := range seen {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
