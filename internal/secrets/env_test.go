package secrets

import (
	"encoding/base64"
	"errors"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/config"
)

var envNamePattern = regexp.MustCompile(`^[A-Z_][A-Z0-9_]*$`)

func TestEnvName(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"db", "DB"},
		{"app/prod/db-url", "APP_PROD_DB_URL"},
		{"a.b+c=d@e", "A_B_C_D_E"},
		{"9lives", "_9LIVES"},
		{"_x", "_X"},
		{"ключ", "____"},
		{"émoji😀", "_MOJI_"},
		{"Mixed_Case1", "MIXED_CASE1"},
	}
	for _, tt := range tests {
		if got := EnvName(tt.in); got != tt.want {
			t.Errorf("EnvName(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestBaseName(t *testing.T) {
	t.Parallel()
	tests := []struct {
		spec config.SecretSpec
		name string
		want string
	}{
		{config.SecretSpec{ID: "app/db"}, "app/db", "APP_DB"},
		{config.SecretSpec{ID: "arn:aws:secretsmanager:us-east-1:123456789012:secret:app/db-AbCdEf"}, "app/db", "APP_DB"},
		{config.SecretSpec{ID: "app/db", Alias: "db"}, "app/db", "DB"},
		{config.SecretSpec{ID: "app/prod/", Prefix: true}, "app/prod/db_url", "DB_URL"},
		{config.SecretSpec{ID: "app/prod", Prefix: true}, "app/prod/db_url", "DB_URL"},
		{config.SecretSpec{ID: "app/prod", Prefix: true}, "app/prod-db", "DB"},
		{config.SecretSpec{ID: "app/prod", Prefix: true}, "app/prod", "APP_PROD"},
		{config.SecretSpec{ID: "app/", Prefix: true}, "app/1st", "_1ST"},
		{config.SecretSpec{ID: "app/", Prefix: true, Alias: "P"}, "app/1st", "P_1ST"},
		{config.SecretSpec{ID: "app/x", Prefix: true, Alias: "P"}, "app/x", "P"},
	}
	for _, tt := range tests {
		if got := baseName(tt.spec, tt.name); got != tt.want {
			t.Errorf("baseName(%+v, %q) = %q, want %q", tt.spec, tt.name, got, tt.want)
		}
	}
}

func TestFlatten(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    []leaf
		wantErr string
	}{
		{in: `{}`},
		{in: ` {"b":"2","a":1}`, want: []leaf{{[]string{"a"}, "1"}, {[]string{"b"}, "2"}}},
		{in: `{"a":{"b":{"c":"<&>\n"}},"d":[1, {"e":2}],"f":false}`, want: []leaf{
			{[]string{"a", "b", "c"}, "<&>\n"}, {[]string{"d"}, `[1, {"e":2}]`}, {[]string{"f"}, "false"},
		}},
		{in: `{"a":"x"} trailing`, wantErr: "syntax error at byte 11"},
		{in: `{"a":"secret-value`, wantErr: "syntax error at byte 18"},
		{in: `{"a":{"b":"secret-value"`, wantErr: "is not valid JSON"},
		{in: strings.Repeat(`{"k":`, 32) + "1" + strings.Repeat("}", 32), want: []leaf{{slices.Repeat([]string{"k"}, 32), "1"}}},
		{in: strings.Repeat(`{"k":`, 33) + `"secret-value"` + strings.Repeat("}", 33), wantErr: "nest more than 32 deep"},
		{in: `[1]`, wantErr: errNotObject.Error()},
		{in: `plain`, wantErr: errNotObject.Error()},
	}
	for _, tt := range tests {
		got, err := flatten(tt.in)
		switch {
		case tt.wantErr != "":
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("flatten(%q) error = %v, want %q", tt.in, err, tt.wantErr)
			}
			if err != nil && strings.Contains(err.Error(), "secret-value") {
				t.Errorf("flatten(%q) error %q shows the value", tt.in, err)
			}
		case err != nil:
			t.Errorf("flatten(%q): %v", tt.in, err)
		case !slices.EqualFunc(got, tt.want, func(a, b leaf) bool { return slices.Equal(a.path, b.path) && a.value == b.value }):
			t.Errorf("flatten(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestMaskForms(t *testing.T) {
	t.Parallel()
	value := "line one\r\n  pass/word?&x  \n\n"
	got := maskForms(value)
	for _, want := range []string{
		value, "line one", "  pass/word?&x  ", "pass/word?&x",
		strings.TrimRight(base64.StdEncoding.EncodeToString([]byte(value)), "="),
		strings.TrimRight(base64.URLEncoding.EncodeToString([]byte("pass/word?&x")), "="),
		"pass%2Fword%3F%26x",                    // query escaping
		`line one\r\n  pass/word?\u0026x  \n\n`, // JSON
	} {
		if !slices.Contains(got, want) {
			t.Errorf("maskForms(%q) lacks %q", value, want)
		}
	}
	if got := maskForms(" \n "); got != nil {
		t.Errorf("maskForms(blank) = %q, want none", got)
	}
}

func TestCheck(t *testing.T) {
	t.Parallel()
	tests := []struct {
		lines     []string
		parseJSON bool
		want      string
	}{
		{lines: []string{"DB,app/db", "db,other/db"}, want: `input "secrets": lines 1 and 2 both map to env name DB: give one of them another alias`},
		{lines: []string{"app-db", "APP_DB,x", "app_db"}, want: "lines 1 and 2 both map to env name APP_DB"},
		{lines: []string{"DB,app/db", "DB,other/db"}, parseJSON: true},
		{lines: []string{"app/db", "app/db"}},
		{lines: []string{"DB,app/*", "DB,app/db"}},
		{lines: []string{"arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf", "db"}},
	}
	for _, tt := range tests {
		err := Check(input(t, tt.parseJSON, tt.lines...))
		if tt.want == "" && err != nil || tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)) {
			t.Errorf("Check(%q) = %v, want %q", tt.lines, err, tt.want)
		}
	}
}

// FuzzFlatten checks that any value yields valid env names, masks every
// exported value, and never panics.
func FuzzFlatten(f *testing.F) {
	for _, s := range []string{`{"a":{"b":"c"}}`, `{"1":"x","":{"":""}}`, `{"é":[1,2],"k":null}`, `{`, `plain`, "multi\nline"} {
		f.Add("alias", s)
	}
	f.Fuzz(func(t *testing.T, alias, value string) {
		name := "fuzz"
		spec := config.SecretSpec{ID: name}
		if envNamePattern.MatchString(EnvName(alias)) {
			spec.Alias = alias
		}
		sm := (&fakeSM{region: "us-east-1"}).add(name, value)
		res, err := fetchFrom(map[string]*fakeSM{"us-east-1": sm}, config.Secrets{Specs: []config.SecretSpec{spec}, ParseJSON: true})
		if err != nil {
			if strings.Contains(err.Error(), "not valid JSON") || strings.Contains(err.Error(), "comes from both") || errors.Is(err, errTooDeep) {
				return
			}
			t.Fatalf("Fetch: %v", err)
		}
		masks := res.Masks()
		for _, v := range res.Vars {
			if !envNamePattern.MatchString(v.Name) {
				t.Errorf("env name %q is not valid", v.Name)
			}
			if strings.TrimSpace(string(v.Value)) != "" && !slices.Contains(masks, string(v.Value)) {
				t.Errorf("%s: value %q not masked", v.Name, v.Value)
			}
		}
		if strings.TrimSpace(value) != "" && !slices.Contains(masks, value) {
			t.Errorf("whole value %q not masked", value)
		}
	})
}
