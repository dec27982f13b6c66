package deploy

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
)

// OnActive says what Create does when the group already has an active
// deployment.
type OnActive string

// OnActive policies.
const (
	ActiveWait OnActive = "wait" // wait for it to end, then create
	ActiveStop OnActive = "stop" // stop it with rollback, wait for the group to be free, then create
	ActiveFail OnActive = "fail" // fail, naming it
)

// Spec is the deployment to create.
type Spec struct {
	Application string
	Group       string
	Config      string // "": the group's
	Description string
	Revision    Revision
	OnActive    OnActive
	// ActiveLimit bounds waiting for an active deployment (0: 30 min).
	ActiveLimit time.Duration
}

// maxCreateAttempts bounds how often Create meets another active deployment.
const maxCreateAttempts = 5

// Create creates the deployment and returns its id, telling the observer at
// once. The group's own auto-rollback configuration applies.
func (d *Driver) Create(ctx context.Context, s Spec) (string, error) {
	in := &codedeploy.CreateDeploymentInput{
		ApplicationName:     aws.String(s.Application),
		DeploymentGroupName: aws.String(s.Group),
		Revision:            &s.Revision.Location,
	}
	if s.Config != "" {
		in.DeploymentConfigName = aws.String(s.Config)
	}
	if s.Description != "" {
		in.Description = aws.String(s.Description)
	}
	stopped := map[string]bool{}
	for attempt := 1; ; attempt++ {
		out, err := d.API.CreateDeployment(ctx, in)
		if err == nil {
			id := aws.ToString(out.DeploymentId)
			d.observer().Created(id)
			return id, nil
		}
		var limit *types.DeploymentLimitExceededException
		if !errors.As(err, &limit) {
			return "", fmt.Errorf("creating a deployment in group %q of application %q: %w", s.Group, s.Application, err)
		}
		if attempt == maxCreateAttempts {
			return "", fmt.Errorf("creating a deployment in group %q: the group stayed busy after %d attempts: %w", s.Group, attempt, err)
		}
		active, creator, err := d.active(ctx, s, aws.ToString(limit.Message))
		if err != nil {
			return "", err
		}
		if active == "" {
			continue // it ended meanwhile
		}
		switch {
		case s.OnActive == ActiveFail:
			return "", fmt.Errorf("deployment group %q is busy with deployment %s (on-active-deployment: fail): %w", s.Group, active, ErrActive)
		case s.OnActive == ActiveStop && !stopped[active] && creator != types.DeploymentCreatorCodeDeployRollback:
			d.observer().Note(active, fmt.Sprintf("deployment group %q is busy with %s: stopping it with rollback (on-active-deployment: stop)", s.Group, active))
			if err := d.stop(ctx, active, true); err != nil {
				return "", fmt.Errorf("stopping the active deployment (on-active-deployment: stop): %w", err)
			}
			stopped[active] = true
		default:
			d.observer().Note(active, fmt.Sprintf("deployment group %q is busy with %s: waiting for it to end", s.Group, active))
		}
		limitWait := s.ActiveLimit
		if limitWait <= 0 {
			limitWait = timeoutMargin
		}
		end, err := d.watcher(active).follow(ctx, limitWait, readyWait)
		switch {
		case err != nil:
			return "", fmt.Errorf("waiting for active deployment %s: %w", active, err)
		case end == endCancelled:
			return "", fmt.Errorf("waiting for active deployment %s: %w", active, context.Cause(ctx))
		case end == endTimeout:
			return "", fmt.Errorf("deployment group %q is still busy with %s after %s: %w", s.Group, active, limitWait, ErrActive)
		}
	}
}

// activeIDPattern finds the active deployment's id in DeploymentLimitExceeded's message.
var activeIDPattern = regexp.MustCompile(`'(d-[A-Z0-9]{9})'`)

// nonTerminal lists the statuses of an active deployment.
var nonTerminal = []types.DeploymentStatus{
	types.DeploymentStatusCreated, types.DeploymentStatusQueued, types.DeploymentStatusInProgress,
	types.DeploymentStatusBaking, types.DeploymentStatusReady,
}

// active finds the group's active deployment and who created it: the id in
// the error message, or the newest non-terminal deployment of the group.
// "" means there is none any more.
func (d *Driver) active(ctx context.Context, s Spec, message string) (string, types.DeploymentCreator, error) {
	var id string
	if m := activeIDPattern.FindStringSubmatch(message); m != nil {
		id = m[1]
	} else {
		out, err := d.API.ListDeployments(ctx, &codedeploy.ListDeploymentsInput{
			ApplicationName:     aws.String(s.Application),
			DeploymentGroupName: aws.String(s.Group),
			IncludeOnlyStatuses: nonTerminal,
		})
		if err != nil {
			return "", "", fmt.Errorf("finding the active deployment of group %q: %w", s.Group, err)
		}
		if len(out.Deployments) == 0 {
			return "", "", nil
		}
		id = out.Deployments[0]
	}
	out, err := d.API.GetDeployment(ctx, &codedeploy.GetDeploymentInput{DeploymentId: aws.String(id)})
	if err != nil {
		return "", "", fmt.Errorf("reading active deployment %s: %w", id, err)
	}
	if out.DeploymentInfo == nil || isTerminal(out.DeploymentInfo.Status) {
		return "", "", nil
	}
	return id, out.DeploymentInfo.Creator, nil
}
