package awssim_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim/awssimtest"
)

// TestControlEndpoints drives the sandbox through /_awssim/: health, a
// scenario posted at run time (a seed and a fault), the call log, the clock
// and clearing faults.
func TestControlEndpoints(t *testing.T) {
	t.Parallel()
	sb := awssimtest.Start(t, awssim.Options{})
	do := func(method, path, body string, want int) map[string]any {
		t.Helper()
		req, err := http.NewRequest(method, sb.URL+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != want {
			t.Fatalf("%s %s: status %d, want %d", method, path, resp.StatusCode, want)
		}
		var out map[string]any
		if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
		return out
	}

	if got := do("GET", "/_awssim/health", "", 200); got["status"] != "ok" {
		t.Errorf("health = %v, want status ok", got)
	}
	do("POST", "/_awssim/scenario", "seed: [{", 400)
	do("POST", "/_awssim/scenario", `
seed:
  - {service: secretsmanager, operation: CreateSecret, input: {Name: app/db, SecretString: s3cr3t}}
faults:
  - {service: secretsmanager, operation: GetSecretValue, error: AccessDeniedException, count: 1}
`, 200)

	sm := secretsmanager.NewFromConfig(sb.Config())
	get := func() error {
		_, err := sm.GetSecretValue(context.Background(), &secretsmanager.GetSecretValueInput{SecretId: aws.String("app/db")})
		return err
	}
	if err := get(); err == nil || !strings.Contains(err.Error(), "AccessDeniedException") {
		t.Errorf("first GetSecretValue: %v, want AccessDeniedException from the posted fault", err)
	}
	if err := get(); err != nil {
		t.Errorf("second GetSecretValue: %v, want the seeded secret (the fault had count 1)", err)
	}

	resp, err := http.Get(sb.URL + "/_awssim/calls")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var calls []struct {
		Service, Operation string
		Status             int
		Time               time.Time
	}
	if err := json.NewDecoder(resp.Body).Decode(&calls); err != nil {
		t.Fatal(err)
	}
	if len(calls) != 2 || calls[0].Service != "secretsmanager" || calls[0].Operation != "GetSecretValue" ||
		calls[0].Status != 400 || calls[1].Status != 200 || calls[0].Time.IsZero() {
		t.Errorf("calls = %+v, want GetSecretValue 400 then 200 (control requests and seeds not logged)", calls)
	}

	before := sb.Clock.Now()
	got := do("POST", "/_awssim/clock", `{"advance": "90m", "timeScale": 0}`, 200)
	if got["timeScale"] != 0.0 || sb.Clock.Now().Sub(before) < 90*time.Minute {
		t.Errorf("clock = %v, want stopped and 90m later", got)
	}
	do("POST", "/_awssim/clock", `{"advance": "soon"}`, 400)

	do("POST", "/_awssim/scenario", `faults: [{service: secretsmanager, error: ThrottlingException}]`, 200)
	do("DELETE", "/_awssim/faults", "", 200)
	if err := get(); err != nil {
		t.Errorf("GetSecretValue after clearing faults: %v", err)
	}
	do("GET", "/_awssim/nope", "", 404)
}
