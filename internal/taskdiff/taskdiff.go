// Package taskdiff shows how an ECS task definition would change: the live
// one and the one a deploy would register, as a unified diff of their JSON
// in the wire's field names, without what ECS adds on registration.
package taskdiff

import (
	"cmp"
	"encoding/json"
	"maps"
	"reflect"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aymanbagabas/go-udiff"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/plan"
)

// noise are the fields of a described task definition that say how ECS
// holds it rather than what runs (DescribeTaskDefinition's answer, ECS API
// reference: TaskDefinition).
var noise = map[string]bool{
	"taskDefinitionArn": true, "revision": true, "status": true, "requiresAttributes": true,
	"compatibilities": true, "registeredAt": true, "registeredBy": true, "deregisteredAt": true,
	"deleteRequestedAt": true,
}

// Labels of the two sides of the diff.
const (
	LiveLabel = "live"
	NextLabel = "would be registered"
)

// Diff returns the unified diff (3 lines of context) from the live task
// definition to next, "" when they are the same. Each is an SDK value:
// *types.TaskDefinition as described, *ecs.RegisterTaskDefinitionInput as
// it would be registered. images maps an image reference (by tag) to the
// same image by digest, so that both sides name images by digest.
func Diff(live, next any, images map[string]string) string {
	a, b := Render(live, images), Render(next, images)
	if a == b {
		return ""
	}
	return udiff.Unified(LiveLabel, NextLabel, a, b)
}

// Render is a task definition as indented JSON with the wire's field names
// and sorted keys, without noise or ECS's defaults; environment variables
// and secrets sorted by name, as ECS gives their order no meaning. A list
// of scalars and an object of up to 4 scalars (an environment variable, a
// secret, a port mapping) take one line, so that a change to one is one
// line of the diff.
func Render(td any, images map[string]string) string {
	v := normalize(wire(reflect.ValueOf(td)), "", images)
	if m, ok := v.(map[string]any); ok {
		for k := range noise {
			delete(m, k)
		}
	}
	var b strings.Builder
	write(&b, v, "")
	b.WriteString("\n")
	return b.String()
}

// write writes v as JSON at indent.
func write(b *strings.Builder, v any, indent string) {
	var items []string // object keys, sorted; nil for a list
	var at func(i int) any
	switch x := v.(type) {
	case map[string]any:
		items = slices.Sorted(maps.Keys(x))
		at = func(i int) any { return x[items[i]] }
	case []any:
		at = func(i int) any { return x[i] }
		items = make([]string, len(x))
	default:
		b.WriteString(scalar(x))
		return
	}
	open, closing := "[", "]"
	if _, ok := v.(map[string]any); ok {
		open, closing = "{", "}"
	}
	oneLine := open == "[" || len(items) <= 4
	for i := range items {
		if _, ok := at(i).(map[string]any); ok {
			oneLine = false
		} else if _, ok := at(i).([]any); ok {
			oneLine = false
		}
	}
	b.WriteString(open)
	for i, k := range items {
		if i > 0 {
			b.WriteString(",")
		}
		if oneLine {
			if i > 0 {
				b.WriteString(" ")
			}
		} else {
			b.WriteString("\n" + indent + "  ")
		}
		if open == "{" {
			b.WriteString(scalar(k) + ": ")
		}
		write(b, at(i), indent+"  ")
	}
	if !oneLine {
		b.WriteString("\n" + indent)
	}
	b.WriteString(closing)
}

// wire turns an SDK value into maps and slices keyed by the wire's names:
// an exported field's name with a lower-case first letter (as
// register-task-definition's JSON spells them). Nil pointers, empty slices,
// empty maps and unset enums (an empty string not behind a pointer) are
// left out, as ECS leaves them out of its answers.
func wire(v reflect.Value) any {
	if v.Kind() == reflect.String && v.Len() == 0 {
		return nil
	}
	for v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface {
		if v.IsNil() {
			return nil
		}
		v = v.Elem()
	}
	switch v.Kind() {
	case reflect.Struct:
		m := map[string]any{}
		for i, f := range v.Fields() {
			if !i.IsExported() || i.Anonymous {
				continue
			}
			if x := wire(f); x != nil {
				m[lowerFirst(i.Name)] = x
			}
		}
		if len(m) == 0 {
			return nil
		}
		return m
	case reflect.Slice:
		if v.Len() == 0 {
			return nil
		}
		list := make([]any, 0, v.Len())
		for i := range v.Len() {
			list = append(list, wire(v.Index(i)))
		}
		return list
	case reflect.Map:
		if v.Len() == 0 {
			return nil
		}
		m := make(map[string]any, v.Len())
		for it := v.MapRange(); it.Next(); {
			m[it.Key().String()] = wire(it.Value())
		}
		return m
	case reflect.String:
		return v.String()
	case reflect.Bool:
		return v.Bool()
	case reflect.Int, reflect.Int32, reflect.Int64:
		return v.Int()
	case reflect.Float32, reflect.Float64:
		return v.Float()
	}
	return nil
}

// normalize drops what ECS adds to a container definition on registration
// when the input leaves it out (ECS API reference, ContainerDefinition and
// PortMapping: essential defaults to true, protocol to tcp, and in awsvpc
// mode hostPort is the containerPort; a described container has cpu 0 when
// none was given), sorts environment and secrets by name, and names images
// by digest. key is the field v is the value of.
func normalize(v any, key string, images map[string]string) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = normalize(e, k, images)
		}
		switch key {
		case "containerDefinitions":
			if x["essential"] == true {
				delete(x, "essential")
			}
			if x["cpu"] == int64(0) {
				delete(x, "cpu")
			}
			if img, ok := x["image"].(string); ok && images[img] != "" {
				x["image"] = images[img]
			}
		case "portMappings":
			if x["protocol"] == "tcp" {
				delete(x, "protocol")
			}
			if x["hostPort"] == x["containerPort"] {
				delete(x, "hostPort")
			}
		}
		return x
	case []any:
		for i, e := range x {
			x[i] = normalize(e, key, images)
		}
		if key == "environment" || key == "secrets" {
			slices.SortStableFunc(x, func(a, b any) int { return cmp.Compare(name(a), name(b)) })
		}
		return x
	}
	return v
}

// scalar is a string, number, boolean or null as JSON, with <, > and &
// as they are.
func scalar(v any) string {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.Encode(v) // strings, numbers, booleans and nil always encode
	return strings.TrimSuffix(b.String(), "\n")
}

// name is an environment variable's or secret's name.
func name(v any) string {
	m, _ := v.(map[string]any)
	s, _ := m["name"].(string)
	return s
}

func lowerFirst(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	return string(unicode.ToLower(r)) + s[n:]
}

// Changed lists the lines a diff adds and removes, without the markers of
// the files and hunks: what a reader or a test looks at first.
func Changed(diff string) (removed, added []string) {
	for line := range strings.Lines(diff) {
		line = strings.TrimSuffix(line, "\n")
		switch {
		case strings.HasPrefix(line, "---"), strings.HasPrefix(line, "+++"):
		case strings.HasPrefix(line, "-"):
			removed = append(removed, line[1:])
		case strings.HasPrefix(line, "+"):
			added = append(added, line[1:])
		}
	}
	return removed, added
}

// Plan adds to p what deploying next in place of the live task definition
// (liveARN, as described) would change: the live task definition and the
// image of the container that would run img, the image change, and the
// diff. resolve names a live image given by tag by its digest ("" when it
// cannot), so that both sides name images by digest.
func Plan(p *plan.Plan, liveARN string, live *types.TaskDefinition, next *ecs.RegisterTaskDefinitionInput, img string, resolve func(ref string) string) {
	var liveImage string
	for _, c := range next.ContainerDefinitions {
		for _, l := range live.ContainerDefinitions {
			if aws.ToString(c.Image) == img && aws.ToString(l.Name) == aws.ToString(c.Name) {
				liveImage = aws.ToString(l.Image)
			}
		}
	}
	images := map[string]string{}
	if liveImage != "" && !strings.Contains(liveImage, "@sha256:") {
		if digest := resolve(liveImage); digest != "" {
			images[liveImage], liveImage = digest, digest
		}
	}
	p.Live = append(p.Live, plan.Fact{Label: "task definition", Value: liveARN}, plan.Fact{Label: "image", Value: liveImage})
	p.Compare("image", liveImage, img)
	if diff := Diff(live, next, images); diff != "" {
		p.Diffs = append(p.Diffs, plan.Diff{Title: "task definition " + aws.ToString(next.Family), Unified: diff})
	}
}
