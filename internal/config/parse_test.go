package config

import (
	"strings"
	"testing"
)

func TestLines(t *testing.T) {
	t.Parallel()
	got := Lines("  a \n\n\tb\r\nc")
	if strings.Join(got, "|") != "a|b|c" {
		t.Errorf("Lines = %q, want [a b c]", got)
	}
}

func TestParseKeyValues(t *testing.T) {
	t.Parallel()
	got, err := ParseKeyValues("A=1\n B = two words \nURL=https://x?y=z\nEMPTY=")
	if err != nil {
		t.Fatal(err)
	}
	want := []KeyValue{{"A", "1"}, {"B", " two words"}, {"URL", "https://x?y=z"}, {"EMPTY", ""}}
	if len(got) != len(want) {
		t.Fatalf("got %q, want %q", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("pair %d = %q, want %q", i, got[i], want[i])
		}
	}
}

func TestParseSecretSpec(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want SecretSpec
	}{
		{"prod/db", SecretSpec{ID: "prod/db"}},
		{"DB , prod/db", SecretSpec{Alias: "DB", ID: "prod/db"}},
		{"app*", SecretSpec{ID: "app", Prefix: true}},
		{"APP,prod/app/*", SecretSpec{Alias: "APP", ID: "prod/app/", Prefix: true}},
		{"arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbCdEf", SecretSpec{ID: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbCdEf"}},
	}
	for _, tt := range tests {
		got, err := ParseSecretSpec(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ParseSecretSpec(%q) = %+v, %v; want %+v", tt.in, got, err, tt.want)
		}
	}
}

func FuzzLines(f *testing.F) {
	for _, s := range []string{"", "a\nb", " a \r\n\n b ", "\x00\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, line := range Lines(s) {
			if line == "" || line != strings.TrimSpace(line) || strings.ContainsAny(line, "\n") {
				t.Errorf("Lines(%q) gave %q: empty, untrimmed or multi-line", s, line)
			}
		}
	})
}

func FuzzParseKeyValues(f *testing.F) {
	for _, s := range []string{"A=1", "A=1\nB=2=3", "=x", "A", "A=1\nA=2", " K = v "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		kvs, err := ParseKeyValues(s)
		if err != nil {
			return
		}
		seen := map[string]bool{}
		for _, kv := range kvs {
			if !keyPattern.MatchString(kv.Key) || seen[kv.Key] {
				t.Errorf("ParseKeyValues(%q) accepted key %q", s, kv.Key)
			}
			seen[kv.Key] = true
			if strings.Contains(kv.Value, "\n") {
				t.Errorf("ParseKeyValues(%q) value %q spans lines", s, kv.Value)
			}
		}
	})
}

func FuzzParseSecretSpec(f *testing.F) {
	for _, s := range []string{"prod/db", "A,prod/db", "abc*", "ab*", "arn:aws:secretsmanager:us-east-1:123456789012:secret:x", ",", "a,b,c", "*"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		spec, err := ParseSecretSpec(s)
		if err != nil {
			return
		}
		if spec.ID == "" || strings.Contains(spec.ID, "*") || strings.ContainsAny(spec.ID, " \n,") {
			t.Errorf("ParseSecretSpec(%q) = %+v: bad id", s, spec)
		}
		if spec.Prefix && len(spec.ID) < 3 {
			t.Errorf("ParseSecretSpec(%q) = %+v: prefix under 3 characters", s, spec)
		}
		if spec.Alias != "" && !aliasPattern.MatchString(spec.Alias) {
			t.Errorf("ParseSecretSpec(%q) = %+v: bad alias", s, spec)
		}
	})
}
