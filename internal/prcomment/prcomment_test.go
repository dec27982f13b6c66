package prcomment

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// fakeIssues is the GitHub API's issue comment endpoints for one
// repository, with comments held in memory and listed in pages with a Link
// header, as the API pages them.
type fakeIssues struct {
	mu       sync.Mutex
	comments map[int][]*comment // by pull request number
	nextID   int64
	calls    []string // "METHOD path"
}

type comment struct {
	ID      int64  `json:"id"`
	Body    string `json:"body"`
	HTMLURL string `json:"html_url"`
}

func (f *fakeIssues) serve(t *testing.T, prefix string) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.calls = append(f.calls, r.Method+" "+r.URL.Path)
		if got := r.Header.Get("Authorization"); got != "Bearer ghs_token" {
			t.Errorf("%s %s: Authorization %q", r.Method, r.URL.Path, got)
		}
		parts := strings.Split(strings.TrimPrefix(r.URL.Path, prefix+"/repos/acme/shop/issues/"), "/")
		var in comment
		if r.Method != http.MethodGet {
			if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
				t.Errorf("%s %s: body is not JSON: %v", r.Method, r.URL.Path, err)
			}
		}
		switch {
		case len(parts) == 2 && parts[1] == "comments" && r.Method == http.MethodGet:
			pr, _ := strconv.Atoi(parts[0])
			per, _ := strconv.Atoi(r.URL.Query().Get("per_page"))
			page, _ := strconv.Atoi(r.URL.Query().Get("page"))
			page = max(page, 1)
			all := f.comments[pr]
			from, to := min((page-1)*per, len(all)), min(page*per, len(all))
			if to < len(all) {
				w.Header().Set("Link", fmt.Sprintf(`<http://%s%s?per_page=%d&page=%d>; rel="next"`, r.Host, r.URL.Path, per, page+1))
			}
			json.NewEncoder(w).Encode(all[from:to])
		case len(parts) == 2 && parts[1] == "comments" && r.Method == http.MethodPost:
			pr, _ := strconv.Atoi(parts[0])
			f.nextID++
			c := &comment{ID: f.nextID, Body: in.Body, HTMLURL: fmt.Sprintf("https://github.com/acme/shop/pull/%d#issuecomment-%d", pr, f.nextID)}
			f.comments[pr] = append(f.comments[pr], c)
			w.WriteHeader(http.StatusCreated)
			json.NewEncoder(w).Encode(c)
		case len(parts) == 2 && parts[0] == "comments" && r.Method == http.MethodPatch:
			id, _ := strconv.ParseInt(parts[1], 10, 64)
			for _, list := range f.comments {
				for _, c := range list {
					if c.ID == id {
						c.Body = in.Body
						json.NewEncoder(w).Encode(c)
						return
					}
				}
			}
			http.Error(w, `{"message": "Not Found"}`, http.StatusNotFound)
		default:
			http.Error(w, `{"message": "Not Found"}`, http.StatusNotFound)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

// bodies returns the bodies of pull request pr's comments.
func (f *fakeIssues) bodies(pr int) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, c := range f.comments[pr] {
		out = append(out, c.Body)
	}
	return out
}

func TestUpsert(t *testing.T) {
	t.Parallel()
	for name, prefix := range map[string]string{"github.com": "", "enterprise server": "/api/v3"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			f := &fakeIssues{comments: map[int][]*comment{}, nextID: 1000}
			// 150 comments of people and other targets: the plan's own lands on the second page.
			for i := range 150 {
				f.comments[7] = append(f.comments[7], &comment{ID: int64(i + 1), Body: fmt.Sprintf("looks good %d", i)})
			}
			f.comments[7] = append(f.comments[7], &comment{ID: 500, Body: Marker("staging") + "\nthe staging plan"})
			srv := f.serve(t, prefix)
			c, err := New(srv.Client(), srv.URL+prefix, "ghs_token", "acme/shop")
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()

			first, err := c.Upsert(ctx, 7, "production", "### Plan: 1 change")
			if err != nil {
				t.Fatalf("first Upsert: %v", err)
			}
			if !first.Created || first.ID != 1001 || first.URL != "https://github.com/acme/shop/pull/7#issuecomment-1001" {
				t.Errorf("first Upsert = %+v, want comment 1001 created", first)
			}
			second, err := c.Upsert(ctx, 7, "production", "### Plan: no changes")
			if err != nil {
				t.Fatalf("second Upsert: %v", err)
			}
			if second.Created || second.ID != first.ID {
				t.Errorf("second Upsert = %+v, want comment %d edited", second, first.ID)
			}

			var marked []string
			for _, b := range f.bodies(7) {
				if strings.HasPrefix(b, "<!-- bluegreen-deploy plan:") {
					marked = append(marked, b)
				}
			}
			want := []string{Marker("staging") + "\nthe staging plan", Marker("production") + "\n### Plan: no changes"}
			if fmt.Sprint(marked) != fmt.Sprint(want) {
				t.Errorf("marked comments = %q, want %q", marked, want)
			}
			if n := len(f.bodies(7)); n != 152 {
				t.Errorf("pull request has %d comments, want 152 (150 + staging + production)", n)
			}
			f.mu.Lock()
			calls := f.calls
			f.mu.Unlock()
			wantCalls := []string{
				"GET " + prefix + "/repos/acme/shop/issues/7/comments", "GET " + prefix + "/repos/acme/shop/issues/7/comments",
				"POST " + prefix + "/repos/acme/shop/issues/7/comments",
				"GET " + prefix + "/repos/acme/shop/issues/7/comments", "GET " + prefix + "/repos/acme/shop/issues/7/comments",
				"PATCH " + prefix + "/repos/acme/shop/issues/comments/1001",
			}
			if fmt.Sprint(calls) != fmt.Sprint(wantCalls) {
				t.Errorf("calls:\n got %q\nwant %q", calls, wantCalls)
			}
		})
	}
}

func TestUpsertErrors(t *testing.T) {
	t.Parallel()
	f := &fakeIssues{comments: map[int][]*comment{}}
	srv := f.serve(t, "")
	if _, err := New(srv.Client(), srv.URL, "ghs_token", "no-slash"); err == nil {
		t.Error("New(repository without owner) succeeded, want an error")
	}
	c, err := New(srv.Client(), srv.URL, "ghs_token", "acme/other")
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Upsert(context.Background(), 7, "production", "plan")
	if err == nil || !strings.Contains(err.Error(), "reading the comments of pull request #7") || !strings.Contains(err.Error(), "404") {
		t.Errorf("Upsert on a missing repository: err = %v, want the wrapped 404", err)
	}
}

func TestMarker(t *testing.T) {
	t.Parallel()
	if got, want := Marker("ECS prod/web"), "<!-- bluegreen-deploy plan: ECS prod/web -->"; got != want {
		t.Errorf("Marker = %q, want %q", got, want)
	}
	if got := Marker("a-->b"); strings.Count(got, "-->") != 1 || !strings.HasSuffix(got, " -->") {
		t.Errorf("Marker(a-->b) = %q: the key ends the HTML comment early", got)
	}
}

func TestPullRequest(t *testing.T) {
	t.Parallel()
	tests := []struct {
		event, payload string
		want           int
		ok, err        bool
	}{
		{"pull_request", `{"action": "synchronize", "number": 7, "pull_request": {"number": 7, "head": {"sha": "abc"}}}`, 7, true, false},
		{"pull_request_target", `{"pull_request": {"number": 12}}`, 12, true, false},
		{"push", `{"ref": "refs/heads/main"}`, 0, false, false},
		{"pull_request", `{"action": "opened"}`, 0, false, true},
		{"pull_request", `not json`, 0, false, true},
	}
	for _, tt := range tests {
		got, ok, err := PullRequest(tt.event, []byte(tt.payload))
		if got != tt.want || ok != tt.ok || (err != nil) != tt.err {
			t.Errorf("PullRequest(%s, %s) = %d, %v, %v; want %d, %v, error %v", tt.event, tt.payload, got, ok, err, tt.want, tt.ok, tt.err)
		}
	}
}
