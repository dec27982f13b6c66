package config_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/config"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/platform/codedeploy"
)

// TestPlatformChoice: a second platform in the table is chosen by its
// inputs (after the first) and by its deployment ids' form, and its owned
// inputs are refused for the other platform.
func TestPlatformChoice(t *testing.T) {
	t.Parallel()
	other := config.Platform{
		Name: "other", Selects: []string{"container-name"}, Needs: "container-name", Owns: []string{"appspec"},
		ID: regexp.MustCompile(`^arn:aws:ecs:`), IDForm: "an ECS service deployment ARN",
		Check: func(c *config.Config, in config.InputReader) {
			if c.Deploy.ContainerName == "refused" {
				in.Fail("container-name", "refused by the other platform")
			}
		},
	}
	platforms := []config.Platform{codedeploy.Inputs, other}
	ws := workspace(t)
	image := map[string]string{"image": "123456789012.dkr.ecr.eu-west-1.amazonaws.com/app:v1"}
	tests := []struct {
		name     string
		inputs   map[string]string
		platform string
		err      string // "": valid
	}{
		{"first platform's inputs", merge(image, map[string]string{"codedeploy-application": "a", "codedeploy-deployment-group": "g", "container-name": "web"}), "codedeploy", ""},
		{"second platform's inputs", merge(image, map[string]string{"container-name": "web"}), "other", ""},
		{"second platform's check", merge(image, map[string]string{"container-name": "refused"}), "", `input "container-name": refused by the other platform`},
		{"owned input for the first", merge(image, map[string]string{"codedeploy-application": "a", "codedeploy-deployment-group": "g", "appspec": "taskdef.json"}), "",
			`input "appspec": is for other (container-name); codedeploy-application or codedeploy-deployment-group chose codedeploy`},
		{"codedeploy id", map[string]string{"command": "status", "deployment-id": "d-ABCDEF123"}, "codedeploy", ""},
		{"other id", map[string]string{"command": "status", "deployment-id": "arn:aws:ecs:eu-west-1:123456789012:service-deployment/c/s/x"}, "other", ""},
		{"neither id", map[string]string{"command": "status", "deployment-id": "x-1"}, "",
			`input "deployment-id": "x-1" is not a CodeDeploy deployment id (d- and 9 letters or digits, e.g. d-A1B2C3D4E) or an ECS service deployment ARN`},
		{"deploy input without a platform", merge(image, map[string]string{"timeout": "5m"}), "",
			`input "timeout": is for a deployment and needs codedeploy-application and codedeploy-deployment-group, or container-name`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := config.Load(env(ws, tt.inputs), platforms)
			switch {
			case tt.err == "" && err != nil:
				t.Fatalf("Load: %v", err)
			case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
				t.Fatalf("Load error %v, want one holding %q", err, tt.err)
			case tt.err == "" && c.Platform != tt.platform:
				t.Errorf("platform %q, want %q", c.Platform, tt.platform)
			}
		})
	}
}
