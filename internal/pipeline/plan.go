package pipeline

import (
	"context"
	"encoding/json"
	"errors"
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
	if r.fleet != nil {
		return r.planTargets(ctx)
	}
	if r.target == nil {
		r.plan.Target = plan.Target{Kind: "secrets and image", Name: r.cfg.Image.Repository, Environment: r.cfg.GitHub.Environment}
		return nil
	}
	img := r.plan.Image
	if img == nil {
		return fmt.Errorf("the deploy stage has no image: give ecr-repository or image")
	}
	return r.target.Plan(ctx, r.plan, plannedRef(img, img.Repository), r.plannedReferences())
}

// plannedRef names the image a deploy would deploy from repository: by
// digest, or when it would be built by its first tag.
func plannedRef(img *plan.Image, repository string) string {
	if img.Digest != "" {
		return repository + "@" + img.Digest
	}
	return repository + ":" + img.Tags[0]
}

// plannedReferences are the secret references a deploy would pass, as far
// as a plan knows them.
func (r *run) plannedReferences() []secrets.Reference {
	if !r.cfg.SecretsEnabled() {
		return nil
	}
	refs, ok := secrets.PlannedReferences(r.cfg.Secrets, r.plan.Secrets)
	if !ok {
		r.plan.Warnings = append(r.plan.Warnings, "parse-json-secrets: the references to JSON keys are known only from the values, which a plan does not read; the differences leave them out")
	}
	return refs
}

// planTargets has every target of a run with several say what a deploy
// would change, with the image as it would be in the target's region.
func (r *run) planTargets(ctx context.Context) error {
	img := r.plan.Image
	if img == nil {
		return errors.New("the deploy stage has no image: give ecr-repository or image")
	}
	refs := r.plannedReferences()
	ms := r.fleet.members
	r.plan.Target = plan.Target{Platform: fmt.Sprintf("%d targets", len(ms)), Kind: "targets", Name: names(ms), Environment: r.cfg.GitHub.Environment}
	plans := map[*member]*plan.Plan{}
	for _, m := range ms {
		plans[m] = &plan.Plan{}
	}
	err := r.fleet.each(ms, func(m *member) error {
		return m.target.Plan(ctx, plans[m], r.plannedRefIn(ctx, m, plans[m]), refs)
	})
	for _, m := range ms {
		r.plan.Targets = append(r.plan.Targets, plan.Named{Name: m.spec.Name, Wave: m.spec.Wave, Plan: plans[m]})
	}
	return err
}

// plannedRefIn is the image a deploy would give m: in another region than
// the run's, the copy in the repository of the same name there.
func (r *run) plannedRefIn(ctx context.Context, m *member, p *plan.Plan) string {
	img := r.plan.Image
	if m.cfg.AWS.Region == r.cfg.AWS.Region || !r.cfg.BuildEnabled() {
		return plannedRef(img, img.Repository)
	}
	repo, err := image.EnsureRepository(ctx, m.clients.ECR, r.cfg.Image.Repository, false)
	if err != nil {
		p.Warnings = append(p.Warnings, fmt.Sprintf("%s: %v: the deploy copies the image there, and needs the repository (create-repository: true makes it)", m.cfg.AWS.Region, err))
		return plannedRef(img, img.Repository)
	}
	return plannedRef(img, repo.URI)
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
	data, _ = json.Marshal(withoutDiffText(p))
	return data
}

// withoutDiffText is p, and each target's plan, with the diffs' text left out.
func withoutDiffText(p *plan.Plan) *plan.Plan {
	short := *p
	short.Diffs, short.Targets = nil, nil
	for _, d := range p.Diffs {
		short.Diffs = append(short.Diffs, plan.Diff{Title: d.Title, Unified: "(left out: the plan-json output is limited to 16 KiB; the plan output and the job summary have the diff)"})
	}
	for _, t := range p.Targets {
		short.Targets = append(short.Targets, plan.Named{Name: t.Name, Wave: t.Wave, Plan: withoutDiffText(t.Plan)})
	}
	return &short
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
