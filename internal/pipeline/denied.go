package pipeline

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/config"
)

// deniedAction finds the IAM action in AWS's AccessDenied message ("User: …
// is not authorized to perform: <action> on resource: …").
var deniedAction = regexp.MustCompile(`is not authorized to perform: ([a-z0-9-]+:[A-Za-z0-9]+)`)

// neededBy adds to an AccessDenied error, whose message already names the
// action and resource, the stage and input that needed the permission.
// Other errors are returned as they are.
func (r *run) neededBy(stage string, err error) error {
	if err == nil {
		return nil
	}
	m := deniedAction.FindStringSubmatch(err.Error())
	if m == nil {
		return err
	}
	return fmt.Errorf("%w (needed by the %s stage: %s)", err, stage, r.inputFor(stage, m[1]))
}

// inputFor names the input of stage that made the run call action.
func (r *run) inputFor(stage, action string) string {
	d := r.cfg.Deploy
	group := fmt.Sprintf("codedeploy-deployment-group %q", d.Application+"/"+d.DeploymentGroup)
	switch {
	case stage == "secrets":
		var ids []string
		for _, s := range r.cfg.Secrets.Specs {
			if s.Prefix {
				s.ID += "*"
			}
			ids = append(ids, s.ID)
		}
		return fmt.Sprintf("secrets %q", strings.Join(ids, ", "))
	case stage == "image" && r.cfg.Image.URI != "":
		return fmt.Sprintf("image %q", r.cfg.Image.URI)
	case stage == "image":
		return fmt.Sprintf("ecr-repository %q", r.cfg.Image.Repository)
	case r.cfg.Command != config.CommandDeploy:
		return fmt.Sprintf("deployment-id %q", r.cfg.DeploymentID)
	case strings.HasPrefix(action, "s3:"):
		return fmt.Sprintf("s3-bucket %q", d.S3Bucket)
	case d.TaskDefinition != "" && (strings.HasPrefix(action, "ecs:") || strings.HasPrefix(action, "iam:")):
		return fmt.Sprintf("task-definition %q", r.cfg.GitHub.Rel(d.TaskDefinition))
	}
	return group
}
