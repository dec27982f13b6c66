package awscfg

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/config"
)

// fakeGitHubAndSTS is an OIDC token endpoint and an STS endpoint that
// answers AssumeRoleWithWebIdentity with credentials living for ttl.
type fakeGitHubAndSTS struct {
	ttl time.Duration

	mu        sync.Mutex
	tokens    int      // OIDC tokens handed out
	assumes   []string // WebIdentityToken of each AssumeRoleWithWebIdentity
	callerIDs []string // access key ids seen signing GetCallerIdentity
}

func (f *fakeGitHubAndSTS) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if r.URL.Path == "/token" {
		if r.Header.Get("Authorization") != "Bearer request-token" || r.URL.Query().Get("audience") != "sts.amazonaws.com" {
			http.Error(w, "bad token request", http.StatusUnauthorized)
			return
		}
		f.tokens++
		fmt.Fprintf(w, `{"value": "oidc-token-%d"}`, f.tokens)
		return
	}
	r.ParseForm()
	switch r.Form.Get("Action") {
	case "AssumeRoleWithWebIdentity":
		f.assumes = append(f.assumes, r.Form.Get("WebIdentityToken"))
		n := len(f.assumes)
		fmt.Fprintf(w, `<AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleWithWebIdentityResult>
<Credentials><AccessKeyId>ASIAROLE%d</AccessKeyId><SecretAccessKey>secret</SecretAccessKey><SessionToken>session</SessionToken><Expiration>%s</Expiration></Credentials>
<AssumedRoleUser><Arn>arn:aws:sts::123456789012:assumed-role/deploy/%s</Arn><AssumedRoleId>AROA:x</AssumedRoleId></AssumedRoleUser>
</AssumeRoleWithWebIdentityResult><ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></AssumeRoleWithWebIdentityResponse>`,
			n, time.Now().Add(f.ttl).UTC().Format(time.RFC3339), r.Form.Get("RoleSessionName"))
	case "GetCallerIdentity":
		auth := r.Header.Get("Authorization")
		_, cred, _ := strings.Cut(auth, "Credential=")
		id, _, _ := strings.Cut(cred, "/")
		f.callerIDs = append(f.callerIDs, id)
		fmt.Fprint(w, `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult><Arn>arn:aws:sts::123456789012:assumed-role/deploy/x</Arn><UserId>x</UserId><Account>123456789012</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>2</RequestId></ResponseMetadata></GetCallerIdentityResponse>`)
	default:
		http.Error(w, "unexpected "+r.Form.Get("Action"), http.StatusBadRequest)
	}
}

func oidcEnv(srvURL string) func(string) string {
	env := map[string]string{
		"ACTIONS_ID_TOKEN_REQUEST_URL":   srvURL + "/token",
		"ACTIONS_ID_TOKEN_REQUEST_TOKEN": "request-token",
		"AWS_ENDPOINT_URL_STS":           srvURL,
		"AWS_EC2_METADATA_DISABLED":      "true",
	}
	return func(k string) string { return env[k] }
}

var role = config.AWS{Region: "eu-west-1", RoleToAssume: "arn:aws:iam::123456789012:role/deploy", RoleSessionName: "bluegreen-deploy", RoleDuration: time.Hour}

func TestRoleFromOIDCSignsRequests(t *testing.T) {
	t.Parallel()
	fake := &fakeGitHubAndSTS{ttl: time.Hour}
	srv := httptest.NewServer(fake)
	defer srv.Close()

	clients, err := Load(context.Background(), role, oidcEnv(srv.URL))
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if _, err := clients.STS.GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{}); err != nil {
			t.Fatalf("GetCallerIdentity: %v", err)
		}
	}
	fake.mu.Lock()
	defer fake.mu.Unlock()
	if fake.tokens != 1 || len(fake.assumes) != 1 || fake.assumes[0] != "oidc-token-1" {
		t.Errorf("tokens = %d, assumes = %v; want one token exchanged once for three calls", fake.tokens, fake.assumes)
	}
	for _, id := range fake.callerIDs {
		if id != "ASIAROLE1" {
			t.Errorf("request signed by %q, want the assumed role's ASIAROLE1", id)
		}
	}
}

// TestRoleCredentialsRefresh checks that credentials near expiry are renewed
// with a fresh OIDC token instead of being used until they fail.
func TestRoleCredentialsRefresh(t *testing.T) {
	t.Parallel()
	fake := &fakeGitHubAndSTS{ttl: time.Minute} // inside the refresh window
	srv := httptest.NewServer(fake)
	defer srv.Close()

	clients, err := Load(context.Background(), role, oidcEnv(srv.URL))
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for range 3 {
		creds, err := clients.Config.Credentials.Retrieve(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, creds.AccessKeyID)
	}
	if got := strings.Join(ids, " "); got != "ASIAROLE1 ASIAROLE2 ASIAROLE3" {
		t.Errorf("access keys = %s, want a new session each time (ASIAROLE1 ASIAROLE2 ASIAROLE3)", got)
	}
	fake.mu.Lock()
	defer fake.mu.Unlock()
	if want := []string{"oidc-token-1", "oidc-token-2", "oidc-token-3"}; strings.Join(fake.assumes, " ") != strings.Join(want, " ") {
		t.Errorf("tokens exchanged = %v, want %v", fake.assumes, want)
	}
}

func TestRoleWithoutOIDCPermission(t *testing.T) {
	t.Parallel()
	_, err := Load(context.Background(), role, func(string) string { return "" })
	if err == nil || !strings.Contains(err.Error(), `input "role-to-assume"`) || !strings.Contains(err.Error(), "id-token: write") {
		t.Errorf("err = %v, want one naming role-to-assume and id-token: write", err)
	}
}

func TestEndpointsRegionAndRetryer(t *testing.T) {
	t.Parallel()
	env := map[string]string{
		"AWS_ACCESS_KEY_ID":           "AKIAENV",
		"AWS_SECRET_ACCESS_KEY":       "secret",
		"AWS_ENDPOINT_URL":            "http://127.0.0.1:1",
		"AWS_ENDPOINT_URL_CODEDEPLOY": "http://127.0.0.1:2",
		"AWS_ENDPOINT_URL_LAMBDA":     "http://127.0.0.1:4",
	}
	clients, err := Load(context.Background(), config.AWS{Region: "ap-south-1"}, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if clients.Config.Region != "ap-south-1" {
		t.Errorf("region = %q", clients.Config.Region)
	}
	if _, ok := clients.Config.Retryer().(*retry.AdaptiveMode); !ok {
		t.Errorf("retryer = %T, want *retry.AdaptiveMode", clients.Config.Retryer())
	}
	creds, err := clients.Config.Credentials.Retrieve(context.Background())
	if err != nil || creds.AccessKeyID != "AKIAENV" {
		t.Errorf("credentials = %v, %v; want AKIAENV from the environment", creds.AccessKeyID, err)
	}
	if got := aws.ToString(clients.CodeDeploy.Options().BaseEndpoint); got != "http://127.0.0.1:2" {
		t.Errorf("CodeDeploy endpoint = %q, want the service override", got)
	}
	if got := aws.ToString(clients.Lambda.Options().BaseEndpoint); got != "http://127.0.0.1:4" {
		t.Errorf("Lambda endpoint = %q, want the service override", got)
	}
	if got := aws.ToString(clients.ECR.Options().BaseEndpoint); got != "http://127.0.0.1:1" {
		t.Errorf("ECR endpoint = %q, want AWS_ENDPOINT_URL", got)
	}
	if !clients.S3.Options().UsePathStyle {
		t.Error("S3 with a custom endpoint should use path-style")
	}
}

func TestSecretsManagerIn(t *testing.T) {
	t.Parallel()
	env := map[string]string{"AWS_ACCESS_KEY_ID": "AKIAENV", "AWS_SECRET_ACCESS_KEY": "secret", "AWS_ENDPOINT_URL_SECRETS_MANAGER": "http://127.0.0.1:3"}
	clients, err := Load(context.Background(), config.AWS{Region: "eu-west-1"}, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if got := clients.SecretsManagerIn("eu-west-1"); got != clients.SecretsManager {
		t.Errorf("SecretsManagerIn(the run's region) = %p, want the run's client %p", got, clients.SecretsManager)
	}
	other, ok := clients.SecretsManagerIn("us-west-2").(*secretsmanager.Client)
	if !ok || other.Options().Region != "us-west-2" || aws.ToString(other.Options().BaseEndpoint) != "http://127.0.0.1:3" {
		t.Errorf("SecretsManagerIn(us-west-2) = %T, want a client in us-west-2 with the run's endpoint", other)
	}
}
