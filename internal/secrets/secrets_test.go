package secrets

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/config"
)

// input parses the secrets input as config does.
func input(t *testing.T, parseJSON bool, lines ...string) config.Secrets {
	t.Helper()
	in := config.Secrets{ParseJSON: parseJSON}
	for _, l := range lines {
		spec, err := config.ParseSecretSpec(l)
		if err != nil {
			t.Fatal(err)
		}
		in.Specs = append(in.Specs, spec)
	}
	return in
}

func fetchFrom(regions map[string]*fakeSM, in config.Secrets) (*Result, error) {
	return Fetch(context.Background(), func(region string) secretsmanager.BatchGetSecretValueAPIClient {
		return regions[region]
	}, in, "us-east-1")
}

func envOf(r *Result) map[string]string {
	m := map[string]string{}
	for _, v := range r.Vars {
		m[v.Name] = string(v.Value)
	}
	return m
}

func TestFetch(t *testing.T) {
	t.Parallel()
	many := &fakeSM{region: "us-east-1"}
	var manyIDs []string
	wantMany := map[string]string{}
	for i := range 100 {
		name := fmt.Sprintf("app/s%03d", i)
		many.add(name, fmt.Sprintf("value-%03d", i))
		manyIDs = append(manyIDs, name)
		wantMany[fmt.Sprintf("APP_S%03d", i)] = fmt.Sprintf("value-%03d", i)
	}

	prefixed := &fakeSM{region: "us-east-1"}
	wantPrefixed := map[string]string{}
	for i := range 24 {
		prefixed.add(fmt.Sprintf("team/prod/key-%02d", i), fmt.Sprint("v", i))
		wantPrefixed[fmt.Sprintf("KEY_%02d", i)] = fmt.Sprint("v", i)
	}
	prefixed.add("team/production", "other").add("other/team/prod/x", "not under the prefix")

	mixed := (&fakeSM{region: "us-east-1"}).
		add("db", `{"user":"admin","password":"p@ss word","port":5432,"tls":true,"opts":null,"hosts":["a","b"]}`).
		add("nested", `{"db":{"main":{"host":"h1"},"replica":"h2"},"empty":{},"a-b":"x"}`).
		add("cert", "-----BEGIN CERT-----\nMIIB\n-----END CERT-----\n").
		add("plain", "hunter2").
		add("9lives", "cat").
		add("array", `["not","an","object"]`)
	mixed.secrets = append(mixed.secrets,
		fakeSecret{name: "bin/text", binary: []byte("text in binary")},
		fakeSecret{name: "bin/raw", binary: []byte{0, 1, 2, 0xff}})
	west := (&fakeSM{region: "eu-west-1"}).add("db", "west-value")

	tests := []struct {
		name      string
		regions   map[string]*fakeSM
		in        config.Secrets
		want      map[string]string
		wantCalls map[string]int
	}{{
		name:      "100 ids in 5 calls",
		regions:   map[string]*fakeSM{"us-east-1": many},
		in:        input(t, false, manyIDs...),
		want:      wantMany,
		wantCalls: map[string]int{"us-east-1": 5},
	}, {
		name:      "prefix of 24 secrets, paged, prefix stripped",
		regions:   map[string]*fakeSM{"us-east-1": prefixed},
		in:        input(t, false, "team/prod/*"),
		want:      wantPrefixed,
		wantCalls: map[string]int{"us-east-1": 2},
	}, {
		name:    "prefix with alias, and prefix without separator",
		regions: map[string]*fakeSM{"us-east-1": (&fakeSM{region: "us-east-1"}).add("svc/a", "1").add("svc/b/c", "2")},
		in:      input(t, false, "X,svc/*", "svc*"),
		want:    map[string]string{"X_A": "1", "X_B_C": "2", "A": "1", "B_C": "2"},
	}, {
		name:    "aliases, JSON parsed, multi-line, binary, leading digit",
		regions: map[string]*fakeSM{"us-east-1": mixed},
		in:      input(t, true, "DB,db", "nested", "cert", "plain", "9lives", "array", "bin/text", "bin/raw"),
		want: map[string]string{
			"DB_USER": "admin", "DB_PASSWORD": "p@ss word", "DB_PORT": "5432", "DB_TLS": "true", "DB_OPTS": "null", "DB_HOSTS": `["a","b"]`,
			"NESTED_DB_MAIN_HOST": "h1", "NESTED_DB_REPLICA": "h2", "NESTED_A_B": "x",
			"CERT":     "-----BEGIN CERT-----\nMIIB\n-----END CERT-----\n",
			"PLAIN":    "hunter2",
			"_9LIVES":  "cat",
			"ARRAY":    `["not","an","object"]`,
			"BIN_TEXT": "text in binary",
			"BIN_RAW":  "AAEC/w==",
		},
		wantCalls: map[string]int{"us-east-1": 1},
	}, {
		name:    "JSON kept whole without parse-json-secrets",
		regions: map[string]*fakeSM{"us-east-1": mixed},
		in:      input(t, false, "lower_alias,db"),
		want:    map[string]string{"LOWER_ALIAS": `{"user":"admin","password":"p@ss word","port":5432,"tls":true,"opts":null,"hosts":["a","b"]}`},
	}, {
		name:      "an ARN's region wins",
		regions:   map[string]*fakeSM{"us-east-1": (&fakeSM{region: "us-east-1"}).add("db", "east-value"), "eu-west-1": west},
		in:        input(t, false, "db", "WEST,"+west.arn("db")),
		want:      map[string]string{"DB": "east-value", "WEST": "west-value"},
		wantCalls: map[string]int{"us-east-1": 1, "eu-west-1": 1},
	}, {
		name:    "ARN without alias is named after the secret; same secret twice is one variable",
		regions: map[string]*fakeSM{"eu-west-1": west},
		in:      input(t, false, west.arn("db"), strings.TrimSuffix(west.arn("db"), "-AbCdEf")),
		want:    map[string]string{"DB": "west-value"},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			regions := map[string]*fakeSM{}
			for r, f := range tt.regions { // a fresh call record per subtest
				regions[r] = &fakeSM{region: f.region, secrets: f.secrets}
			}
			res, err := fetchFrom(regions, tt.in)
			if err != nil {
				t.Fatalf("Fetch: %v", err)
			}
			if got := envOf(res); !maps.Equal(got, tt.want) {
				t.Errorf("vars:\n got %q\nwant %q", got, tt.want)
			}
			for r, want := range tt.wantCalls {
				if got := regions[r].callCount(); got != want {
					t.Errorf("%s: %d BatchGetSecretValue calls, want %d", r, got, want)
				}
			}
			if got, want := res.Names(), slices.Sorted(maps.Keys(tt.want)); !slices.Equal(got, want) {
				t.Errorf("Names() = %q, want %q", got, want)
			}
			masks := strings.Join(res.Masks(), "\x00")
			for _, v := range res.Vars {
				if !strings.Contains("\x00"+masks+"\x00", "\x00"+string(v.Value)+"\x00") {
					t.Errorf("%s: value not among the masks", v.Name)
				}
			}
		})
	}
}

func TestFetchErrors(t *testing.T) {
	t.Parallel()
	newSM := func() *fakeSM {
		f := (&fakeSM{region: "us-east-1"}).
			add("ok", "fine-value").
			add("denied", "denied-value").
			add("bad-json", `{"user": "admin", "password": "leaky-value"`).
			add("a-b", "v1").add("A_B", "v2").
			add("cfg", `{"x-y":"1","x_y":"2"}`)
		f.denied = []string{"denied"}
		return f
	}
	tests := []struct {
		name string
		in   config.Secrets
		sm   func(*fakeSM)
		want []string // substrings of the error
	}{{
		name: "missing and denied, reported together",
		in:   input(t, false, "ok", "missing", "denied"),
		want: []string{`secret "missing": ResourceNotFoundException`, `secret "denied": AccessDeniedException`},
	}, {
		name: "malformed JSON with parse on",
		in:   input(t, true, "ok", "bad-json"),
		want: []string{`secret "bad-json": parse-json-secrets is on and the value starts with "{" but is not valid JSON (syntax error at byte 43)`},
	}, {
		name: "two secrets, one env name",
		in:   input(t, false, "a-b", "A_B"),
		want: []string{`env name A_B comes from both secret "a-b" and secret "A_B"`},
	}, {
		name: "two keys, one env name",
		in:   input(t, true, "cfg"),
		want: []string{`env name CFG_X_Y comes from both secret "cfg" key "x-y" and secret "cfg" key "x_y"`},
	}, {
		name: "prefix matching nothing",
		in:   input(t, false, "nothing/*"),
		want: []string{`prefix "nothing/*": no secret's name starts with it`},
	}, {
		name: "the call fails",
		in:   input(t, false, "ok", "other", "pre*"),
		sm:   func(f *fakeSM) { f.callErr = errors.New("AccessDeniedException: no") },
		want: []string{`fetching secrets "ok", "other": AccessDeniedException: no`, `fetching secrets with prefix "pre": AccessDeniedException: no`},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			sm := newSM()
			if tt.sm != nil {
				tt.sm(sm)
			}
			res, err := fetchFrom(map[string]*fakeSM{"us-east-1": sm}, tt.in)
			if err == nil {
				t.Fatalf("Fetch returned %d vars, want an error", len(res.Vars))
			}
			if res != nil {
				t.Errorf("Fetch returned a result with its error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q\ndoes not contain %q", err, w)
				}
			}
			for _, value := range []string{"fine-value", "denied-value", "leaky-value", "v1", "v2"} {
				if strings.Contains(err.Error(), value) {
					t.Errorf("error %q shows the value %q", err, value)
				}
			}
		})
	}
}

func TestReferencesAndValues(t *testing.T) {
	t.Parallel()
	sm := (&fakeSM{region: "us-east-1"}).
		add("db", `{"user":"admin","conn":{"host":"h","port":1},"a:b":"c"}`).
		add("token", "t0ken")
	sm.secrets = append(sm.secrets, fakeSecret{name: "blob", binary: []byte{0, 0xfe}})
	res, err := fetchFrom(map[string]*fakeSM{"us-east-1": sm}, input(t, true, "DB,db", "token", "blob"))
	if err != nil {
		t.Fatal(err)
	}
	arn := sm.arn("db")
	wantRefs := []Reference{
		{Name: "DB_CONN", ValueFrom: arn + ":conn::"},
		{Name: "DB_USER", ValueFrom: arn + ":user::"},
		{Name: "TOKEN", ValueFrom: sm.arn("token")},
		{Name: "BLOB", ValueFrom: sm.arn("blob")},
	}
	if got := res.References(); !slices.Equal(got, wantRefs) {
		t.Errorf("References():\n got %q\nwant %q", got, wantRefs)
	}

	got := res.Values()
	want := map[string]string{
		"DB_USER": "admin", "DB_CONN_HOST": "h", "DB_CONN_PORT": "1", "DB_A_B": "c",
		"TOKEN": "t0ken", "BLOB": "\x00\xfe",
	}
	if !maps.Equal(got, want) {
		t.Errorf("Values() = %q, want %q", got, want)
	}

	mounts, err := res.Mounts([]string{"TOKEN", "BLOB"})
	if err != nil || string(mounts["TOKEN"]) != "t0ken" || string(mounts["BLOB"]) != "\x00\xfe" || len(mounts) != 2 {
		t.Errorf("Mounts(TOKEN, BLOB) = %q, %v; want the two values", mounts, err)
	}
	if _, err := res.Mounts([]string{"TOKEN", "NOPE"}); err == nil || !strings.Contains(err.Error(), `"NOPE" is not among the fetched secrets (BLOB, DB_A_B`) {
		t.Errorf("Mounts(NOPE): %v, want an error listing the fetched names", err)
	}
}

func TestValueRedacted(t *testing.T) {
	t.Parallel()
	sm := (&fakeSM{region: "us-east-1"}).add("token", "s3cret")
	res, err := fetchFrom(map[string]*fakeSM{"us-east-1": sm}, input(t, false, "token"))
	if err != nil {
		t.Fatal(err)
	}
	shows := []string{"s3cret", fmt.Sprintf("%x", "s3cret"), fmt.Sprint([]byte("s3cret")), fmt.Sprintf("%q", []byte("s3cret"))}
	for _, x := range []any{res.Vars[0], res, *res} {
		for _, format := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x"} {
			got := fmt.Sprintf(format, x)
			for _, s := range shows {
				if strings.Contains(got, s) {
					t.Errorf("Sprintf(%q, %T) = %q shows the value", format, x, got)
					break
				}
			}
		}
	}
}
