package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestHandler(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name       string
		env        map[string]string
		path       string
		wantStatus int
		wantBody   string
	}{
		{"version", map[string]string{"APP_VERSION": "v2"}, "/", 200, "v2\n"},
		{"default version", nil, "/", 200, "dev\n"},
		{"healthy", map[string]string{"APP_VERSION": "v2"}, "/health", 200, "ok\n"},
		{"unhealthy", map[string]string{"HEALTHY": "false"}, "/health", 503, "unhealthy\n"},
		{"unhealthy still answers its version", map[string]string{"HEALTHY": "false", "APP_VERSION": "v3"}, "/", 200, "v3\n"},
		{"health path", map[string]string{"HEALTH_PATH": "/ready"}, "/ready", 200, "ok\n"},
		{"other paths", nil, "/nope", 404, "404 page not found\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var logs strings.Builder
			srv := httptest.NewServer(handler(func(k string) string { return tc.env[k] }, &logs))
			defer srv.Close()
			resp, err := http.Get(srv.URL + tc.path)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tc.wantStatus || string(body) != tc.wantBody {
				t.Errorf("GET %s = %d %q, want %d %q", tc.path, resp.StatusCode, body, tc.wantStatus, tc.wantBody)
			}
			if tc.wantStatus == 503 && !strings.Contains(logs.String(), "health check failed") {
				t.Errorf("log = %q, want the failed health check logged", logs.String())
			}
		})
	}
}
