package codedeploy

import "testing"

func TestHealthPathPattern(t *testing.T) {
	t.Parallel()
	tests := []struct {
		path string
		ok   bool
	}{
		{"/", true},
		{"/healthz", true},
		{"/api/v1/health-check_x.json~", true},
		{"/a%20b", true},
		{"/health?full=1&x=a/b?c", true},
		{"/health'z", true}, // a sub-delim: legal, and the hooks quote it
		{"/@:!$&()*+,;=", true},
		{"", false},
		{"healthz", false},
		{"/a\nb", false},
		{"/a\r", false},
		{"/a b", false},
		{`/a"b`, false},
		{"/a`id`", false},
		{"/a\\b", false},
		{"/a#frag", false},
		{"/a%2", false},
		{"/a%zz", false},
		{"/a<b>", false},
		{"/é", false},
		{"/a\x00", false},
		{"/a|b", false},
		{"/a{b}", false},
		{"/a^b", false},
		{"/-x", true},
	}
	for _, tt := range tests {
		if got := healthPathPattern.MatchString(tt.path); got != tt.ok {
			t.Errorf("health-check-path %q valid = %v, want %v", tt.path, got, tt.ok)
		}
	}
}
