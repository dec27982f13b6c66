package pipeline

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/config"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/exitcode"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/platform/codedeploy"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/report"
)

// githubCall is one request the fake GitHub API received.
type githubCall struct {
	Method, Path string
	Body         map[string]any
}

// fakeGitHubAPI answers the deployment endpoints of acme/shop, or fails
// every request with status when it is not 0, and records each request.
func fakeGitHubAPI(t *testing.T, status int) (*httptest.Server, func() []githubCall) {
	t.Helper()
	var (
		mu    sync.Mutex
		calls []githubCall
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body map[string]any
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil && err != io.EOF {
			t.Errorf("%s %s: body is not JSON: %v", r.Method, r.URL.Path, err)
		}
		if got := r.Header.Get("Authorization"); got != "Bearer ghs_secret" {
			t.Errorf("%s %s: Authorization = %q", r.Method, r.URL.Path, got)
		}
		mu.Lock()
		calls = append(calls, githubCall{r.Method, r.URL.Path, body})
		mu.Unlock()
		switch {
		case status != 0:
			http.Error(w, `{"message": "Resource not accessible by integration"}`, status)
		case r.Method == http.MethodPost && r.URL.Path == "/api/v3/repos/acme/shop/deployments":
			w.WriteHeader(http.StatusCreated)
			fmt.Fprint(w, `{"id": 501}`)
		case r.Method == http.MethodPost && r.URL.Path == "/api/v3/repos/acme/shop/deployments/501/statuses":
			w.WriteHeader(http.StatusCreated)
			fmt.Fprint(w, `{"id": 1}`)
		default:
			http.Error(w, `{"message": "Not Found"}`, http.StatusNotFound)
		}
	}))
	t.Cleanup(srv.Close)
	return srv, func() []githubCall {
		mu.Lock()
		defer mu.Unlock()
		return append([]githubCall(nil), calls...)
	}
}

// githubConfig is a deploy run to environment production, with the GitHub
// context of a run on Enterprise Server at apiURL.
func githubConfig(apiURL string) *config.Config {
	return &config.Config{
		Command:  config.CommandDeploy,
		Platform: codedeploy.Inputs.Name,
		Deploy:   config.Deploy{Application: "shop", DeploymentGroup: "web", Wait: true},
		GitHub: config.GitHub{
			Token: "ghs_secret", Environment: "production", EnvironmentURL: "https://shop.example.com",
			Repository: "acme/shop", SHA: "9f3c2ab1", ServerURL: "https://ghes.example.com", APIURL: apiURL + "/api/v3", RunID: "77",
		},
	}
}

func TestGitHubDeploymentLifecycle(t *testing.T) {
	t.Parallel()
	const runURL = "https://ghes.example.com/acme/shop/actions/runs/77"
	inProgress := githubCall{"POST", "/api/v3/repos/acme/shop/deployments/501/statuses", map[string]any{
		"state": "in_progress", "description": "deploying", "log_url": runURL, "environment_url": "https://shop.example.com", "auto_inactive": false,
	}}
	final := func(state, description string, autoInactive bool) githubCall {
		return githubCall{"POST", "/api/v3/repos/acme/shop/deployments/501/statuses", map[string]any{
			"state": state, "description": description, "log_url": runURL, "environment_url": "https://shop.example.com", "auto_inactive": autoInactive,
		}}
	}
	tests := map[string]struct {
		cancel    bool
		err       error
		res       report.Result
		wantFinal githubCall
	}{
		"deployed": {
			res:       report.Result{Outcome: report.OutcomeDeployed, Deploy: &report.Deployment{ID: "d-A1B2C3D4E", Status: "Succeeded"}},
			wantFinal: final("success", "d-A1B2C3D4E: deployed (Succeeded)", true),
		},
		"paused at Ready": {
			res:       report.Result{Deploy: &report.Deployment{ID: "d-A1B2C3D4E", Status: "Ready"}},
			wantFinal: final("success", "d-A1B2C3D4E is Ready: traffic not shifted yet", false),
		},
		"rolled back": {
			err:       fmt.Errorf("deployment d-A1B2C3D4E failed"),
			res:       report.Result{Deploy: &report.Deployment{ID: "d-A1B2C3D4E", Status: "Failed", RollbackID: "d-B2C3D4E5F"}},
			wantFinal: final("failure", "d-A1B2C3D4E: rolled back (Failed)", false),
		},
		"cancelled": {
			cancel:    true,
			err:       context.Canceled,
			res:       report.Result{Deploy: &report.Deployment{ID: "d-A1B2C3D4E", Status: "Stopped", RollbackID: "d-B2C3D4E5F"}},
			wantFinal: final("error", "d-A1B2C3D4E: cancelled (Stopped)", false),
		},
		"timed out": {
			err:       fmt.Errorf("waiting: %w", context.DeadlineExceeded),
			wantFinal: final("error", "bluegreen-deploy: timed out", false),
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			srv, calls := fakeGitHubAPI(t, 0)
			tr := newTestRun(t, githubConfig(srv.URL), nil)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if err := tr.githubDeployment(ctx, "CodeDeploy shop/web"); err != nil {
				t.Fatalf("githubDeployment() = %v", err)
			}
			if got := tr.rep.Outputs()["github-deployment-id"]; got != "501" {
				t.Errorf("output github-deployment-id = %q, want 501 as soon as it exists", got)
			}
			start := tr.result.Start
			gh := tr.result.GitHub
			*tr.result = tt.res
			tr.result.Start, tr.result.GitHub = start, gh
			if tt.cancel {
				cancel() // the run is cancelled: the final status is still posted
			}
			tr.finish(ctx, tt.err)

			want := []githubCall{
				{"POST", "/api/v3/repos/acme/shop/deployments", map[string]any{
					"ref": "9f3c2ab1", "task": "deploy", "auto_merge": false, "required_contexts": []any{},
					"environment": "production", "description": "CodeDeploy shop/web",
				}},
				inProgress,
				tt.wantFinal,
			}
			if got := calls(); !reflect.DeepEqual(got, want) {
				t.Errorf("GitHub API calls:\n got %v\nwant %v", got, want)
			}
			if got, want := tr.result.GitHub.State, tt.wantFinal.Body["state"]; got != want {
				t.Errorf("result GitHub state = %q, want %q", got, want)
			}
			if s := tr.summary(t); !strings.Contains(s, fmt.Sprintf("GitHub deployment 501: %s", tt.wantFinal.Body["state"])) {
				t.Errorf("summary does not show the final GitHub status:\n%s", s)
			}
		})
	}
}

func TestGitHubDeploymentSkipped(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		edit       func(*config.Config)
		wantNotice string // "": nothing said
	}{
		"no environment":    {edit: func(c *config.Config) { c.GitHub.Environment = "" }},
		"no deploy stage":   {edit: func(c *config.Config) { c.Platform = "" }},
		"status command":    {edit: func(c *config.Config) { c.Command = config.CommandStatus }},
		"no token":          {edit: func(c *config.Config) { c.GitHub.Token = "" }, wantNotice: `::notice::environment "production": no GitHub deployment: no github-token`},
		"under act":         {edit: func(c *config.Config) { c.GitHub.InAct = true }, wantNotice: `::notice::environment "production": no GitHub deployment: running under act`},
		"outside a run":     {edit: func(c *config.Config) { c.GitHub.SHA = "" }, wantNotice: "GITHUB_SHA is not set"},
		"without waiting":   {edit: func(c *config.Config) { c.Deploy.Wait = false }, wantNotice: "wait is false"},
		"continue, no wait": {edit: func(c *config.Config) { c.Command, c.Deploy.Wait = config.CommandContinue, false }, wantNotice: "wait is false"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			srv, calls := fakeGitHubAPI(t, 0)
			cfg := githubConfig(srv.URL)
			tt.edit(cfg)
			tr := newTestRun(t, cfg, nil)
			if err := tr.githubDeployment(context.Background(), "CodeDeploy shop/web"); err != nil {
				t.Fatalf("githubDeployment() = %v", err)
			}
			tr.finish(context.Background(), nil)
			if got := calls(); len(got) != 0 {
				t.Errorf("GitHub API calls = %v, want none", got)
			}
			if tt.wantNotice == "" && strings.Contains(tr.out.String(), "::notice") {
				t.Errorf("unexpected notice:\n%s", tr.out.String())
			}
			if tt.wantNotice != "" && !strings.Contains(tr.out.String(), tt.wantNotice) {
				t.Errorf("stdout lacks %q:\n%s", tt.wantNotice, tr.out.String())
			}
			if _, ok := tr.rep.Outputs()["github-deployment-id"]; ok {
				t.Error("github-deployment-id is set without a GitHub deployment")
			}
		})
	}
}

func TestGitHubDeploymentAPIError(t *testing.T) {
	t.Parallel()
	srv, calls := fakeGitHubAPI(t, http.StatusForbidden)
	tr := newTestRun(t, githubConfig(srv.URL), nil)
	if err := tr.githubDeployment(context.Background(), "CodeDeploy shop/web"); err != nil {
		t.Fatalf("githubDeployment() = %v, want nil: a GitHub error must not stop the deployment", err)
	}
	if !strings.Contains(tr.out.String(), `::warning::creating the GitHub deployment of 9f3c2ab1 to "production"`) || !strings.Contains(tr.out.String(), "403") {
		t.Errorf("stdout lacks the warning:\n%s", tr.out.String())
	}
	tr.result.Outcome = report.OutcomeDeployed
	if code := tr.finish(context.Background(), nil); code != exitcode.OK {
		t.Errorf("finish() = %d, want %d", code, exitcode.OK)
	}
	if n := len(calls()); n != 1 {
		t.Errorf("%d GitHub API calls, want 1 (the failed create, and no status)", n)
	}
	if strings.Contains(tr.out.String(), "ghs_secret") {
		t.Error("the token is in the log")
	}
}

// TestGitHubDeploymentAgainstSandbox runs whole deployments against the
// sandbox with environment set, and checks the GitHub statuses, the outputs
// and the summary they leave.
func TestGitHubDeploymentAgainstSandbox(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		fault       []awssim.LifecycleFault
		wantCode    int
		wantState   string
		wantSummary []string
	}{
		"succeeded": {
			wantCode: exitcode.OK, wantState: "success",
			wantSummary: []string{"## ✅ Deployed in", "GitHub deployment 501: success", "### Targets", "section Lifecycle events"},
		},
		"hook failed and rolled back": {
			fault: []awssim.LifecycleFault{{
				DeploymentGroup: "bg", Event: "ValidateService", Script: "scripts/health.sh",
				Message: "Script at specified location: scripts/health.sh run as user root failed with exit code 22",
				LogTail: "[stderr]curl: (22) The requested URL returned error: 503",
			}},
			wantCode: exitcode.Failed, wantState: "failure",
			wantSummary: []string{"## ↩️ Rolled back after", "GitHub deployment 501: failure", "<details><summary>ValidateService failed on", "returned error: 503", "❌ Failed"},
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			sb := deploySandbox(t, awssim.Scenario{Lifecycle: tt.fault})
			gh, calls := fakeGitHubAPI(t, 0)
			inputs := deployInputs(sb.PushImage(t, "web"), "bg")
			inputs["bundle"] = "testdata/bundles/web"
			inputs["github-token"] = "ghs_secret"
			inputs["environment"] = "production"
			summaryPath := filepath.Join(t.TempDir(), "summary")
			code, out, log := runActionEnv(t, sb, inputs, map[string]string{
				"GITHUB_API_URL": gh.URL + "/api/v3", "GITHUB_SERVER_URL": "https://ghes.example.com",
				"GITHUB_REPOSITORY": "acme/shop", "GITHUB_SHA": "9f3c2ab1", "GITHUB_RUN_ID": "77",
				"GITHUB_STEP_SUMMARY": summaryPath,
			})
			if code != tt.wantCode {
				t.Fatalf("exit %d, want %d; log:\n%s", code, tt.wantCode, log)
			}
			if out["github-deployment-id"] != "501" {
				t.Errorf("output github-deployment-id = %q, want 501", out["github-deployment-id"])
			}
			var states []any
			for _, c := range calls() {
				if strings.HasSuffix(c.Path, "/statuses") {
					states = append(states, c.Body["state"])
					if c.Body["log_url"] != "https://ghes.example.com/acme/shop/actions/runs/77" {
						t.Errorf("status %v: log_url = %v", c.Body["state"], c.Body["log_url"])
					}
				}
			}
			if want := []any{"in_progress", tt.wantState}; !reflect.DeepEqual(states, want) {
				t.Errorf("GitHub statuses = %v, want %v", states, want)
			}
			summary, err := os.ReadFile(summaryPath)
			if err != nil {
				t.Fatalf("no summary: %v", err)
			}
			for _, want := range tt.wantSummary {
				if !strings.Contains(string(summary), want) {
					t.Errorf("summary lacks %q:\n%s", want, summary)
				}
			}
		})
	}
}
