package pipeline

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim/awssimtest"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/config"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/exitcode"
)

// runnerFiles is one in-process run of the action and what it left behind.
type runnerFiles struct {
	code    int
	stdout  string
	outputs string // GITHUB_OUTPUT
	env     string // GITHUB_ENV
	summary string // GITHUB_STEP_SUMMARY
}

// runWithRunnerFiles runs the whole action against the sandbox with the given
// inputs, the runner's files in a temporary directory.
func runWithRunnerFiles(t *testing.T, sb *awssimtest.Sandbox, inputs map[string]string) runnerFiles {
	t.Helper()
	dir := t.TempDir()
	env := sb.Env()
	for k, v := range map[string]string{
		"GITHUB_OUTPUT":       filepath.Join(dir, "output"),
		"GITHUB_ENV":          filepath.Join(dir, "env"),
		"GITHUB_STEP_SUMMARY": filepath.Join(dir, "summary"),
		"GITHUB_WORKSPACE":    dir,
		"GITHUB_ACTIONS":      "true",
	} {
		env[k] = v
	}
	for k, v := range inputs {
		env[config.InputKey(k)] = v
	}
	var stdout bytes.Buffer
	code := Run(context.Background(), Env{Getenv: func(k string) string { return env[k] }, Stdout: &stdout})
	read := func(name string) string {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			t.Fatal(err)
		}
		return string(b)
	}
	return runnerFiles{code: code, stdout: stdout.String(), outputs: read("output"), env: read("env"), summary: read("summary")}
}

// runnerFileVars parses a GITHUB_ENV or GITHUB_OUTPUT file (NAME<<DELIM lines).
func runnerFileVars(t *testing.T, s string) map[string]string {
	t.Helper()
	vars := map[string]string{}
	lines := strings.Split(s, "\n")
	for i := 0; i < len(lines); i++ {
		if lines[i] == "" {
			continue
		}
		name, delim, ok := strings.Cut(lines[i], "<<")
		if !ok {
			t.Fatalf("line %d of the runner file is not NAME<<DELIMITER: %q", i+1, lines[i])
		}
		end := slices.Index(lines[i+1:], delim)
		if end < 0 {
			t.Fatalf("no closing %s for %s", delim, name)
		}
		vars[name] = strings.Join(lines[i+1:i+1+end], "\n")
		i += end + 1
	}
	return vars
}

// secretsScenario returns a scenario that creates the secrets (name -> value;
// a []byte value is a SecretBinary) in region.
func secretsScenario(region string, secrets map[string]any) awssim.Scenario {
	var sc awssim.Scenario
	for _, name := range slices.Sorted(maps.Keys(secrets)) {
		in := map[string]any{"Name": name}
		switch v := secrets[name].(type) {
		case string:
			in["SecretString"] = v
		case []byte:
			in["SecretBinary"] = v
		}
		sc.Seed = append(sc.Seed, awssim.SeedCall{Service: "secretsmanager", Operation: "CreateSecret", Region: region, Input: in})
	}
	return sc
}

func secretsSandbox(t *testing.T, scenarios ...awssim.Scenario) *awssimtest.Sandbox {
	t.Helper()
	sb := awssimtest.Start(t, awssim.Options{})
	for _, sc := range scenarios {
		if err := sb.Apply(sc); err != nil {
			t.Fatal(err)
		}
	}
	return sb
}

// batchGetCalls returns the HTTP statuses of the Secrets Manager calls made.
func batchGetCalls(sb *awssimtest.Sandbox) []int {
	var statuses []int
	for _, c := range sb.Calls() {
		if c.Service == "secretsmanager" && c.Operation == "BatchGetSecretValue" {
			statuses = append(statuses, c.Status)
		}
	}
	return statuses
}

// secretLeaks returns the values found in what the run printed, its outputs and
// summary, ignoring the ::add-mask:: lines; GITHUB_ENV may hold them.
func secretLeaks(a runnerFiles, values []string) []string {
	var printed []string
	for line := range strings.Lines(a.stdout) {
		if !strings.HasPrefix(line, "::add-mask::") {
			printed = append(printed, line)
		}
	}
	everything := strings.Join(printed, "") + "\x00" + a.outputs + "\x00" + a.summary
	var found []string
	for _, v := range values {
		if strings.Contains(everything, v) {
			found = append(found, v)
		}
	}
	return found
}

// secretParts returns a value and its non-blank lines: what must not leak.
func secretParts(values ...string) []string {
	var parts []string
	for _, v := range values {
		parts = append(parts, v)
		for line := range strings.Lines(v) {
			if line = strings.TrimSpace(line); line != "" {
				parts = append(parts, line)
			}
		}
	}
	return parts
}

func TestSecretsBatched(t *testing.T) {
	t.Parallel()
	seed := map[string]any{}
	var ids []string
	want := map[string]string{}
	for i := range 100 {
		name := fmt.Sprintf("bulk/secret-%03d", i)
		seed[name] = fmt.Sprintf("bulk-value-%03d-%x", i, i*7919)
		ids = append(ids, name)
		want[fmt.Sprintf("BULK_SECRET_%03d", i)] = seed[name].(string)
	}
	for i := range 24 {
		seed[fmt.Sprintf("team/prod/key-%02d", i)] = fmt.Sprintf("prefixed-value-%02d", i)
		want[fmt.Sprintf("KEY_%02d", i)] = fmt.Sprintf("prefixed-value-%02d", i)
	}
	seed["team/production"] = "not under the prefix"
	sb := secretsSandbox(t, secretsScenario("us-east-1", seed))

	tests := []struct {
		name      string
		secrets   []string
		wantCalls int
		wantVars  int
	}{
		{name: "100 secrets", secrets: ids, wantCalls: 5, wantVars: 100},
		{name: "a prefix of 24 secrets", secrets: []string{"team/prod/*"}, wantCalls: 2, wantVars: 24},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(batchGetCalls(sb))
			a := runWithRunnerFiles(t, sb, map[string]string{"secrets": strings.Join(tt.secrets, "\n"), "export-secrets": "true"})
			if a.code != exitcode.OK {
				t.Fatalf("exit %d, want 0; stdout:\n%s", a.code, a.stdout)
			}
			if got := len(batchGetCalls(sb)) - before; got != tt.wantCalls {
				t.Errorf("%d BatchGetSecretValue calls, want %d", got, tt.wantCalls)
			}
			env := runnerFileVars(t, a.env)
			if len(env) != tt.wantVars {
				t.Errorf("%d variables exported, want %d", len(env), tt.wantVars)
			}
			for name, got := range env {
				if got != want[name] {
					t.Errorf("GITHUB_ENV %s = %q, want %q", name, got, want[name])
				}
			}
			if got, want := runnerFileVars(t, a.outputs)["secrets"], strings.Join(slices.Sorted(maps.Keys(env)), ","); got != want {
				t.Errorf("output secrets = %q, want %q", got, want)
			}
		})
	}
}

func TestSecretsNoLeaks(t *testing.T) {
	t.Parallel()
	cert := "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\nBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj\n-----END PRIVATE KEY-----\n"
	db := `{"username":"db-user-7f3a","password":"pa55:w0rd/with?chars&more","port":"65432","ssl":{"mode":"verify-full-q9","root":"line-one-x1\nline-two-x2"}}`
	binary := []byte{0x89, 'P', 'N', 'G', 0, 0xfe, 0x10, 0x42, 0x99}
	binText := "binary-stored-text-token-51c0"
	plain := "plain-token-4b8e2c91"
	west := "eu-west-value-0d2f"
	sb := secretsSandbox(t,
		secretsScenario("us-east-1", map[string]any{"app/db": db, "app/cert": cert, "app/bin": binary, "app/bintext": []byte(binText), "app/plain": plain}),
		secretsScenario("eu-west-1", map[string]any{"app/west": west}))
	westARN := arnOf(t, sb, "eu-west-1", "app/west")

	a := runWithRunnerFiles(t, sb, map[string]string{
		"secrets":            "DB,app/db\napp/cert\nBIN,app/bin\napp/bintext\nTOKEN,app/plain\n" + westARN,
		"parse-json-secrets": "true",
		"export-secrets":     "true",
	})
	if a.code != exitcode.OK {
		t.Fatalf("exit %d, want 0; stdout:\n%s", a.code, a.stdout)
	}

	wantEnv := map[string]string{
		"DB_USERNAME": "db-user-7f3a", "DB_PASSWORD": "pa55:w0rd/with?chars&more", "DB_PORT": "65432",
		"DB_SSL_MODE": "verify-full-q9", "DB_SSL_ROOT": "line-one-x1\nline-two-x2",
		"APP_CERT":    cert,
		"BIN":         "iVBORwD+EEKZ",
		"APP_BINTEXT": binText,
		"TOKEN":       plain,
		"APP_WEST":    west,
	}
	if got := runnerFileVars(t, a.env); !maps.Equal(got, wantEnv) {
		t.Errorf("GITHUB_ENV:\n got %q\nwant %q", got, wantEnv)
	}
	if got, want := runnerFileVars(t, a.outputs)["secrets"], strings.Join(slices.Sorted(maps.Keys(wantEnv)), ","); got != want {
		t.Errorf("output secrets = %q, want %q", got, want)
	}

	if !strings.Contains(a.summary, "DB_SSL_ROOT") {
		t.Errorf("the summary does not list the secrets' names:\n%s", a.summary)
	}

	// Every mask comes before anything else is printed.
	lines := strings.Split(strings.TrimSuffix(a.stdout, "\n"), "\n")
	firstOther := slices.IndexFunc(lines, func(l string) bool { return !strings.HasPrefix(l, "::add-mask::") })
	if firstOther < 0 {
		firstOther = len(lines)
	}
	masked := map[string]bool{}
	for i, l := range lines {
		if v, ok := strings.CutPrefix(l, "::add-mask::"); ok {
			if i > firstOther {
				t.Errorf("stdout line %d: a mask after other output", i+1)
			}
			masked[strings.NewReplacer("%0D", "\r", "%0A", "\n", "%25", "%").Replace(v)] = true
		}
	}
	values := secretParts(db, cert, binText, plain, west, string(binary), wantEnv["BIN"])
	for _, v := range slices.Collect(maps.Values(wantEnv)) {
		values = append(values, secretParts(v)...)
	}
	for _, v := range values {
		if !masked[v] && v != string(binary) {
			t.Errorf("%q is not masked", v)
		}
	}
	if found := secretLeaks(a, values); len(found) > 0 {
		t.Errorf("values printed outside masks and GITHUB_ENV: %q\nstdout:\n%s\noutputs:\n%s\nsummary:\n%s", found, a.stdout, a.outputs, a.summary)
	}
}

// arnOf returns the ARN the sandbox gave the secret.
func arnOf(t *testing.T, sb *awssimtest.Sandbox, region, name string) string {
	t.Helper()
	sm := secretsmanager.NewFromConfig(sb.Config(), func(o *secretsmanager.Options) { o.Region = region })
	out, err := sm.DescribeSecret(context.Background(), &secretsmanager.DescribeSecretInput{SecretId: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(out.ARN)
}

func TestSecretsErrors(t *testing.T) {
	t.Parallel()
	seed := secretsScenario("us-east-1", map[string]any{
		"app/ok":       "ok-value-63be",
		"app/denied":   "denied-value-1e0c",
		"app/bad-json": `{"user":"bad-json-user-77","password":"bad-json-pass-19"`,
		"one/x":        "one-x-value-a1",
		"two/x":        "two-x-value-b2",
		"env/path":     "/tmp/evil-path-5d",
		"cfg":          `{"preload":"/tmp/evil-preload-8a.so"}`,
	})
	seed.DeniedSecrets = []string{"app/denied"}
	values := []string{"ok-value-63be", "denied-value-1e0c", "bad-json-user-77", "bad-json-pass-19", "one-x-value-a1", "two-x-value-b2", "/tmp/evil-path-5d", "/tmp/evil-preload-8a.so"}

	tests := []struct {
		name     string
		inputs   map[string]string
		wantCode int
		want     []string // in the error annotation
		wantAWS  bool     // whether Secrets Manager was called
		wantErr  string   // the error-code output, when it is checked
	}{{
		name:     "missing secret",
		inputs:   map[string]string{"secrets": "app/ok\napp/missing"},
		wantCode: exitcode.Failed,
		want:     []string{`secret "app/missing": ResourceNotFoundException`},
		wantAWS:  true,
	}, {
		name:     "access denied, with a missing one",
		inputs:   map[string]string{"secrets": "app/denied\napp/ok\napp/missing"},
		wantCode: exitcode.Failed,
		want:     []string{`secret "app/denied": AccessDeniedException`, `secret "app/missing": ResourceNotFoundException`},
		wantAWS:  true,
	}, {
		name:     "malformed JSON with parse on",
		inputs:   map[string]string{"secrets": "app/ok\napp/bad-json", "parse-json-secrets": "true"},
		wantCode: exitcode.Failed,
		want:     []string{`secret "app/bad-json": parse-json-secrets is on and the value starts with "{" but is not valid JSON`},
		wantAWS:  true,
	}, {
		name:     "duplicate env names from two prefixes",
		inputs:   map[string]string{"secrets": "one/*\ntwo/*"},
		wantCode: exitcode.Failed,
		want:     []string{`env name X comes from both secret "one/x" and secret "two/x"`},
		wantAWS:  true,
	}, {
		name:     "duplicate aliases, caught before AWS",
		inputs:   map[string]string{"secrets": "X,one/x\nX,two/x"},
		wantCode: exitcode.BadInput,
		want:     []string{`input "secrets": lines 1 and 2 both map to env name X`},
		wantErr:  "INVALID_INPUT",
	}, {
		name:     "alias to PATH, caught before AWS",
		inputs:   map[string]string{"secrets": "app/ok\nPath,env/path"},
		wantCode: exitcode.BadInput,
		want:     []string{`input "secrets": line 2: secret "env/path" would set PATH for later steps`},
		wantErr:  "INVALID_INPUT",
	}, {
		name:     "prefix match to PATH, caught after fetching",
		inputs:   map[string]string{"secrets": "app/ok\nenv/*"},
		wantCode: exitcode.Failed,
		want:     []string{`input "secrets": secret "env/path" would set PATH for later steps`},
		wantAWS:  true,
		wantErr:  "INVALID_INPUT",
	}, {
		name:     "JSON key to LD_PRELOAD, caught after fetching",
		inputs:   map[string]string{"secrets": "app/ok\nLD,cfg", "parse-json-secrets": "true"},
		wantCode: exitcode.Failed,
		want:     []string{`input "secrets": secret "cfg" key "preload" would set LD_PRELOAD for later steps`},
		wantAWS:  true,
		wantErr:  "INVALID_INPUT",
	}, {
		name:     "prefix too short",
		inputs:   map[string]string{"secrets": "app/ok\nab*"},
		wantCode: exitcode.BadInput,
		want:     []string{`"ab*": a prefix needs at least 3 characters before '*'`},
	}, {
		name:     "prefix matching nothing",
		inputs:   map[string]string{"secrets": "app/ok\nnothing/*"},
		wantCode: exitcode.Failed,
		want:     []string{`prefix "nothing/*": no secret's name starts with it`},
		wantAWS:  true,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			sb := secretsSandbox(t, seed)
			tt.inputs["export-secrets"] = "true"
			a := runWithRunnerFiles(t, sb, tt.inputs)
			if a.code != tt.wantCode {
				t.Errorf("exit %d, want %d", a.code, tt.wantCode)
			}
			for _, w := range tt.want {
				if !strings.Contains(a.stdout, "::error::") || !strings.Contains(a.stdout, w) {
					t.Errorf("stdout lacks an error with %q:\n%s", w, a.stdout)
				}
			}
			if a.env != "" {
				t.Errorf("GITHUB_ENV written: %q", a.env)
			}
			if _, ok := runnerFileVars(t, a.outputs)["secrets"]; ok {
				t.Errorf("output secrets set: %q", a.outputs)
			}
			if got := runnerFileVars(t, a.outputs)["error-code"]; tt.wantErr != "" && got != tt.wantErr {
				t.Errorf("error-code %q, want %q", got, tt.wantErr)
			}
			if got := len(batchGetCalls(sb)) > 0; got != tt.wantAWS {
				t.Errorf("Secrets Manager called: %v, want %v", got, tt.wantAWS)
			}
			if found := secretLeaks(a, values); len(found) > 0 {
				t.Errorf("values printed: %q\n%s", found, a.stdout)
			}
		})
	}
}

func TestSecretsRetriedBySDK(t *testing.T) {
	t.Parallel()
	seed := secretsScenario("us-east-1", map[string]any{"app/ok": "retried-value"})
	tests := []struct {
		name      string
		faults    []awssim.Fault
		wantCode  int
		wantCalls []int
	}{{
		name: "throttled, then a 500, then answered",
		faults: []awssim.Fault{
			{Service: "secretsmanager", Operation: "BatchGetSecretValue", Error: "ThrottlingException", Count: 1},
			{Service: "secretsmanager", Operation: "BatchGetSecretValue", Error: "InternalFailure", Status: 500, Count: 1},
		},
		wantCode:  exitcode.OK,
		wantCalls: []int{400, 500, 200},
	}, {
		name:      "503 until the retryer gives up",
		faults:    []awssim.Fault{{Service: "secretsmanager", Operation: "BatchGetSecretValue", Error: "ServiceUnavailable", Status: 503}},
		wantCode:  exitcode.Failed,
		wantCalls: []int{503, 503, 503}, // the SDK's default of 3 attempts
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			sb := secretsSandbox(t, seed, awssim.Scenario{Faults: tt.faults})
			a := runWithRunnerFiles(t, sb, map[string]string{"secrets": "app/ok", "export-secrets": "true"})
			if a.code != tt.wantCode {
				t.Errorf("exit %d, want %d:\n%s", a.code, tt.wantCode, a.stdout)
			}
			if got := batchGetCalls(sb); !slices.Equal(got, tt.wantCalls) {
				t.Errorf("BatchGetSecretValue statuses = %v, want %v", got, tt.wantCalls)
			}
			if got, want := runnerFileVars(t, a.env)["APP_OK"], map[bool]string{true: "retried-value"}[tt.wantCode == exitcode.OK]; got != want {
				t.Errorf("GITHUB_ENV APP_OK = %q, want %q", got, want)
			}
		})
	}
}
