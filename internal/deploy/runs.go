package deploy

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
)

// createOnce calls CreateDeployment on a context that outlives a cancel by
// StopTimeout (real time: the runner's kill comes in real time), so that a
// cancel does not drop the answer while AWS creates the deployment. When
// the call failed, it looks for the run's deployment by its marker: AWS may
// have created it all the same, and then the run carries on with it. When
// the run was cancelled, it stops the deployment with rollback and returns
// its id with an error saying what became of the stop.
func (d *Driver) createOnce(ctx context.Context, s Spec, in *codedeploy.CreateDeploymentInput) (string, error) {
	cctx, done := d.survivor(ctx)
	defer done()
	from := d.clock().Now()
	out, err := d.API.CreateDeployment(cctx, in)
	var id string
	var limit *types.DeploymentLimitExceededException
	switch {
	case err == nil:
		id = aws.ToString(out.DeploymentId)
	case errors.As(err, &limit):
		return "", err
	case s.Run.ID > 0:
		fctx, done := d.survivor(ctx)
		defer done()
		id = d.findCreated(fctx, s, from)
	}
	if err != nil {
		err = fmt.Errorf("creating a deployment in group %q of application %q: %w", s.Group, s.Application, err)
	}
	if id == "" {
		return "", err
	}
	d.observer().Created(id)
	if ctx.Err() != nil {
		o, _ := d.cancel(ctx, d.watcher(id), true)
		return id, fmt.Errorf("the run was cancelled while deployment %s was being created: %w", id, o.Err())
	}
	if err != nil {
		d.observer().Note(id, fmt.Sprintf("CreateDeployment failed (%v), yet this run's deployment %s exists: carrying on with it", err, id))
	}
	return id, nil
}

// survivor is a context that outlives ctx's cancel by StopTimeout, in real time.
func (d *Driver) survivor(ctx context.Context) (context.Context, context.CancelFunc) {
	c, cancel := context.WithCancel(context.WithoutCancel(ctx))
	unhook := context.AfterFunc(ctx, func() { time.AfterFunc(d.stopTimeout(), cancel) })
	return c, func() { unhook(); cancel() }
}

// findTries is how often findCreated looks for the run's deployment.
const findTries = 3

// findCreated looks for the deployment this run created in the group since
// from (a CreateDeployment whose answer was lost): a non-terminal one whose
// description carries the run's marker. "" when there is none.
func (d *Driver) findCreated(ctx context.Context, s Spec, from time.Time) string {
	for try := 1; try <= findTries; try++ {
		if id := d.findMarked(ctx, s, from); id != "" {
			return id
		}
		if !d.clock().Sleep(ctx, d.pollMin()) {
			break
		}
	}
	return ""
}

func (d *Driver) findMarked(ctx context.Context, s Spec, from time.Time) string {
	marker := s.Run.Marker() + ")"
	list, err := d.API.ListDeployments(ctx, &codedeploy.ListDeploymentsInput{
		ApplicationName:     aws.String(s.Application),
		DeploymentGroupName: aws.String(s.Group),
		IncludeOnlyStatuses: nonTerminal,
		CreateTimeRange:     &types.TimeRange{Start: aws.Time(from.Add(-time.Minute)), End: aws.Time(d.clock().Now().Add(time.Minute))},
	})
	if err != nil {
		return ""
	}
	for _, id := range list.Deployments {
		out, err := d.API.GetDeployment(ctx, &codedeploy.GetDeploymentInput{DeploymentId: aws.String(id)})
		if err == nil && out.DeploymentInfo != nil && strings.HasSuffix(aws.ToString(out.DeploymentInfo.Description), marker) {
			return id
		}
	}
	return ""
}

// checkSuperseded returns a *SupersededError when a newer run's deployment
// is active or last succeeded in the group, or, when since is set, has
// succeeded in it since then.
func (d *Driver) checkSuperseded(ctx context.Context, s Spec, since time.Time) error {
	if !s.SupersedeCheck || s.Run.ID <= 0 || s.Run.Attempt > 1 {
		return nil
	}
	var ids []string
	g, err := d.API.GetDeploymentGroup(ctx, &codedeploy.GetDeploymentGroupInput{
		ApplicationName: aws.String(s.Application), DeploymentGroupName: aws.String(s.Group),
	})
	if err != nil {
		return fmt.Errorf("reading deployment group %q for newer runs' deployments (supersede-check): %w", s.Group, err)
	}
	if info := g.DeploymentGroupInfo; info != nil && info.LastSuccessfulDeployment != nil {
		if id := aws.ToString(info.LastSuccessfulDeployment.DeploymentId); id != "" {
			ids = append(ids, id)
		}
	}
	statuses := nonTerminal
	var created *types.TimeRange
	if !since.IsZero() {
		statuses = append(slices.Clone(nonTerminal), types.DeploymentStatusSucceeded)
		created = &types.TimeRange{Start: aws.Time(since.Add(-time.Minute))} // a minute for the clocks' skew
	}
	list, err := d.API.ListDeployments(ctx, &codedeploy.ListDeploymentsInput{
		ApplicationName:     aws.String(s.Application),
		DeploymentGroupName: aws.String(s.Group),
		IncludeOnlyStatuses: statuses,
		CreateTimeRange:     created,
	})
	if err != nil {
		return fmt.Errorf("listing the active deployments of group %q (supersede-check): %w", s.Group, err)
	}
	for _, id := range append(ids, list.Deployments...) {
		out, err := d.API.GetDeployment(ctx, &codedeploy.GetDeploymentInput{DeploymentId: aws.String(id)})
		if err != nil {
			return fmt.Errorf("reading deployment %s (supersede-check): %w", id, err)
		}
		if info := out.DeploymentInfo; info != nil && info.Creator != types.DeploymentCreatorCodeDeployRollback {
			if run, ok := runOf(aws.ToString(info.Description)); ok && run.ID > s.Run.ID {
				return &SupersededError{Group: s.Group, ID: id, By: run}
			}
		}
	}
	return nil
}

// checkAgain closes the supersede race: between checkSuperseded (at
// checked) and CreateDeployment a newer run may have created its deployment
// and seen it succeed. Once the run's deployment id holds the group (no
// other can start), it checks again, also among the deployments that
// succeeded since checked (this run's may have succeeded meanwhile, and be
// the group's last). When a newer run's deployment is found it stops id
// with rollback (StopDeployment's autoRollbackEnabled, botocore's codedeploy
// model: updated instances are "rolled back to the previous version of the
// application revision", the newer run's), follows the stop and the
// rollback to their end within limit and returns the *SupersededError. A
// check that cannot read the group is noted and the run carries on.
func (d *Driver) checkAgain(ctx context.Context, s Spec, id string, checked time.Time, limit time.Duration) error {
	err := d.checkSuperseded(ctx, s, checked)
	var sup *SupersededError
	if !errors.As(err, &sup) {
		if err != nil && ctx.Err() == nil {
			d.observer().Note(id, fmt.Sprintf("checking again for a newer run's deployment once %s existed failed (%v): carrying on", id, err))
		}
		return nil
	}
	w := d.watcher(id)
	if _, err := w.poll(ctx); err == nil {
		sup.TrafficMoved = w.status() == types.DeploymentStatusSucceeded || w.trafficShifted()
	}
	if w.status() == types.DeploymentStatusSucceeded {
		sup.Stopped = w.outcome()
		return sup
	}
	moved := "before traffic moves"
	if sup.TrafficMoved {
		moved = "after traffic moved to it"
	}
	w.note(fmt.Sprintf("newer run %d's deployment %s appeared before this run's %s: stopping %s with rollback %s", sup.By.ID, sup.ID, id, id, moved))
	stopErr := d.stopAndSettle(ctx, w, true)
	out, err := d.finish(ctx, w, limit)
	out.StopRequested, out.StopErr = stopErr == nil, stopErr
	sup.Stopped = out
	return errors.Join(sup, err)
}
