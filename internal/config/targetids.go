package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// commandTargets reads a deployment-id given as a JSON object of target
// names to deployment ids, as the deployment-id output holds them for a
// run of several targets, into c.Targets in the object's order. Each id's
// form chooses its platform; its region is the one in the id when it is
// an ARN, else that of the entry of targets of its name, else the name's
// <region>/ prefix, else the step's.
func (c *Config) commandTargets(r *reader, platforms []Platform, entries []*entry) {
	ids, err := parseIDs(c.DeploymentID)
	switch {
	case err != nil:
		r.fail("deployment-id", "is not one deployment id nor a JSON object of target names to deployment ids (e.g. {\"eu-west-1/api\": \"d-A1B2C3D4E\"}): %v", err)
		return
	case len(ids) == 0:
		r.fail("deployment-id", "is an empty JSON object: give at least one target's deployment id")
		return
	}
	byName := map[string]*entry{}
	for _, e := range entries {
		if e.name != "" {
			byName[e.name] = e
		}
	}
	for _, id := range ids {
		t := Target{
			Name:         id.name,
			DeploymentID: id.id,
			RoleToAssume: c.AWS.RoleToAssume,
			Deploy:       c.Deploy,
			Environment:  c.GitHub.Environment,
		}
		var forms []string
		for _, p := range platforms {
			if t.Platform == "" && p.ID.MatchString(id.id) {
				t.Platform = p.Name
			}
			forms = append(forms, p.IDForm)
		}
		if t.Platform == "" {
			r.fail("deployment-id", "key %q: %q is not %s", id.name, id.id, strings.Join(forms, " or "))
		}
		if !targetNamePattern.MatchString(id.name) {
			r.fail("deployment-id", "key %q is not a target name (1-200 letters, digits and _.+=,@/:-, from a letter or digit)", id.name)
		}
		prefix, _, _ := strings.Cut(id.name, "/")
		e := byName[id.name]
		switch {
		case arnRegion(id.id) != "":
			t.Region = arnRegion(id.id)
		case e != nil:
			t.Region = e.region
		case strings.Contains(id.name, "/") && regionPattern.MatchString(prefix):
			t.Region = prefix
		default:
			t.Region = c.AWS.Region
		}
		if e != nil {
			t.RoleToAssume = firstNonEmpty(e.values["role-to-assume"], c.AWS.RoleToAssume)
			t.Environment = firstNonEmpty(e.values["environment"], c.GitHub.Environment)
		}
		if t.Region == "" {
			r.fail("deployment-id", "key %q: no region: give aws-region, or name the target <region>/...", id.name)
		}
		c.Targets = append(c.Targets, t)
	}
}

// namedID is one target's deployment id.
type namedID struct{ name, id string }

// parseIDs parses a JSON object of strings, keeping its order; a key given
// twice or a value not a string is an error naming the key.
func parseIDs(s string) ([]namedID, error) {
	dec := json.NewDecoder(strings.NewReader(s))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, errors.New("not a JSON object")
	}
	var ids []namedID
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		name := tok.(string) // an object's keys are strings
		var id any
		if err := dec.Decode(&id); err != nil {
			return nil, fmt.Errorf("key %q: %w", name, err)
		}
		idStr, ok := id.(string)
		switch {
		case !ok:
			return nil, fmt.Errorf("key %q: the deployment id is not a string", name)
		case seen[name]:
			return nil, fmt.Errorf("key %q is given twice", name)
		case strings.TrimSpace(name) == "":
			return nil, errors.New("a key is empty: name each target")
		}
		seen[name] = true
		ids = append(ids, namedID{name, strings.TrimSpace(idStr)})
	}
	if _, err := dec.Token(); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("more follows the JSON object")
	}
	return ids, nil
}

// arnRegion is the region of an ARN, or "".
func arnRegion(id string) string {
	parts := strings.SplitN(id, ":", 5)
	if len(parts) < 5 || parts[0] != "arn" {
		return ""
	}
	return parts[3]
}
