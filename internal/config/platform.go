package config

import (
	"regexp"
	"slices"
	"strings"
)

// Platform is a deployment platform as the inputs see it: the inputs that
// choose it, the form of its deployment ids, and its own input checks.
// Load takes the platforms in order: the first chosen by the inputs wins.
type Platform struct {
	Name    string         // the action's name for it: "codedeploy"
	Selects []string       // any of these inputs set chooses it
	Needs   string         // the inputs it needs, as errors name them: "codedeploy-application and codedeploy-deployment-group"
	Owns    []string       // inputs without a default that only it reads: refused for another platform or none
	ID      *regexp.Regexp // its deployment ids, as command's deployment-id takes them
	IDForm  string         // its deployment ids described: "a CodeDeploy deployment id (...)"
	// Check checks the platform's own inputs once it is chosen.
	Check func(c *Config, in InputReader)
}

// InputReader is how a platform's check reads inputs and reports a problem with one.
type InputReader interface {
	Str(name string) string
	Fail(input, format string, args ...any)
}

// Str returns an input as Load reads it.
func (r *reader) Str(name string) string { return r.str(name) }

// Fail records a problem with input.
func (r *reader) Fail(input, format string, args ...any) { r.fail(input, format, args...) }

// deployInputs are the inputs every platform's deployment may read: given
// with no platform chosen, they are refused.
var deployInputs = []string{"task-definition", "appspec", "description", "container-name", "container-port", "timeout"}

// choosePlatform sets c.Platform, from the inputs for a deployment or from
// deployment-id's form for a command, and returns the platform the inputs
// chose, or nil. A deployment-id given as a JSON object fills c.Targets
// instead, and leaves c.Platform empty.
func (c *Config) choosePlatform(r *reader, platforms []Platform, entries []*entry) *Platform {
	chosen := selectedBy(platforms, func(in string) bool { return r.str(in) != "" })
	switch {
	case c.Takes() && chosen != nil && r.str("targets") == "":
		c.Platform = chosen.Name
	case !c.Takes() && strings.HasPrefix(c.DeploymentID, "{"):
		c.commandTargets(r, platforms, entries)
	case !c.Takes() && c.DeploymentID != "":
		var forms []string
		for _, p := range platforms {
			if p.ID.MatchString(c.DeploymentID) {
				c.Platform = p.Name
				return chosen
			}
			forms = append(forms, p.IDForm)
		}
		r.fail("deployment-id", "%q is not %s", c.DeploymentID, strings.Join(forms, " or "))
	}
	return chosen
}

// checkPlatform runs the chosen platform's checks after refusing the
// inputs other platforms own, and keeps its own inputs' values in
// Deploy.Own; with no platform chosen it refuses the inputs of a
// deployment.
func (c *Config) checkPlatform(r *reader, platforms []Platform, chosen *Platform) {
	if chosen == nil {
		var needs []string
		for _, p := range platforms {
			needs = append(needs, p.Needs)
		}
		for _, in := range Inputs {
			if r.str(in.Name) != "" && (slices.Contains(deployInputs, in.Name) || ownedBy(platforms, in.Name) != nil) {
				r.fail(in.Name, "is for a deployment and needs %s", strings.Join(needs, ", or "))
			}
		}
		return
	}
	for _, in := range Inputs {
		if p := ownedBy(platforms, in.Name); p != nil && p != chosen && r.str(in.Name) != "" {
			r.fail(in.Name, "is for %s (%s); %s chose %s", p.Name, p.Needs, strings.Join(chosen.Selects, " or "), chosen.Name)
		}
	}
	c.Deploy.Own = map[string]string{}
	for _, in := range chosen.Owns {
		c.Deploy.Own[in] = r.str(in)
	}
	chosen.Check(c, r)
}

// ownedBy is the platform that owns input, or nil.
func ownedBy(platforms []Platform, input string) *Platform {
	for i, p := range platforms {
		if slices.Contains(p.Owns, input) {
			return &platforms[i]
		}
	}
	return nil
}
