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
		run                      deploy.Run
	}{
		{"default", "", "0123456789abcdef0123", "bluegreen-deploy (commit 0123456789ab)", deploy.Run{}},
		{"text", "release 1.2", "abc", "release 1.2 (commit abc)", deploy.Run{}},
		{"no commit", "release", "", "release", deploy.Run{}},
		{"exactly the limit", strings.Repeat("x", 78), "0123456789ab", strings.Repeat("x", 78) + " (commit 0123456789ab)", deploy.Run{}},
		{"long", long, "0123456789abcdef", strings.Repeat("é", 77) + "… (commit 0123456789ab)", deploy.Run{}},
		{"long alone", long, "", strings.Repeat("é", 99) + "…", deploy.Run{}},
		{"run", "release", "0123456789abcdef", "release (commit 0123456789ab, run 9876543210/2)", deploy.Run{ID: 9876543210, Attempt: 2}},
		{"run alone", "", "", "bluegreen-deploy (run 7/1)", deploy.Run{ID: 7, Attempt: 1}},
		{"long with run", long, "0123456789abcdef", strings.Repeat("é", 58) + "… (commit 0123456789ab, run 12345678901/1)", deploy.Run{ID: 12345678901, Attempt: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := deploy.RunDescription(tt.text, tt.commit, tt.run)
			if got != tt.want {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
			if n := utf8.RuneCountInString(got); n > deploy.DescriptionLimit {
				t.Errorf("got %d characters, want at most %d", n, deploy.DescriptionLimit)
			}
		})
	}
}
