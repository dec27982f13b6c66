package ghdeploy

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"
)

// request is one call the fake GitHub API received.
type request struct {
	Method, Path, Auth string
	Body               map[string]any
}

// fakeGitHub serves the deployment endpoints under prefix and records each request.
func fakeGitHub(t *testing.T, prefix string) (*httptest.Server, func() []request) {
	t.Helper()
	var (
		mu   sync.Mutex
		reqs []request
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		data, _ := io.ReadAll(r.Body)
		var body map[string]any
		if len(data) > 0 {
			if err := json.Unmarshal(data, &body); err != nil {
				t.Errorf("%s %s: body is not JSON: %v", r.Method, r.URL.Path, err)
			}
		}
		mu.Lock()
		reqs = append(reqs, request{r.Method, r.URL.Path, r.Header.Get("Authorization"), body})
		mu.Unlock()
		path := strings.TrimPrefix(r.URL.Path, prefix)
		switch {
		case r.Method == http.MethodPost && path == "/repos/acme/shop/deployments":
			w.WriteHeader(http.StatusCreated)
			io.WriteString(w, `{"id": 4242, "sha": "abc"}`)
		case r.Method == http.MethodPost && strings.HasPrefix(path, "/repos/acme/shop/deployments/") && strings.HasSuffix(path, "/statuses"):
			w.WriteHeader(http.StatusCreated)
			io.WriteString(w, `{"id": 1, "state": "in_progress"}`)
		default:
			http.Error(w, `{"message": "Not Found"}`, http.StatusNotFound)
		}
	}))
	t.Cleanup(srv.Close)
	return srv, func() []request {
		mu.Lock()
		defer mu.Unlock()
		return append([]request(nil), reqs...)
	}
}

func TestDeployments(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		prefix string // the API root's path: "" on github.com, /api/v3 on Enterprise Server
	}{
		"github.com":        {prefix: ""},
		"enterprise server": {prefix: "/api/v3"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			srv, requests := fakeGitHub(t, tt.prefix)
			d, err := New(srv.Client(), srv.URL+tt.prefix, "ghs_token", "acme/shop")
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			id, err := d.Create(ctx, "9f3c2ab1", "production", "CodeDeploy shop/web")
			if err != nil {
				t.Fatalf("Create: %v", err)
			}
			if id != 4242 {
				t.Errorf("Create() = %d, want 4242", id)
			}
			if err := d.SetStatus(ctx, id, Status{State: "in_progress", Description: "deploying", LogURL: "https://github.com/acme/shop/actions/runs/7"}); err != nil {
				t.Fatalf("SetStatus: %v", err)
			}
			if err := d.SetStatus(ctx, id, Status{State: "success", Description: "done", LogURL: "https://github.com/acme/shop/actions/runs/7", EnvironmentURL: "https://shop.example.com", AutoInactive: true}); err != nil {
				t.Fatalf("SetStatus: %v", err)
			}
			want := []request{
				{"POST", tt.prefix + "/repos/acme/shop/deployments", "Bearer ghs_token", map[string]any{
					"ref": "9f3c2ab1", "task": "deploy", "auto_merge": false, "required_contexts": []any{},
					"environment": "production", "description": "CodeDeploy shop/web",
				}},
				{"POST", tt.prefix + "/repos/acme/shop/deployments/4242/statuses", "Bearer ghs_token", map[string]any{
					"state": "in_progress", "description": "deploying", "log_url": "https://github.com/acme/shop/actions/runs/7", "auto_inactive": false,
				}},
				{"POST", tt.prefix + "/repos/acme/shop/deployments/4242/statuses", "Bearer ghs_token", map[string]any{
					"state": "success", "description": "done", "log_url": "https://github.com/acme/shop/actions/runs/7",
					"environment_url": "https://shop.example.com", "auto_inactive": true,
				}},
			}
			if got := requests(); !reflect.DeepEqual(got, want) {
				t.Errorf("requests:\n got %+v\nwant %+v", got, want)
			}
		})
	}
}

func TestDeploymentsErrors(t *testing.T) {
	t.Parallel()
	srv, _ := fakeGitHub(t, "")
	if _, err := New(srv.Client(), srv.URL, "t", "no-slash"); err == nil {
		t.Error("New(repository without owner) succeeded, want an error")
	}
	d, err := New(srv.Client(), srv.URL, "t", "acme/other")
	if err != nil {
		t.Fatal(err)
	}
	_, err = d.Create(context.Background(), "abc", "production", "")
	if err == nil || !strings.Contains(err.Error(), `creating the GitHub deployment of abc to "production"`) || !strings.Contains(err.Error(), "404") {
		t.Errorf("Create() on a missing repository: err = %v, want the wrapped 404", err)
	}
	err = d.SetStatus(context.Background(), 9, Status{State: "failure"})
	if err == nil || !strings.Contains(err.Error(), "setting GitHub deployment 9 to failure") {
		t.Errorf("SetStatus() on a missing repository: err = %v, want the wrapped 404", err)
	}
}

func TestTruncate(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("é", 100) // 200 bytes
	got := truncate(long, 140)
	if len(got) > 140 || !utf8.ValidString(got) || !strings.HasSuffix(got, "...") || !strings.HasPrefix(long, strings.TrimSuffix(got, "...")) {
		t.Errorf("truncate(200 bytes, 140) = %q (%d bytes), want a valid prefix with ... under 140 bytes", got, len(got))
	}
	if got := truncate("short", 140); got != "short" {
		t.Errorf("truncate(short) = %q", got)
	}
}
