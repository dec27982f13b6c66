package pipeline

import (
	"context"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/config"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/plan"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/platform"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/platform/codedeploy"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/platform/ecsnative"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/secrets"
)

// Target is a deployment target as the pipeline drives it, whatever its
// platform. It reports its progress itself, and fills the run's result:
// the deployment's facts and status, and the run's outcome when the
// deployment decides it.
type Target interface {
	// Discover reads what the inputs deploy to (read-only) and refuses the
	// inputs it cannot use, before anything is created in AWS.
	Discover(ctx context.Context) error
	// Prepare makes the revision that runs image, with the secrets by
	// reference.
	Prepare(ctx context.Context, image string, secrets []secrets.Reference) error
	// Plan fills p with what Prepare and Deploy would change, reading
	// only: what is live, the differences, the rollout and the warnings.
	// image is by digest, or by tag when it would be built.
	Plan(ctx context.Context, p *plan.Plan, image string, secrets []secrets.Reference) error
	// Deploy starts the deployment of the prepared revision and follows it
	// as the inputs ask.
	Deploy(ctx context.Context) error
	// Attach makes the existing deployment id the one Command acts on.
	Attach(id string)
	// Command runs continue, stop or status on the attached deployment.
	Command(ctx context.Context, cmd config.Command) error
	// Title names what is deployed, or the attached deployment, for the
	// GitHub deployment: "CodeDeploy web/prod".
	Title() string
	// InputFor names the input that made the target call the IAM action
	// (service:Operation), for an AccessDenied error.
	InputFor(action string) string
	// Undo is the AWS CLI command that puts back what was live before
	// Deploy, for a deployment that succeeded and is not rolled back; ""
	// when nothing was live.
	Undo() string
}

// platforms are the deployment platforms, in the order config chooses
// among them, each with the inputs that choose it, the files it checks
// before any AWS call, and its constructor.
var platforms = []struct {
	config.Platform
	checkFiles func(config.Deploy) error
	new        func(platform.Env) Target
}{
	{codedeploy.Inputs, codedeploy.CheckFiles, func(e platform.Env) Target { return codedeploy.New(e) }},
	{ecsnative.Inputs, ecsnative.CheckFiles, func(e platform.Env) Target { return ecsnative.New(e) }},
}

// Platforms are the deployment platforms as config chooses among them.
func Platforms() []config.Platform {
	var ps []config.Platform
	for _, p := range platforms {
		ps = append(ps, p.Platform)
	}
	return ps
}

// chosen is the platform config chose for cfg.
func chosen(cfg *config.Config) int {
	for i, p := range platforms {
		if p.Name == cfg.Platform {
			return i
		}
	}
	return -1
}

// newTarget makes the run's target on the platform config chose.
func (r *run) newTarget() Target {
	return platforms[chosen(r.cfg)].new(platform.Env{Config: r.cfg, Clients: r.clients, Report: r.rep, Result: r.result, Clock: r.env.Clock})
}
