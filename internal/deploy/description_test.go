package deploy_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/deploy"
)

func TestDescription(t *testing.T) {
	t.Parallel()
	const run = "https://github.com/octo/app/actions/runs/42"
	long := strings.Repeat("é", 400)
	tests := []struct {
		name, text, commit, runURL, want string
	}{
		{"default", "", "0123456789abcdef0123", run, "bluegreen-deploy (commit 0123456789ab, " + run + ")"},
		{"text", "release 1.2", "abc", "", "release 1.2 (commit abc)"},
		{"no context", "release", "", "", "release"},
		{"long", long, "0123456789abcdef", run, strings.Repeat("é", 256-len(" (commit 0123456789ab, "+run+")")-1) + "… (commit 0123456789ab, " + run + ")"},
		{"long alone", long, "", "", strings.Repeat("é", 255) + "…"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := deploy.Description(tt.text, tt.commit, tt.runURL)
			if got != tt.want {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
			if n := utf8.RuneCountInString(got); n > deploy.DescriptionLimit {
				t.Errorf("got %d characters, want at most %d", n, deploy.DescriptionLimit)
			}
		})
	}
}
