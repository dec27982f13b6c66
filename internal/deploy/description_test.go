package deploy_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/deploy"
)

func TestDescription(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("é", 400)
	tests := []struct {
		name, text, commit, want string
	}{
		{"default", "", "0123456789abcdef0123", "bluegreen-deploy (commit 0123456789ab)"},
		{"text", "release 1.2", "abc", "release 1.2 (commit abc)"},
		{"no commit", "release", "", "release"},
		{"exactly the limit", strings.Repeat("x", 78), "0123456789ab", strings.Repeat("x", 78) + " (commit 0123456789ab)"},
		{"long", long, "0123456789abcdef", strings.Repeat("é", 77) + "… (commit 0123456789ab)"},
		{"long alone", long, "", strings.Repeat("é", 99) + "…"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := deploy.Description(tt.text, tt.commit)
			if got != tt.want {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
			if n := utf8.RuneCountInString(got); n > deploy.DescriptionLimit {
				t.Errorf("got %d characters, want at most %d", n, deploy.DescriptionLimit)
			}
		})
	}
}
