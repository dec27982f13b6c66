package pipeline

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/image"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/plan"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/prcomment"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/secrets"
)

// maxPlanJSON is the most of the plan-json output: a step output holds
// about 32 KiB of UTF-16 (report's limit); beyond it the diffs' text is
// left to the Markdown.
const maxPlanJSON = 16 << 10

// planSecrets describes the secrets the deploy would fetch, reading no value.
func (r *run) planSecrets(ctx context.Context) error {
	if !r.cfg.SecretsEnabled() {
		return nil
	}
	described, err := secrets.Describe(ctx, func(region string) secrets.DescribeAPI { return r.clients.SecretsManagerClient(region) },
		r.cfg.Secrets, r.cfg.AWS.Region)
	r.plan.Secrets = described
	return err
}

// planImage says what the image stage would do, building and pushing nothing.
func (r *run) planImage(ctx context.Context) error {
	var img plan.Image
	var err error
	switch {
	case r.cfg.Image.URI != "":
		img, err = image.ProbeRef(ctx, r.clients.ECR, r.cfg.Image.URI)
	case r.cfg.BuildEnabled():
		img, err = image.Probe(ctx, r.clients.ECR, image.RequestFor(r.cfg, nil, time.Now()), r.cfg.GitHub.Workspace)
	default:
		return nil
	}
	if err != nil {
		return err
	}
	r.plan.Image = &img
	return nil
}

// planTarget has the deployment target say what a deploy would change.
func (r *run) planTarget(ctx context.Context) error {
	if r.target == nil {
		r.plan.Target = plan.Target{Kind: "secrets and image", Name: r.cfg.Image.Repository, Environment: r.cfg.GitHub.Environment}
		return nil
	}
	img := r.plan.Image
	if img == nil {
		return fmt.Errorf("the deploy stage has no image: give ecr-repository or image")
	}
	ref := img.URI
	if ref == "" { // it would be built: named by its first tag until then
		ref = img.Repository + ":" + img.Tags[0]
	}
	var refs []secrets.Reference
	if r.cfg.SecretsEnabled() {
		var ok bool
		if refs, ok = secrets.PlannedReferences(r.cfg.Secrets, r.plan.Secrets); !ok {
			r.plan.Warnings = append(r.plan.Warnings, "parse-json-secrets: the references to JSON keys are known only from the values, which a plan does not read; the differences leave them out")
		}
	}
	return r.target.Plan(ctx, r.plan, ref, refs)
}

// publishPlan sets the plan's outputs, writes it to the job summary and, on
// a pull request, to the pull request's comment for the target.
func (r *run) publishPlan(ctx context.Context) error {
	p := r.plan
	md := p.Markdown()
	r.rep.Output("plan", md)
	r.rep.Output("plan-json", string(planJSON(p)))
	r.rep.Output("changes", strconv.FormatBool(p.Changed()))
	r.rep.Summary(md)
	if p.Changed() {
		r.rep.Noticef("Plan: a deploy would change %s %s", p.Target.Kind, p.Target.Name)
	} else {
		r.rep.Noticef("Plan: a deploy would change nothing live in %s %s", p.Target.Kind, p.Target.Name)
	}
	return r.commentPlan(ctx, md)
}

// planJSON is the plan as JSON within maxPlanJSON: when it is longer, the
// diffs' text is left out (the Markdown has it).
func planJSON(p *plan.Plan) []byte {
	data, _ := json.Marshal(p) // a plan is strings, numbers and lists: it always encodes
	if len(data) <= maxPlanJSON {
		return data
	}
	short := *p
	short.Diffs = nil
	for _, d := range p.Diffs {
		short.Diffs = append(short.Diffs, plan.Diff{Title: d.Title, Unified: "(left out: the plan-json output is limited to 16 KiB; the plan output and the job summary have the diff)"})
	}
	data, _ = json.Marshal(&short)
	return data
}

// commentPlan posts md as the target's plan comment on the pull request
// the run is for, if it is for one and has a github-token. A comment that
// cannot be posted is a warning: the plan itself was made.
func (r *run) commentPlan(ctx context.Context, md string) error {
	g := r.cfg.GitHub
	if g.Token == "" || g.EventPath == "" || g.InAct {
		return nil
	}
	payload, err := os.ReadFile(g.EventPath)
	if err != nil {
		r.rep.Warningf("no plan comment: reading GITHUB_EVENT_PATH: %v", err)
		return nil
	}
	number, ok, err := prcomment.PullRequest(g.EventName, payload)
	if err != nil || !ok {
		if err != nil {
			r.rep.Warningf("no plan comment: %v", err)
		}
		return nil
	}
	c, err := prcomment.New(nil, g.APIURL, g.Token, g.Repository)
	if err == nil {
		var cm prcomment.Comment
		if cm, err = c.Upsert(ctx, number, r.plan.Target.Key(), md); err == nil {
			verb := "updated"
			if cm.Created {
				verb = "posted"
			}
			r.rep.Infof("Plan %s on pull request #%d: %s", verb, number, cm.URL)
			return nil
		}
	}
	r.rep.Warningf("no plan comment on pull request #%d: %v", number, err)
	return nil
}
