package usage

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/config"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/exitcode"
)

func TestParseActionYAML(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile("../../action.yml")
	if err != nil {
		t.Fatal(err)
	}
	m, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Inputs) != len(config.Inputs) {
		t.Fatalf("%d inputs in action.yml, %d in config.Inputs", len(m.Inputs), len(config.Inputs))
	}
	for i, in := range m.Inputs {
		if in.Name != config.Inputs[i].Name || in.Default != config.Inputs[i].Default || in.Description == "" || strings.Contains(in.Description, "\n") {
			t.Errorf("input %d = %+v, want %+v with a one-line description", i, in, config.Inputs[i])
		}
	}
}

func TestHandle(t *testing.T) {
	t.Parallel()
	yml := []byte("name: x\ndescription: does x\ninputs:\n  on-ready:\n    description: what to do\n    default: continue\n")
	tests := []struct {
		args     []string
		wantCode int
		wantDone bool
		want     string
	}{
		{nil, 0, false, ""},
		{[]string{"--version"}, exitcode.OK, true, "bluegreen-deploy v1\n"},
		{[]string{"-h"}, exitcode.OK, true, "on-ready  INPUT_ON-READY  continue  what to do"},
		{[]string{"--nope"}, exitcode.BadInput, true, "not arguments"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			t.Parallel()
			var out bytes.Buffer
			code, done := Handle(tt.args, yml, "v1", &out)
			if code != tt.wantCode || done != tt.wantDone || !strings.Contains(out.String(), tt.want) {
				t.Errorf("Handle(%q) = %d, %v, %q; want %d, %v, with %q", tt.args, code, done, out.String(), tt.wantCode, tt.wantDone, tt.want)
			}
		})
	}
}
