package ecsnative

import (
	"context"
	"fmt"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awscfg"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
)

// Start updates the service to run taskDef; ECS starts a service deployment
// with the service's own deployment configuration, which the driver does
// not change. It returns the deployment's ARN: the answer's
// currentServiceDeployment or, when the answer lacks it or was lost (a
// transient error after the SDK's retries), the deployment in progress
// that ListServiceDeployments gives: after Clear, the service had none
// before the update.
func (d *Driver) Start(ctx context.Context, s *Service, taskDef string) (string, error) {
	out, err := d.API.UpdateService(ctx, &ecs.UpdateServiceInput{
		Cluster: aws.String(s.Cluster), Service: aws.String(s.Name), TaskDefinition: aws.String(taskDef),
	})
	if err != nil && !awscfg.Transient(err) && !awscfg.Throttled(err) {
		return "", fmt.Errorf("updating ECS service %q to task definition %s: %w", s.Name, taskDef, err)
	}
	arn := ""
	if err == nil && out.Service != nil {
		arn = aws.ToString(out.Service.CurrentServiceDeployment)
	}
	if arn == "" {
		list, lerr := d.API.ListServiceDeployments(ctx, &ecs.ListServiceDeploymentsInput{
			Cluster: aws.String(s.Cluster), Service: aws.String(s.Name), Status: notEnded,
		})
		if lerr == nil && len(list.ServiceDeployments) > 0 {
			arn = aws.ToString(list.ServiceDeployments[0].ServiceDeploymentArn)
		}
		switch {
		case arn != "" && err != nil:
			d.observer().Note(arn, fmt.Sprintf("UpdateService's answer was lost (%v), but this service deployment of %q is in progress: following it", err, s.Name))
		case err != nil:
			return "", fmt.Errorf("updating ECS service %q to task definition %s: %w", s.Name, taskDef, err)
		case lerr != nil:
			return "", fmt.Errorf("finding the service deployment UpdateService started on %q: %w", s.Name, lerr)
		case arn == "":
			return "", fmt.Errorf("ECS service %q was updated to task definition %s, but no service deployment is in progress", s.Name, taskDef)
		}
	}
	d.observer().Started(arn)
	return arn, nil
}
