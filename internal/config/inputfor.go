package config

import (
	"fmt"
	"strings"
)

// InputFor names the input that made stage ("secrets", "image" or "deploy")
// call an IAM action, for an AccessDenied error; ""
// for a deployment's deploy stage, whose platform names its own inputs.
func (c *Config) InputFor(stage string) string {
	switch {
	case stage == "secrets":
		var ids []string
		for _, s := range c.Secrets.Specs {
			if s.Prefix {
				s.ID += "*"
			}
			ids = append(ids, s.ID)
		}
		return fmt.Sprintf("secrets %q", strings.Join(ids, ", "))
	case stage == "image" && c.Image.URI != "":
		return fmt.Sprintf("image %q", c.Image.URI)
	case stage == "image":
		return fmt.Sprintf("ecr-repository %q", c.Image.Repository)
	case c.Command != CommandDeploy:
		return fmt.Sprintf("deployment-id %q", c.DeploymentID)
	}
	return ""
}
