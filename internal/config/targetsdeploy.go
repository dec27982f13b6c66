package config

import (
	"errors"
	"slices"
	"strings"
)

// checkTargets reports each entry's problems and, for command deploy and
// plan, checks each entry as Load checks the single-target inputs: through
// a reader that sees the entry's values over the step's, the inputs that
// choose a platform only in the entry, and another platform's own inputs
// only in the entry. It fills c.Targets then, one per entry in order. A
// problem with a value the entry inherits from the step is reported once,
// on the step's input, naming the entries it fails for.
func (c *Config) checkTargets(r *reader, platforms []Platform, entries []*entry) {
	deploys := c.Takes()
	if deploys {
		refuseStepSelects(r, platforms)
		c.checkTargetInputs(r) // once for the step, before the entries inherit its values
	}
	var inherited []*inheritedProblem
	for _, e := range entries {
		for _, p := range e.problems {
			r.fail("targets", "%s: %s", e.label(), p)
		}
		if !deploys {
			continue
		}
		if !e.mapping {
			c.Targets = append(c.Targets, Target{Name: e.name, Wave: e.wave})
			continue
		}
		t, errs := c.deployTarget(r, platforms, e)
		c.Targets = append(c.Targets, t)
		if e.platform == nil {
			var needs []string
			for _, p := range platforms {
				needs = append(needs, p.Needs)
			}
			r.fail("targets", "%s: chooses no platform: give %s", e.label(), strings.Join(needs, ", or "))
		}
		for _, err := range errs {
			var ie *InputError
			if errors.As(err, &ie) && !e.has(ie.Input) && r.given(ie.Input) != "" {
				inherited = addInherited(inherited, r.errs, ie, e)
				continue
			}
			r.fail("targets", "%s: %v", e.label(), err)
		}
	}
	for _, p := range inherited {
		r.fail(p.input, "%s (inherited by targets %s: give it in the entries it is for instead, or set it to \"\" in these)", p.problem, strings.Join(p.entries, ", "))
	}
	checkDistinct(r, entries)
	if deploys {
		c.checkStepOwned(r, platforms)
	}
}

// inheritedProblem is a problem with a step's input, as entries that
// inherit it see it.
type inheritedProblem struct {
	input, problem string
	entries        []string // their labels
}

// addInherited adds e to the entries that see ie, unless the step's own
// checks in stepErrs reported it already.
func addInherited(ps []*inheritedProblem, stepErrs []error, ie *InputError, e *entry) []*inheritedProblem {
	for _, err := range stepErrs {
		var same *InputError
		if errors.As(err, &same) && *same == *ie {
			return ps
		}
	}
	for _, p := range ps {
		if p.input == ie.Input && p.problem == ie.Problem {
			p.entries = append(p.entries, e.label())
			return ps
		}
	}
	return append(ps, &inheritedProblem{input: ie.Input, problem: ie.Problem, entries: []string{e.label()}})
}

// deployTarget reads and checks one entry as a target; the problems are
// those of its reader, by input.
func (c *Config) deployTarget(r *reader, platforms []Platform, e *entry) (Target, []error) {
	er := &reader{getenv: r.getenv, inActions: r.inActions, over: func(name string) (string, bool) {
		if v, ok := e.values[name]; ok {
			return v, true
		}
		if selects(platforms, name) {
			return "", true
		}
		if p := ownedBy(platforms, name); p != nil && (e.platform == nil || p.Name != e.platform.Name) {
			return "", true
		}
		return "", false
	}}
	one := *c
	one.AWS.Region = e.region
	one.Targets = nil
	one.Deploy.Own = nil
	er.targetDeploy(&one.Deploy, c.GitHub.Workspace)
	if v := e.values["aws-region"]; v != "" && !regionPattern.MatchString(v) {
		er.fail("aws-region", "%q is not an AWS region (e.g. us-east-1)", v)
	}
	if v := e.values["role-to-assume"]; v != "" && !roleARNPattern.MatchString(v) {
		er.fail("role-to-assume", "%q is not an IAM role ARN (arn:aws:iam::<account>:role/<name>)", v)
	}
	t := Target{
		Name:         e.name,
		Wave:         e.wave,
		Region:       e.region,
		RoleToAssume: firstNonEmpty(e.values["role-to-assume"], c.AWS.RoleToAssume),
		Environment:  firstNonEmpty(e.values["environment"], c.GitHub.Environment),
	}
	if e.platform != nil {
		one.Platform = e.platform.Name
		one.checkTargetInputs(er)
		one.checkPlatform(er, platforms, e.platform)
		t.Platform = one.Platform
	}
	t.Deploy = one.Deploy
	return t, er.errs
}

// refuseStepSelects refuses, with targets, the step's inputs that choose a
// platform: each entry chooses its own.
func refuseStepSelects(r *reader, platforms []Platform) {
	for _, in := range Inputs {
		if selects(platforms, in.Name) && r.given(in.Name) != "" {
			r.fail(in.Name, "chooses a target's platform: with targets, put it in an entry of targets")
		}
	}
}

// checkStepOwned refuses a platform's own input given for the step when
// no entry of targets chooses that platform (the entries of other
// platforms do not inherit it).
func (c *Config) checkStepOwned(r *reader, platforms []Platform) {
	for _, in := range Inputs {
		p := ownedBy(platforms, in.Name)
		if p == nil || selects(platforms, in.Name) || r.given(in.Name) == "" {
			continue
		}
		if !slices.ContainsFunc(c.Targets, func(t Target) bool { return t.Platform == p.Name }) {
			r.fail(in.Name, "is for %s (%s), and no entry of targets chooses %s", p.Name, p.Needs, p.Name)
		}
	}
}
