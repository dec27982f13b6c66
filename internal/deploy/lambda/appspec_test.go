package lambda

import (
	"errors"
	"strings"
	"testing"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/deploy"
)

func TestParseHooks(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		in       string
		want     string // the hooks, event=function joined by ","
		wantLine int
		wantErr  string
	}{
		{"hooks", "version: 0.0\nHooks:\n  - BeforeAllowTraffic: pre\n  - AfterAllowTraffic: post\n", "BeforeAllowTraffic=pre,AfterAllowTraffic=post", 0, ""},
		{"json", `{"version": "0.0", "Hooks": [{"BeforeAllowTraffic": "pre"}]}`, "BeforeAllowTraffic=pre", 0, ""},
		{"no hooks", "version: 0.0\n", "", 0, ""},
		{"ECS hook", "version: 0.0\nHooks:\n  - AfterAllowTestTraffic: t\n", "", 3, "AfterAllowTestTraffic is not a hook of a Lambda deployment"},
		{"resources", "version: 0.0\nResources:\n  - web: {}\n", "", 2, "Resources are written by the action"},
		{"version", "version: 1\n", "", 1, "version must be 0.0"},
		{"empty function", "Hooks:\n  - BeforeAllowTraffic: \"\"\n", "", 2, "must name a Lambda function"},
		{"not a mapping", "- a\n", "", 0, "must be a YAML mapping"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			hooks, err := parseHooks("appspec.yaml", []byte(tt.in))
			if tt.wantErr != "" {
				var ae *deploy.AppSpecError
				if !errors.As(err, &ae) || !strings.Contains(err.Error(), tt.wantErr) || ae.Line != tt.wantLine {
					t.Fatalf("got error %v, want an AppSpecError at line %d containing %q", err, tt.wantLine, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, h := range hooks {
				for event, fn := range h {
					got = append(got, event+"="+fn)
				}
			}
			if strings.Join(got, ",") != tt.want {
				t.Errorf("hooks %v, want %s", got, tt.want)
			}
		})
	}
}

func TestRenderAppSpec(t *testing.T) {
	t.Parallel()
	got, err := renderAppSpec("web", "live", "1", "2", []map[string]string{{"BeforeAllowTraffic": "pre"}})
	if err != nil {
		t.Fatal(err)
	}
	want := `version: "0.0"
Resources:
    - web:
        Type: AWS::Lambda::Function
        Properties:
            Name: web
            Alias: live
            CurrentVersion: "1"
            TargetVersion: "2"
Hooks:
    - BeforeAllowTraffic: pre
`
	if string(got) != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}
