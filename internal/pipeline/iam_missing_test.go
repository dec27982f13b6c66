package pipeline

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awscfg"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/config"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/exitcode"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/platform/codedeploy"
)

// TestMissingPermission removes one permission at a time from the README's
// policy for a Server deploy of an existing image with a secret: the run
// fails naming the permission, before changing anything where the action
// can be checked first.
func TestMissingPermission(t *testing.T) {
	t.Parallel()
	perms := readmePermissions(t)
	stages := []string{"secrets", "image", "deploy", "deploy, EC2/Server"}
	values := maps.Clone(serverValues)
	values["group"] = []string{"bg"}
	// run returns the calls of a run without one permission, and its end.
	run := func(t *testing.T, without string) ([]awssim.Call, int, map[string]string, string) {
		sb := deploySandbox(t)
		in := deployInputs(sb.PushImage(t, "web"), "bg")
		in["secrets"] = "API_TOKEN,web/token"
		sb.SetPolicy(readmePolicy(t, perms, stages, values, without))
		before := len(sb.Calls())
		code, out, log := runAction(t, sb, in)
		return sb.Calls()[before:], code, out, log
	}
	// The actions of the README's policy that a run with all of it is
	// checked against are the ones to remove.
	calls, code, _, log := run(t, "")
	if code != exitcode.OK {
		t.Fatalf("exit %d with the whole policy, want 0; log:\n%s", code, log)
	}
	var listed []string
	for _, p := range perms {
		if slices.Contains(stages, p.stage) {
			listed = append(listed, p.actions...)
		}
	}
	var actions []string
	for _, c := range calls {
		for _, a := range c.IAMActions {
			if slices.Contains(listed, a) && !slices.Contains(actions, a) {
				actions = append(actions, a)
			}
		}
	}
	if len(actions) < 8 {
		t.Fatalf("the run was checked against only %v", actions)
	}
	for _, action := range actions {
		t.Run(action, func(t *testing.T) {
			t.Parallel()
			calls, code, out, log := run(t, action)
			msg := out["error-message"]
			if d, ok := missingDegrades[action]; ok {
				if code != exitcode.OK || d.warned && !strings.Contains(log, action) {
					t.Errorf("exit %d, want 0 (%s), with a warning naming it: %t; log:\n%s", code, d.lost, d.warned, log)
				}
				return
			}
			named := action
			if alt, ok := missingNamedAs[action]; ok {
				named = alt
			}
			if code != exitcode.Failed || !strings.Contains(msg, "not authorized to perform: "+named+" on resource: ") || !strings.Contains(msg, "(needed by the ") {
				t.Fatalf("exit %d, error-message %q; want exit 1 naming %s, its resource and the stage that needs it", code, msg, action)
			}
			if why, ok := missingAfterChange[action]; ok {
				t.Logf("%s is checked only after a change: %s", action, why)
				return
			}
			for _, c := range calls {
				if c.Operation == "PutObject" && action != "s3:PutObject" || c.Operation == "CreateDeployment" || c.Operation == "PutManifest" {
					t.Errorf("the run called %s %s before failing on %s", c.Service, c.Operation, action)
				}
			}
		})
	}
}

// missingDegrades are the permissions without which a Server deploy still
// succeeds, and what is lost.
var missingDegrades = map[string]struct {
	lost   string
	warned bool // the log names the permission
}{
	"s3:GetObject":                         {"an identical bundle is uploaded again", false},
	"codedeploy:ListDeploymentTargets":     {"no lifecycle events or failure diagnostics", true},
	"codedeploy:BatchGetDeploymentTargets": {"no lifecycle events or failure diagnostics", true},
}

// missingAfterChange are the permissions first needed after the run has
// changed something, and why they cannot be checked earlier.
var missingAfterChange = map[string]string{
	"codedeploy:CreateDeployment":            "its bundle is uploaded first; only the call itself tells",
	"codedeploy:GetDeployment":               "it needs the deployment's id",
	"codedeploy:GetDeploymentConfig":         "CodeDeploy checks it within CreateDeployment, after the upload",
	"codedeploy:RegisterApplicationRevision": "CodeDeploy checks it within CreateDeployment, after the upload",
}

// missingNamedAs are the permissions whose refusal names another action:
// CreateDeployment needs codedeploy:GetApplicationRevision or
// RegisterApplicationRevision on the application (CodeDeploy's permissions
// reference), and the refusal names the first.
var missingNamedAs = map[string]string{
	"codedeploy:RegisterApplicationRevision": "codedeploy:GetApplicationRevision",
}

func TestNeededBy(t *testing.T) {
	t.Parallel()
	denied := func(action string) error {
		return fmt.Errorf("doing it: api error AccessDeniedException: User: arn:aws:iam::123456789012:user/u is not authorized to perform: %s on resource: * because no identity-based policy allows the %s action", action, action)
	}
	cfg := &config.Config{
		Command:  config.CommandDeploy,
		Platform: codedeploy.Inputs.Name,
		Secrets:  config.Secrets{Specs: []config.SecretSpec{{ID: "web/token"}, {ID: "web/", Prefix: true}}},
		Image:    config.Image{Repository: "team/app"},
		Deploy:   config.Deploy{Application: "web", DeploymentGroup: "bg", S3Bucket: "bundles"},
	}
	for _, tc := range []struct {
		stage string
		err   error
		want  string
	}{
		{"secrets", denied("secretsmanager:BatchGetSecretValue"), ` (needed by the secrets stage: secrets "web/token, web/*")`},
		{"image", denied("ecr:PutImage"), ` (needed by the image stage: ecr-repository "team/app")`},
		{"deploy", denied("codedeploy:GetDeploymentGroup"), ` (needed by the deploy stage: codedeploy-deployment-group "web/bg")`},
		{"deploy", denied("s3:PutObject"), ` (needed by the deploy stage: s3-bucket "bundles")`},
		{"deploy", errors.New("reading deployment group: DeploymentGroupDoesNotExistException"), ""},
	} {
		r := &run{cfg: cfg, clients: &awscfg.Clients{}}
		r.target = r.newTarget()
		got := r.neededBy(tc.stage, tc.err)
		if !errors.Is(got, tc.err) || got.Error() != tc.err.Error()+tc.want {
			t.Errorf("%s, %v:\ngot  %v\nwant the error with %q", tc.stage, tc.err, got, tc.want)
		}
	}
}
