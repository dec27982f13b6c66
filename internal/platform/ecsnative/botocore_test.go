package ecsnative_test

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
)

// ecsModel is botocore's ECS model, the reference every request the driver
// sends is checked against.
const ecsModel = "/root/.pyenv/versions/3.11.7/lib/python3.11/site-packages/botocore/data/ecs/2014-11-13/service-2.json.gz"

type shape struct {
	Type     string            `json:"type"`
	Required []string          `json:"required"`
	Members  map[string]member `json:"members"`
	Member   *member           `json:"member"`
	Key      *member           `json:"key"`
	Value    *member           `json:"value"`
	Enum     []string          `json:"enum"`
	Min      *float64          `json:"min"`
	Max      *float64          `json:"max"`
}

type member struct {
	Shape string `json:"shape"`
}

type model struct {
	Operations map[string]struct {
		Input *member `json:"input"`
	} `json:"operations"`
	Shapes map[string]shape `json:"shapes"`
}

// loadModel reads botocore's ECS model; without it (no botocore on the
// machine) the test is skipped, or fails in CI.
func loadModel(t testing.TB) *model {
	t.Helper()
	f, err := os.Open(ecsModel)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("botocore's ecs model is required in CI: %v", err)
		}
		t.Skipf("no botocore ecs model: %v", err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	var m model
	if err := json.NewDecoder(zr).Decode(&m); err != nil {
		t.Fatal(err)
	}
	return &m
}

// check returns what in the JSON request body of operation op breaks the
// model: unknown operations and members, missing required members, values
// of the wrong type, enum values not in the enum, lengths and ranges
// outside min and max.
func (m *model) check(op string, body []byte) []string {
	o, ok := m.Operations[op]
	if !ok {
		return []string{"unknown operation " + op}
	}
	var v any
	d := json.NewDecoder(bytes.NewReader(body))
	d.UseNumber()
	if err := d.Decode(&v); err != nil {
		return []string{fmt.Sprintf("%s: body is not JSON: %v", op, err)}
	}
	var problems []string
	m.value(op, o.Input.Shape, v, &problems)
	return problems
}

func (m *model) value(path, name string, v any, problems *[]string) {
	s, ok := m.Shapes[name]
	if !ok {
		*problems = append(*problems, fmt.Sprintf("%s: shape %s not in the model", path, name))
		return
	}
	fail := func(format string, args ...any) {
		*problems = append(*problems, path+": "+fmt.Sprintf(format, args...))
	}
	bound := func(n float64, what string) {
		if s.Min != nil && n < *s.Min {
			fail("%s %v below min %v", what, n, *s.Min)
		}
		if s.Max != nil && n > *s.Max {
			fail("%s %v above max %v", what, n, *s.Max)
		}
	}
	switch s.Type {
	case "structure":
		obj, ok := v.(map[string]any)
		if !ok {
			fail("want an object (%s), got %T", name, v)
			return
		}
		for _, r := range s.Required {
			if _, ok := obj[r]; !ok {
				fail("required member %s missing", r)
			}
		}
		keys := make([]string, 0, len(obj))
		for k := range obj {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			mem, ok := s.Members[k]
			if !ok {
				fail("unknown member %s of %s", k, name)
				continue
			}
			m.value(path+"."+k, mem.Shape, obj[k], problems)
		}
	case "list":
		list, ok := v.([]any)
		if !ok {
			fail("want a list, got %T", v)
			return
		}
		bound(float64(len(list)), "length")
		for i, e := range list {
			m.value(fmt.Sprintf("%s[%d]", path, i), s.Member.Shape, e, problems)
		}
	case "map":
		obj, ok := v.(map[string]any)
		if !ok {
			fail("want a map, got %T", v)
			return
		}
		for k, e := range obj {
			m.value(path+"{"+k+"}", s.Value.Shape, e, problems)
		}
	case "string":
		str, ok := v.(string)
		if !ok {
			fail("want a string, got %T", v)
			return
		}
		if len(s.Enum) > 0 && !slices.Contains(s.Enum, str) {
			fail("%q is not one of %v", str, s.Enum)
		}
		bound(float64(len(str)), "length")
	case "integer", "long", "double", "float":
		n, ok := v.(json.Number)
		if !ok {
			fail("want a number, got %T", v)
			return
		}
		f, _ := n.Float64()
		if (s.Type == "integer" || s.Type == "long") && strings.ContainsAny(n.String(), ".eE") {
			fail("want a whole number, got %s", n)
		}
		bound(f, "value")
	case "boolean":
		if _, ok := v.(bool); !ok {
			fail("want true or false, got %T", v)
		}
	case "timestamp":
		if _, ok := v.(json.Number); !ok {
			fail("want a timestamp (epoch seconds), got %T", v)
		}
	default:
		fail("shape type %s not checked", s.Type)
	}
}

// requestLog is an HTTP client that keeps the ECS requests it sends: the
// operation (X-Amz-Target) and the JSON body.
type requestLog struct {
	mu   sync.Mutex
	reqs []sentRequest
}

type sentRequest struct {
	op   string
	body []byte
}

func (l *requestLog) Do(r *http.Request) (*http.Response, error) {
	if target := r.Header.Get("X-Amz-Target"); strings.HasPrefix(target, "AmazonEC2ContainerServiceV20141113.") && r.Body != nil {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return nil, err
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		l.mu.Lock()
		l.reqs = append(l.reqs, sentRequest{op: strings.TrimPrefix(target, "AmazonEC2ContainerServiceV20141113."), body: body})
		l.mu.Unlock()
	}
	return http.DefaultClient.Do(r)
}

// checkRequests fails the test for every sent request that breaks
// botocore's model, and returns the operations seen.
func (l *requestLog) checkRequests(t testing.TB) map[string]int {
	t.Helper()
	m := loadModel(t)
	l.mu.Lock()
	defer l.mu.Unlock()
	ops := map[string]int{}
	for _, r := range l.reqs {
		ops[r.op]++
		for _, p := range m.check(r.op, r.body) {
			t.Errorf("%s request breaks botocore's ecs model: %s\n%s", r.op, p, r.body)
		}
	}
	return ops
}

func TestModelCheckCatches(t *testing.T) {
	t.Parallel()
	m := loadModel(t)
	for body, want := range map[string]string{
		`{"serviceDeploymentArn":"arn","stopType":"HALT"}`:    `"HALT" is not one of`,
		`{"stopType":"ROLLBACK"}`:                             "required member serviceDeploymentArn missing",
		`{"serviceDeploymentArn":"arn","stopTyp":"ROLLBACK"}`: "unknown member stopTyp",
		`{"serviceDeploymentArn":7}`:                          "want a string",
	} {
		got := strings.Join(m.check("StopServiceDeployment", []byte(body)), "; ")
		if !strings.Contains(got, want) {
			t.Errorf("%s: got %q, want %q", body, got, want)
		}
	}
	if p := m.check("StopServiceDeployment", []byte(`{"serviceDeploymentArn":"arn","stopType":"ROLLBACK"}`)); len(p) > 0 {
		t.Errorf("a valid request: %v", p)
	}
}
