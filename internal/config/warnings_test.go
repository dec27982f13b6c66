package config

import (
	"reflect"
	"testing"
)

func TestInputWarnings(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		environ []string
		want    []string
	}{
		{"runner spelling", []string{"INPUT_ON-READY=pause", "INPUT_PARSE-JSON-SECRETS=true"}, nil},
		{"underscore outside the runner", []string{"INPUT_ON_READY=pause"}, nil},
		{"typo", []string{"INPUT_ON_READDY=pause"},
			[]string{"INPUT_ON_READDY names no input of the action: did you mean on-ready (INPUT_ON-READY)?"}},
		{"typo, hyphens", []string{"INPUT_CODEDEPLOY-APP=web"},
			[]string{"INPUT_CODEDEPLOY-APP names no input of the action: did you mean codedeploy-application (INPUT_CODEDEPLOY-APPLICATION)?"}},
		{"both spellings", []string{"INPUT_ON_READY=pause", "INPUT_ON-READY=continue"},
			[]string{"both INPUT_ON-READY and INPUT_ON_READY are set: INPUT_ON-READY is used"}},
		{"underscore under the runner", []string{"GITHUB_ACTIONS=true", "INPUT_ON_READY=pause"},
			[]string{"INPUT_ON_READY is not read under the runner: input on-ready is passed as INPUT_ON-READY (with: on-ready)"}},
		{"one-word input", []string{"INPUT_WAIT=false", "PATH=/bin"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := InputWarnings(tt.environ); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("InputWarnings(%q) = %q, want %q", tt.environ, got, tt.want)
			}
		})
	}
}

func TestUnderscoreSpelling(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		env  map[string]string
		want OnReady
	}{
		{"underscore outside the runner", map[string]string{"INPUT_ON_READY": "pause"}, "pause"},
		{"hyphen wins", map[string]string{"INPUT_ON_READY": "pause", "INPUT_ON-READY": "continue"}, "continue"},
		{"underscore under the runner", map[string]string{"INPUT_ON_READY": "pause", "GITHUB_ACTIONS": "true"}, "continue"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.env["GITHUB_WORKSPACE"] = t.TempDir()
			tt.env["INPUT_SECRETS"], tt.env["AWS_REGION"] = "app/db", "eu-west-1" // something to do
			c, err := Load(func(k string) string { return tt.env[k] }, nil)
			if err != nil {
				t.Fatal(err)
			}
			if c.Deploy.OnReady != tt.want {
				t.Errorf("on-ready = %q, want %q", c.Deploy.OnReady, tt.want)
			}
		})
	}
}
