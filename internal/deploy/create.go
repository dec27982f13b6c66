package deploy

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"time"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awscfg"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/poll"

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
	Description string // RunDescription's, with Run's marker when Run is set
	Revision    Revision
	OnActive    OnActive
	// ActiveLimit bounds waiting for the group to be free (0: 30 min).
	ActiveLimit time.Duration
	// Run is the run creating the deployment (zero: unknown). Its marker in
	// the description lets Create find the deployment when CreateDeployment
	// failed or was cut short after AWS created it.
	Run Run
	// SupersedeCheck: deploy nothing (ErrSuperseded) when a newer run's
	// deployment is active or last succeeded in the group. It needs Run and
	// is skipped on a re-run (attempt above 1), which is deliberate.
	SupersedeCheck bool
}

// SupersededError says which newer run's deployment made the run deploy
// nothing.
type SupersededError struct {
	Group, ID string
	By        Run
	// Stopped is the run's own deployment when the newer run's was found
	// only once it existed (the supersede race): stopped with rollback, as
	// it ended. Nil when the run created none.
	Stopped *Outcome
	// TrafficMoved: traffic had already moved to Stopped's revision when
	// the newer run's deployment was found.
	TrafficMoved bool
}

func (e *SupersededError) Error() string {
	return fmt.Sprintf("deployment group %q has deployment %s of a newer run (%d): %s", e.Group, e.ID, e.By.ID, e.Done())
}

// Done says what became of the run's own deployment.
func (e *SupersededError) Done() string {
	o := e.Stopped
	switch {
	case o == nil:
		return "this run deploys nothing"
	case o.Status == types.DeploymentStatusSucceeded:
		return fmt.Sprintf("this run's deployment %s, created meanwhile, had already succeeded: its older revision is live and this run redeploys nothing (deploy the newer commit again to put it back)", o.ID)
	case o.StopErr != nil:
		return fmt.Sprintf("this run's deployment %s, created meanwhile, could not be stopped (%v): it is %s", o.ID, o.StopErr, o.statusWord())
	}
	moved := "before traffic moved"
	if e.TrafficMoved {
		moved = "after traffic had moved to it: the rollback moves traffic back to the group's last successful revision, the newer run's; nothing older is redeployed"
	}
	done := fmt.Sprintf("this run's deployment %s, created meanwhile, was stopped with rollback %s", o.ID, moved)
	if o.Status != types.DeploymentStatusStopped {
		done += fmt.Sprintf(" (it is %s)", o.statusWord())
	}
	if o.RollbackID != "" {
		done += fmt.Sprintf("; rollback %s is %s", o.RollbackID, o.RollbackStatus)
	}
	return done
}

func (e *SupersededError) Unwrap() error { return ErrSuperseded }

// Create creates the deployment and returns its id, telling the observer at
// once. The group's own auto-rollback configuration applies. While the
// group is busy it waits, stops or fails per OnActive, within ActiveLimit.
// When it returns an id with an error, the deployment exists and Create
// tried to stop it (the run was cancelled, or CreateDeployment failed after
// AWS created it, or a newer run's deployment was found once it existed: a
// *SupersededError); the error says what became of the stop.
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
	limitWait := s.ActiveLimit
	if limitWait <= 0 {
		limitWait = timeoutMargin
	}
	deadline := d.clock().Now().Add(limitWait)
	stopped := map[string]bool{}
	for {
		checked := d.clock().Now()
		if err := d.checkSuperseded(ctx, s, time.Time{}); err != nil {
			if !errors.Is(err, ErrSuperseded) && d.waitOut(ctx, s.Group, deadline, err) {
				continue
			}
			return "", err
		}
		id, err := d.createOnce(ctx, s, in)
		var limit *types.DeploymentLimitExceededException
		switch {
		case err == nil:
			return id, d.checkAgain(ctx, s, id, checked, limitWait)
		case id != "":
			return id, err
		case !errors.As(err, &limit) && d.waitOut(ctx, s.Group, deadline, err):
			continue
		case !errors.As(err, &limit):
			return "", err
		}
		active, creator, err := d.active(ctx, s, aws.ToString(limit.Message))
		if err != nil {
			if d.waitOut(ctx, s.Group, deadline, err) {
				continue
			}
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
		left := deadline.Sub(d.clock().Now())
		if left <= 0 {
			return "", fmt.Errorf("deployment group %q is still busy with %s after %s: %w", s.Group, active, limitWait, ErrActive)
		}
		end, err := d.watcher(active).follow(ctx, left, readyWait)
		switch {
		case err != nil:
			return "", fmt.Errorf("waiting for active deployment %s: %w", active, err)
		case end == poll.Cancelled:
			return "", fmt.Errorf("waiting for active deployment %s: %w", active, context.Cause(ctx))
		}
	}
}

// waitOut reports whether err is transient (throttling, a server fault, a
// network error) and, if so, notes it under label and waits a moment
// before the caller tries again,
// as long as deadline allows and ctx lives.
func (d *Driver) waitOut(ctx context.Context, label string, deadline time.Time, err error) bool {
	if !awscfg.Throttled(err) && !awscfg.Transient(err) || !d.clock().Now().Before(deadline) {
		return false
	}
	d.observer().Note(label, fmt.Sprintf("retrying until the timeout: %v", err))
	return d.clock().Sleep(ctx, d.pollMax())
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
