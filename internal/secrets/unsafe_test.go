package secrets

import (
	"strings"
	"testing"
)

func TestUnsafeEnv(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		unsafe bool
	}{
		{"PATH", true}, {"Path", true}, {"path", true},
		{"LD_PRELOAD", true}, {"ld_library_path", true}, {"LD_AUDIT", true},
		{"BASH_ENV", true}, {"ENV", true}, {"NODE_OPTIONS", true}, {"node_options", true},
		{"GITHUB_TOKEN", true}, {"github_env", true}, {"RUNNER_TEMP", true}, {"ACTIONS_RUNTIME_TOKEN", true},
		{"DYLD_INSERT_LIBRARIES", true}, {"HOME", true}, {"IFS", true}, {"PS4", true},
		{"PATH_PREFIX", false}, {"MYPATH", false}, {"GITHUB", false}, {"ENVIRONMENT", false},
		{"DB_URL", false}, {"LD", false}, {"HOMEPAGE", false},
	}
	for _, tt := range tests {
		if got := unsafeEnv(tt.name) != ""; got != tt.unsafe {
			t.Errorf("unsafeEnv(%q) = %v, want %v", tt.name, got, tt.unsafe)
		}
	}
}

func TestCheckUnsafe(t *testing.T) {
	t.Parallel()
	tests := []struct {
		lines     []string
		parseJSON bool
		export    bool
		want      string // "" for no error
	}{
		{lines: []string{"PATH,prod/x"}, export: true, want: `input "secrets": line 1: secret "prod/x" would set PATH for later steps (the command search path of every later step): give it an alias`},
		{lines: []string{"db", "ld_preload"}, export: true, want: `line 2: secret "ld_preload" would set LD_PRELOAD`},
		{lines: []string{"path,prod/x"}, export: true, want: "would set PATH"},
		{lines: []string{"github/token"}, export: true, want: `secret "github/token" would set GITHUB_TOKEN`},
		{lines: []string{"RUNNER_X,app/*"}, export: true, want: `secret "app/*" would set RUNNER_X`},
		{lines: []string{"GITHUB_TOKEN,prod/x"}, parseJSON: true, export: true, want: "would set GITHUB_TOKEN"},
		{lines: []string{"PATH,prod/x"}},                                  // not exported
		{lines: []string{"PATH,prod/x"}, parseJSON: true, export: true},   // a JSON object would export PATH_<key>: known after fetching
		{lines: []string{"PATH,app/*"}, export: true},                     // PATH_<rest>, or PATH for app/ itself: after fetching
		{lines: []string{"GITHUB,prod/x"}, parseJSON: true, export: true}, // GITHUB is safe; its keys are checked after fetching
		{lines: []string{"app/*"}, export: true},
		{lines: []string{"arn:aws:secretsmanager:us-east-1:123456789012:secret:PATH-AbCdEf"}, export: true},
		{lines: []string{"DB,prod/x"}, export: true},
	}
	for _, tt := range tests {
		in := input(t, tt.parseJSON, tt.lines...)
		in.Export = tt.export
		err := Check(in)
		if tt.want == "" && err != nil || tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)) {
			t.Errorf("Check(%q, json %v, export %v) = %v, want %q", tt.lines, tt.parseJSON, tt.export, err, tt.want)
		}
	}
}

func TestFetchRefusesUnsafe(t *testing.T) {
	t.Parallel()
	tests := []struct {
		lines  []string
		json   bool
		export bool
		want   string
	}{
		{lines: []string{"app/*"}, export: true, want: `secret "app/path" would set PATH`},
		{lines: []string{"ld"}, json: true, export: true, want: `secret "ld" key "preload" would set LD_PRELOAD`},
		{lines: []string{"GITHUB,cfg"}, json: true, export: true, want: `secret "cfg" key "token" would set GITHUB_TOKEN`},
		{lines: []string{"arn:aws:secretsmanager:us-east-1:123456789012:secret:path-AbCdEf"}, export: true, want: `secret "path" would set PATH`},
		{lines: []string{"app/*"}},
		{lines: []string{"ld"}, json: true},
	}
	for _, tt := range tests {
		sm := (&fakeSM{region: "us-east-1"}).add("app/path", "/evil").add("cfg", `{"token":"t"}`).
			add("ld", `{"preload":"/x.so"}`).add("path", "/evil")
		in := input(t, tt.json, tt.lines...)
		in.Export = tt.export
		res, err := fetchFrom(map[string]*fakeSM{"us-east-1": sm}, in)
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("Fetch(%q) = %v, want no error", tt.lines, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("Fetch(%q) = %v, want %q", tt.lines, err, tt.want)
		case tt.want != "" && res != nil:
			t.Errorf("Fetch(%q) returned variables with its error", tt.lines)
		}
	}
}
