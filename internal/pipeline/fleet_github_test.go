package pipeline

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/exitcode"
)

// TestFleetGitHubDeploymentPerEnvironment: entries naming two environments
// make one GitHub deployment each, ended by the status of their targets;
// entries naming none make one for the step's environment.
func TestFleetGitHubDeploymentPerEnvironment(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		targets string
		want    map[string]int // environment: its targets
	}{
		{"two environments", `
- {codedeploy-application: web, codedeploy-deployment-group: bg, environment: prod-eu}
- {codedeploy-application: web, codedeploy-deployment-group: bg2, environment: prod-eu}
- {wave: 2, codedeploy-application: web, codedeploy-deployment-group: bg3, environment: prod-us}
`, map[string]int{"prod-eu": 2, "prod-us": 1}},
		{"the step's environment", `
- {codedeploy-application: web, codedeploy-deployment-group: bg}
- {wave: 2, codedeploy-application: web, codedeploy-deployment-group: bg2}
`, map[string]int{"production": 2}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var mu sync.Mutex
			envs := map[int]string{}     // deployment id: environment
			states := map[int][]string{} // deployment id: statuses posted
			api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				var body map[string]any
				_ = json.NewDecoder(r.Body).Decode(&body)
				mu.Lock()
				defer mu.Unlock()
				var id int
				switch {
				case r.Method == http.MethodPost && r.URL.Path == "/repos/octo/app/deployments":
					id = 601 + len(envs)
					envs[id] = fmt.Sprint(body["environment"])
					w.WriteHeader(http.StatusCreated)
					fmt.Fprintf(w, `{"id": %d}`, id)
				case r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/statuses"):
					fmt.Sscanf(r.URL.Path, "/repos/octo/app/deployments/%d/statuses", &id)
					states[id] = append(states[id], fmt.Sprint(body["state"]))
					w.WriteHeader(http.StatusCreated)
					fmt.Fprint(w, `{"id": 1}`)
				default:
					http.Error(w, `{"message": "Not Found"}`, http.StatusNotFound)
				}
			}))
			t.Cleanup(api.Close)
			sb := deploySandbox(t, moreGroups("bg2", "bg3"))
			in := fleetInputs(sb.PushImage(t, "web"), tc.targets)
			in["github-token"], in["environment"] = "ghs_secret", "production"
			code, out, log := runActionEnv(t, sb, in, map[string]string{"GITHUB_API_URL": api.URL})
			if code != exitcode.OK {
				t.Fatalf("exit %d; log:\n%s", code, log)
			}
			mu.Lock()
			defer mu.Unlock()
			byEnv := map[string][]string{}
			for id, env := range envs {
				byEnv[env] = states[id]
			}
			if len(byEnv) != len(tc.want) {
				t.Fatalf("GitHub deployments by environment %v, want one for each of %v", byEnv, tc.want)
			}
			for env := range tc.want {
				if s := byEnv[env]; !slices.Equal(s, []string{"in_progress", "success"}) {
					t.Errorf("environment %s: statuses %v, want in_progress, success", env, s)
				}
			}
			var results []struct {
				Name        string `json:"name"`
				Environment string `json:"environment"`
				GitHubID    int64  `json:"github-deployment-id"`
			}
			if err := json.Unmarshal([]byte(out["targets"]), &results); err != nil {
				t.Fatal(err)
			}
			count := map[string]int{}
			for _, r := range results {
				if r.GitHubID == 0 {
					t.Errorf("target %s has no github-deployment-id", r.Name)
				}
				count[r.Environment]++
			}
			if one := len(tc.want) == 1; one != (out["github-deployment-id"] == "601") {
				t.Errorf("github-deployment-id %q: want 601 with one environment, else none", out["github-deployment-id"])
			}
			for env, n := range tc.want {
				if count[env] != n {
					t.Errorf("targets output: %d targets in %s, want %d (%s)", count[env], env, n, out["targets"])
				}
			}
		})
	}
}
