package config

import (
	"fmt"
	"strings"
)

// InputFor names the input that made stage ("secrets", "image" or "deploy")
// call the IAM action (service:Operation), for an AccessDenied error.
func (c *Config) InputFor(stage, action string) string {
	d := c.Deploy
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
	case strings.HasPrefix(action, "s3:"):
		return fmt.Sprintf("s3-bucket %q", d.S3Bucket)
	case d.TaskDefinition != "" && (strings.HasPrefix(action, "ecs:") || strings.HasPrefix(action, "iam:")):
		return fmt.Sprintf("task-definition %q", c.GitHub.Rel(d.TaskDefinition))
	}
	return fmt.Sprintf("codedeploy-deployment-group %q", d.Application+"/"+d.DeploymentGroup)
}
