package ecsnative

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/deploy"
)

// RunTag is the tag on each task definition revision the action registers
// that names the workflow run: "<GITHUB_RUN_ID>/<GITHUB_RUN_ATTEMPT>". A
// service deployment has no description to carry the run's marker, as a
// CodeDeploy deployment does; the revision it deploys carries it instead.
const RunTag = "bluegreen-deploy:run"

// runTags tags a revision with run; none when the run is not known.
func runTags(run deploy.Run) []types.Tag {
	if run.ID <= 0 {
		return nil
	}
	return []types.Tag{{Key: aws.String(RunTag), Value: aws.String(run.String())}}
}

// taggedRun reads the run RunTag names; ok is false when it names none.
func taggedRun(tags []types.Tag) (run deploy.Run, ok bool) {
	for _, t := range tags {
		if aws.ToString(t.Key) == RunTag {
			run, ok = deploy.ParseRun(aws.ToString(t.Value))
			return run, ok && run.ID > 0
		}
	}
	return deploy.Run{}, false
}

// SupersededError: the task definition the service was last updated to was
// registered by a newer run.
type SupersededError struct {
	Service, TaskDefinition string
	By                      deploy.Run
}

func (e *SupersededError) Error() string {
	return fmt.Sprintf("ECS service %q runs task definition %s of a newer run (%d)", e.Service, e.TaskDefinition, e.By.ID)
}

func (e *SupersededError) Unwrap() error { return deploy.ErrSuperseded }

// CheckSuperseded returns a *SupersededError when the task definition the
// service's latest update asked for (DescribeServices' taskDefinition, also
// while its deployment is in progress) carries the RunTag of a run newer
// than run.
func (d *Driver) CheckSuperseded(ctx context.Context, s *Service, run deploy.Run) error {
	svc, err := d.API.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String(s.Cluster), Services: []string{s.Name}})
	if err != nil {
		return fmt.Errorf("reading ECS service %q for a newer run's task definition (supersede-check): %w", s.Name, err)
	}
	if len(svc.Services) == 0 {
		return fmt.Errorf("reading ECS service %q for a newer run's task definition (supersede-check): not found", s.Name)
	}
	arn := aws.ToString(svc.Services[0].TaskDefinition)
	if arn == "" {
		return nil
	}
	td, err := d.API.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{
		TaskDefinition: aws.String(arn), Include: []types.TaskDefinitionField{types.TaskDefinitionFieldTags},
	})
	if err != nil {
		return fmt.Errorf("reading the tags of task definition %s of ECS service %q (supersede-check): %w", arn, s.Name, err)
	}
	if by, ok := taggedRun(td.Tags); ok && by.ID > run.ID {
		return &SupersededError{Service: s.Name, TaskDefinition: arn, By: by}
	}
	return nil
}
