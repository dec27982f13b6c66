package deploytest

import "testing"

func TestYAMLLines(t *testing.T) {
	for _, c := range []struct {
		data  string
		lines int
	}{
		{"", 1},
		{"a: 1\n", 2},
		{"a: 1\r\nb: 2", 2},
		{"a: 1\rb: 2\r", 3},
		{"a\u0085b\u2028c\u2029d", 4},
		{"\xff\xfea\x00\r\x00\n\x00b\x00", 2},        // UTF-16LE: a CR LF b
		{"\xfe\xff\x00a\x20\x28\x00b\x00\n\x00c", 3}, // UTF-16BE: a LS b LF c
		{"\xff\xfea\x00\x0d", 1},                     // a dangling byte is no break
	} {
		if got := YAMLLines([]byte(c.data)); got != c.lines {
			t.Errorf("YAMLLines(%q) = %d, want %d", c.data, got, c.lines)
		}
	}
}
