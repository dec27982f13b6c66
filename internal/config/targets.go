package config

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"gopkg.in/yaml.v3"
)

// entry is one entry of input targets as written.
type entry struct {
	index    int               // 1-based
	values   map[string]string // by key, trimmed; "" for an empty or null value
	lines    map[string]int    // each key's line in the input
	keys     []string          // in the order written
	problems []string          // what is wrong with how it is written
	mapping  bool              // it is a mapping (of keys to values)

	name     string    // its name, else <region>/<what it deploys to>; "" when neither is known
	wave     int       // 1 and up
	region   string    // its aws-region, else the step's
	platform *Platform // the platform its values choose, or nil
}

// label names the entry in errors: entry 2 (eu-west-1/worker).
func (e *entry) label() string {
	if e.name == "" {
		return fmt.Sprintf("entry %d", e.index)
	}
	if !targetNamePattern.MatchString(e.name) {
		return fmt.Sprintf("entry %d (%q)", e.index, e.name) // as the name's own problem quotes it
	}
	return fmt.Sprintf("entry %d (%s)", e.index, e.name)
}

// has reports whether the entry sets key, even to "".
func (e *entry) has(key string) bool {
	_, ok := e.values[key]
	return ok
}

// targetNamePattern is a target's name: printed at the start of its log
// lines, it holds no space or control character.
var targetNamePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.+=,@/:-]{0,199}$`)

// entryKeys are the keys of an entry that are not the step's deploy inputs.
var entryKeys = []string{"wave", "name", "environment", "aws-region", "role-to-assume"}

// targetDeployInputs are the inputs targetDeploy reads: the deploy inputs
// a target may set for itself.
var targetDeployInputs = func() map[string]bool {
	read := map[string]bool{}
	r := &reader{getenv: func(string) string { return "" }, over: func(name string) (string, bool) {
		read[name] = true
		return "", false
	}}
	r.targetDeploy(&Deploy{}, "/")
	return read
}()

// targetInputs are the inputs an entry of targets may set, in Inputs'
// order: those targetDeploy reads, and every platform's Selects and Owns.
func targetInputs(platforms []Platform) []string {
	var names []string
	for _, in := range Inputs {
		if targetDeployInputs[in.Name] || selects(platforms, in.Name) || ownedBy(platforms, in.Name) != nil {
			names = append(names, in.Name)
		}
	}
	return names
}

// selects reports whether input is one that chooses a platform.
func selects(platforms []Platform, input string) bool {
	for _, p := range platforms {
		if slices.Contains(p.Selects, input) {
			return true
		}
	}
	return false
}

// selectedBy is the first platform one of whose Selects is set, or nil.
func selectedBy(platforms []Platform, set func(input string) bool) *Platform {
	for i, p := range platforms {
		if slices.ContainsFunc(p.Selects, set) {
			return &platforms[i]
		}
	}
	return nil
}

// readEntries reads input targets, "" or a YAML list of mappings: each
// entry's keys checked and its name, wave, region and platform worked out.
// Problems with the list as a whole are reported at once; each entry's are
// left in its problems, for the caller to report with its label.
func (c *Config) readEntries(r *reader, platforms []Platform, text string) []*entry {
	entries, problem := parseEntries(text)
	if problem != "" {
		r.fail("targets", "%s", problem)
		return nil
	}
	allowed := append(slices.Clone(entryKeys), targetInputs(platforms)...)
	for _, e := range entries {
		e.platform = selectedBy(platforms, func(in string) bool { return e.values[in] != "" })
		e.region = firstNonEmpty(e.values["aws-region"], c.AWS.Region)
		e.name = e.values["name"]
		if e.name == "" && e.platform != nil {
			e.name = defaultName(e.region, e.platform, e.values)
		}
		if v := e.values["name"]; v != "" && !targetNamePattern.MatchString(v) {
			e.problems = append(e.problems, fmt.Sprintf("key \"name\" (line %d): %q is not a target name (1-200 letters, digits and _.+=,@/:-, from a letter or digit): it names the target in the log, the outputs and deployment-id", e.lines["name"], v))
		}
		if v := e.values["environment"]; strings.ContainsFunc(v, unicode.IsControl) {
			e.problems = append(e.problems, fmt.Sprintf("key \"environment\" (line %d): %q holds a control character", e.lines["environment"], v))
		}
		e.wave = 1
		if v := e.values["wave"]; v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 {
				e.problems = append(e.problems, fmt.Sprintf("key \"wave\" (line %d): %q is not a whole number of 1 or more", e.lines["wave"], v))
			} else {
				e.wave = n
			}
		}
		for _, k := range e.keys {
			switch _, input := defaults[k]; {
			case slices.Contains(allowed, k):
			case input:
				e.problems = append(e.problems, fmt.Sprintf("key %q (line %d): is a step-wide input: give it as an input of the step, for every target", k, e.lines[k]))
			default:
				e.problems = append(e.problems, fmt.Sprintf("key %q (line %d) is not a key of an entry; the keys are %s", k, e.lines[k], strings.Join(allowed, ", ")))
			}
		}
	}
	return entries
}

// defaultName is a target's name when its entry gives none: its region
// and the value of the last of its platform's Selects it sets (the
// deployment group, the ECS service), the part after an ARN's last '/'.
func defaultName(region string, p *Platform, values map[string]string) string {
	var what string
	for _, in := range p.Selects {
		if v := values[in]; v != "" {
			what = v
		}
	}
	if strings.HasPrefix(what, "arn:") {
		what = what[strings.LastIndex(what, "/")+1:]
	}
	return region + "/" + what
}

// parseEntries parses the targets YAML into entries, or says why the list
// as a whole is not one.
func parseEntries(text string) ([]*entry, string) {
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(text), &doc); err != nil {
		return nil, fmt.Sprintf("is not YAML: %v", err)
	}
	if len(doc.Content) == 0 {
		return nil, "holds no entries: give a YAML list of targets (- aws-region: ...), or leave it out"
	}
	list := doc.Content[0]
	if list.Kind != yaml.SequenceNode {
		return nil, fmt.Sprintf("is %s (line %d), not a YAML list of targets (each entry starting with '- ')", kind(list), list.Line)
	}
	if len(list.Content) == 0 {
		return nil, "is an empty list: give at least one target, or leave it out"
	}
	var entries []*entry
	for i, item := range list.Content {
		e := &entry{index: i + 1, values: map[string]string{}, lines: map[string]int{}}
		entries = append(entries, e)
		if item = deref(item); item.Kind != yaml.MappingNode {
			e.problems = append(e.problems, fmt.Sprintf("is %s (line %d), not a mapping of keys to values (key: value)", kind(item), item.Line))
			continue
		}
		e.mapping = true
		e.read(item, false)
	}
	return entries, ""
}

// read adds the keys of mapping m to the entry: its own, then those of its
// merge keys (<<: *anchor, or a list of anchors) that it does not set
// itself, as YAML's merge key has it. A merged key's line is where the
// anchor gives it.
func (e *entry) read(m *yaml.Node, merged bool) {
	var merges []*yaml.Node
	for j := 0; j+1 < len(m.Content); j += 2 {
		k, v := m.Content[j], deref(m.Content[j+1])
		switch {
		case k.Kind == yaml.ScalarNode && k.Tag == "!!merge":
			merges = append(merges, v)
		case k.Kind != yaml.ScalarNode:
			e.problems = append(e.problems, fmt.Sprintf("line %d: a key is %s, not a name", k.Line, kind(k)))
		case e.has(k.Value) && merged:
		case e.has(k.Value):
			e.problems = append(e.problems, fmt.Sprintf("key %q (line %d) is given twice", k.Value, k.Line))
		case v.Kind != yaml.ScalarNode:
			e.problems = append(e.problems, fmt.Sprintf("key %q (line %d): is %s, not a single value", k.Value, v.Line, kind(v)))
		default:
			value := strings.TrimSpace(v.Value)
			if v.Tag == "!!null" {
				value = ""
			}
			e.values[k.Value], e.lines[k.Value] = value, k.Line
			e.keys = append(e.keys, k.Value)
		}
	}
	for _, v := range merges {
		sources := []*yaml.Node{v}
		if v.Kind == yaml.SequenceNode {
			sources = v.Content
		}
		for _, src := range sources {
			if src = deref(src); src.Kind != yaml.MappingNode {
				e.problems = append(e.problems, fmt.Sprintf("line %d: the merge key << takes a mapping or a list of them, not %s", src.Line, kind(src)))
				continue
			}
			e.read(src, true)
		}
	}
}

// deref is the node an alias stands for, else n.
func deref(n *yaml.Node) *yaml.Node {
	if n.Kind == yaml.AliasNode {
		return n.Alias
	}
	return n
}

// kind says what a YAML node is, for an error.
func kind(n *yaml.Node) string {
	switch n.Kind {
	case yaml.SequenceNode:
		return "a list"
	case yaml.MappingNode:
		return "a mapping"
	case yaml.ScalarNode:
		return fmt.Sprintf("a single value (%q)", n.Value)
	}
	return "not a value"
}

// checkDistinct refuses two entries of one name, and two that deploy to
// the same target: one region, platform and value of each of its Selects.
func checkDistinct(r *reader, entries []*entry) {
	names := map[string]*entry{}
	targets := map[string]*entry{}
	for _, e := range entries {
		if p := e.platform; p != nil {
			key := []string{e.region, p.Name}
			var what []string
			for _, in := range p.Selects {
				key = append(key, e.values[in])
				what = append(what, fmt.Sprintf("%s %q", in, e.values[in]))
			}
			id := strings.Join(key, "\x00")
			if first, ok := targets[id]; ok {
				r.fail("targets", "%s: deploys to the same target as %s (%s in %s): give each target once", e.label(), first.label(), strings.Join(what, ", "), e.region)
				continue
			}
			targets[id] = e
		}
		if e.name == "" {
			continue
		}
		if first, ok := names[e.name]; ok {
			r.fail("targets", "%s: name %q is also %s's: give each entry its own name", e.label(), e.name, first.label())
			continue
		}
		names[e.name] = e
	}
}
