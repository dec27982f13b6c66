package ecs

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/deploy"
)

// TaskDefinitionError is a problem in a task definition file, at a line and
// column (0: the whole file).
type TaskDefinitionError struct {
	File         string
	Line, Column int
	Problem      string
}

func (e *TaskDefinitionError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Column, e.Problem)
	}
	return fmt.Sprintf("%s: %s", e.File, e.Problem)
}

// Location is the file and line to blame.
func (e *TaskDefinitionError) Location() (string, int) { return e.File, e.Line }

// readOnlyTaskDefinitionFields are what DescribeTaskDefinition adds to a
// task definition. A file saved from describe-task-definition has them;
// they are dropped rather than refused.
var readOnlyTaskDefinitionFields = map[string]bool{
	"taskDefinitionArn": true, "revision": true, "status": true, "requiresAttributes": true,
	"compatibilities": true, "registeredAt": true, "registeredBy": true, "deregisteredAt": true,
	"deleteRequestedAt": true,
}

// LoadTaskDefinition reads a task definition file: the JSON that
// `aws ecs register-task-definition --cli-input-json` takes (the read-only
// fields of describe-task-definition's answer are dropped). Unknown fields,
// bad JSON and values of the wrong type are a *TaskDefinitionError with the
// line and column.
func LoadTaskDefinition(file string) (*ecs.RegisterTaskDefinitionInput, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("reading task definition: %w", err)
	}
	return ParseTaskDefinition(file, data)
}

// ParseTaskDefinition is LoadTaskDefinition of data read from file.
func ParseTaskDefinition(file string, data []byte) (*ecs.RegisterTaskDefinitionInput, error) {
	fail := func(offset int64, format string, args ...any) error {
		e := &TaskDefinitionError{File: file, Problem: fmt.Sprintf(format, args...)}
		if offset >= 0 {
			e.Line, e.Column = position(data, offset)
		}
		return e
	}
	w := &keyWalker{dec: json.NewDecoder(bytes.NewReader(data)), data: data}
	w.dec.UseNumber()
	first, err := w.dec.Token()
	switch {
	case err == io.EOF:
		return nil, fail(-1, "is empty: expected a JSON object like register-task-definition's input")
	case err != nil:
		return nil, syntaxError(fail, err)
	case first != json.Delim('{'):
		return nil, fail(w.dec.InputOffset(), "expected a JSON object like register-task-definition's input")
	}
	if err := w.object(reflect.TypeFor[ecs.RegisterTaskDefinitionInput](), true); err != nil {
		return nil, syntaxError(fail, err)
	}
	if _, err := w.dec.Token(); err != io.EOF {
		return nil, fail(w.dec.InputOffset(), "unexpected data after the task definition's closing brace")
	}

	in := &ecs.RegisterTaskDefinitionInput{}
	if err := json.Unmarshal(data, in); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return nil, fail(te.Offset, "%s: a JSON %s where %s is expected", wirePath(te.Field), te.Value, jsonKind(te.Type))
		}
		return nil, fail(-1, "%v", err)
	}
	switch {
	case aws.ToString(in.Family) == "":
		return nil, fail(-1, "has no family")
	case len(in.ContainerDefinitions) == 0:
		return nil, fail(-1, "has no containerDefinitions")
	}
	return in, nil
}

// syntaxError turns a JSON syntax or unknown-field error into a file error.
func syntaxError(fail func(int64, string, ...any) error, err error) error {
	var se *json.SyntaxError
	var uk *unknownFieldError
	switch {
	case errors.As(err, &uk):
		return fail(uk.offset, "unknown field %q%s", uk.name, uk.hint)
	case errors.As(err, &se):
		return fail(se.Offset, "not valid JSON: %s", strings.TrimPrefix(se.Error(), "json: "))
	case errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF):
		return fail(-1, "not valid JSON: the file ends inside a value")
	}
	return fail(-1, "not valid JSON: %v", err)
}

// wirePath spells encoding/json's path to a field (Go names) as on the wire.
func wirePath(field string) string {
	parts := strings.Split(field, ".")
	for i, p := range parts {
		parts[i] = lowerFirst(p)
	}
	return strings.Join(parts, ".")
}

// jsonKind says in words what JSON a Go type takes.
func jsonKind(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int32, reflect.Int64, reflect.Int:
		return "a whole number"
	case reflect.Slice:
		return "a list"
	case reflect.Struct, reflect.Map:
		return "an object"
	}
	return t.String()
}

// position turns a byte offset into a 1-based line and column.
func position(data []byte, offset int64) (line, col int) {
	offset = min(max(offset, 0), int64(len(data)))
	before := data[:offset]
	line = 1 + bytes.Count(before, []byte("\n"))
	col = 1 + utf8.RuneCount(before[bytes.LastIndexByte(before, '\n')+1:])
	return line, col
}

type unknownFieldError struct {
	name   string
	hint   string
	offset int64
}

func (e *unknownFieldError) Error() string { return "unknown field " + e.name }

// keyWalker reads JSON tokens alongside a Go type and refuses object keys
// the type has no field for. Keys must be spelled as on the wire (the Go
// field name with a lower-case first letter), where encoding/json would
// accept any case.
type keyWalker struct {
	dec  *json.Decoder
	data []byte
}

// value walks one JSON value for t (nil: anything).
func (w *keyWalker) value(t reflect.Type) error {
	tok, err := w.dec.Token()
	if err != nil {
		return err
	}
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch tok {
	case json.Delim('{'):
		return w.object(t, false)
	case json.Delim('['):
		var elem reflect.Type
		if t != nil && t.Kind() == reflect.Slice {
			elem = t.Elem()
		}
		for w.dec.More() {
			if err := w.value(elem); err != nil {
				return err
			}
		}
		_, err := w.dec.Token()
		return err
	}
	return nil
}

// object walks the members of an object whose '{' was read.
func (w *keyWalker) object(t reflect.Type, top bool) error {
	for w.dec.More() {
		tok, err := w.dec.Token()
		if err != nil {
			return err
		}
		key, _ := tok.(string)
		var ft reflect.Type
		switch {
		case top && readOnlyTaskDefinitionFields[key]:
		case t == nil:
		case t.Kind() == reflect.Map:
			ft = t.Elem()
		case t.Kind() == reflect.Struct:
			f, ok := wireField(t, key)
			if !ok {
				end := w.dec.InputOffset()
				start := int64(bytes.LastIndexByte(w.data[:max(end-1, 0)], '"'))
				return &unknownFieldError{name: key, hint: suggest(t, key), offset: start}
			}
			ft = f.Type
		}
		if err := w.value(ft); err != nil {
			return err
		}
	}
	_, err := w.dec.Token()
	return err
}

// wireField finds the field of struct t that takes the wire name key.
func wireField(t reflect.Type, key string) (reflect.StructField, bool) {
	for f := range t.Fields() {
		if f.IsExported() && !f.Anonymous && lowerFirst(f.Name) == key {
			return f, true
		}
	}
	return reflect.StructField{}, false
}

// suggest names the field key was probably meant to be.
func suggest(t reflect.Type, key string) string {
	for f := range t.Fields() {
		if f.IsExported() && !f.Anonymous && strings.EqualFold(f.Name, key) {
			return fmt.Sprintf(" (did you mean %q?)", lowerFirst(f.Name))
		}
	}
	return ""
}

func lowerFirst(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	return string(unicode.ToLower(r)) + s[n:]
}

// registerInput is a described task definition as register-task-definition
// takes it: the read-only fields are left behind, and so are Elastic
// Inference accelerators, which AWS no longer offers.
func registerInput(td *types.TaskDefinition) *ecs.RegisterTaskDefinitionInput {
	return &ecs.RegisterTaskDefinitionInput{
		ContainerDefinitions:    td.ContainerDefinitions,
		Family:                  td.Family,
		Cpu:                     td.Cpu,
		EnableFaultInjection:    td.EnableFaultInjection,
		EphemeralStorage:        td.EphemeralStorage,
		ExecutionRoleArn:        td.ExecutionRoleArn,
		IpcMode:                 td.IpcMode,
		Memory:                  td.Memory,
		NetworkMode:             td.NetworkMode,
		PidMode:                 td.PidMode,
		PlacementConstraints:    td.PlacementConstraints,
		ProxyConfiguration:      td.ProxyConfiguration,
		RequiresCompatibilities: td.RequiresCompatibilities,
		RuntimePlatform:         td.RuntimePlatform,
		TaskRoleArn:             td.TaskRoleArn,
		Volumes:                 td.Volumes,
	}
}

// setContainer points container name of td at image and adds the secrets
// as valueFrom references, replacing any of the same name. Other
// containers and the container's other secrets stay as they are.
func setContainer(td *ecs.RegisterTaskDefinitionInput, name, image string, secrets []deploy.SecretRef) error {
	family := aws.ToString(td.Family)
	i := slices.IndexFunc(td.ContainerDefinitions, func(c types.ContainerDefinition) bool { return aws.ToString(c.Name) == name })
	if i < 0 {
		var names []string
		for _, c := range td.ContainerDefinitions {
			names = append(names, fmt.Sprintf("%q", aws.ToString(c.Name)))
		}
		return fmt.Errorf("task definition %q has no container %q (its containers: %s); set container-name", family, name, strings.Join(names, ", "))
	}
	c := &td.ContainerDefinitions[i]
	c.Image = aws.String(image)
	// A copy, so that a described task definition's slices are not changed under it.
	c.Secrets = slices.Clone(c.Secrets)
	for _, s := range secrets {
		if err := s.Check(); err != nil {
			return err
		}
		if slices.ContainsFunc(c.Environment, func(kv types.KeyValuePair) bool { return aws.ToString(kv.Name) == s.Name }) {
			return fmt.Errorf("container %q of task definition %q sets %s in its environment, and %s is also a secret: remove one", name, family, s.Name, s.Name)
		}
		ref := types.Secret{Name: aws.String(s.Name), ValueFrom: aws.String(s.ValueFrom)}
		if j := slices.IndexFunc(c.Secrets, func(x types.Secret) bool { return aws.ToString(x.Name) == s.Name }); j >= 0 {
			c.Secrets[j] = ref
		} else {
			c.Secrets = append(c.Secrets, ref)
		}
	}
	if len(c.Secrets) > 0 && aws.ToString(td.ExecutionRoleArn) == "" {
		return fmt.Errorf("task definition %q has no executionRoleArn: ECS reads container %q's secrets with the task execution role, so one is required", family, name)
	}
	return nil
}
