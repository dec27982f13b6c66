package codedeploy

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
	awsecs "github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/bundlediff"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/config"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/deploy"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/deploy/ecs"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/deploy/inplace"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/deploy/lambda"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/deploy/s3bundle"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/deploy/server"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/image"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/plan"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/secrets"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/taskdiff"
)

// Plan fills p with what a deploy to the group would change, reading only:
// what is live (revision, task definition, function version, image), the
// differences, the rollout of the deployment configuration and the
// warnings. img is the image by digest, or by tag when it would be built.
func (t *Target) Plan(ctx context.Context, p *plan.Plan, img string, refs []secrets.Reference) error {
	cfg, g := t.env.Config, t.group
	in := cfg.Deploy
	p.Target = plan.Target{Platform: string(g.Platform), Kind: service + " deployment group", Name: in.Application + "/" + in.DeploymentGroup, Environment: cfg.GitHub.Environment}
	var run deploy.Run
	if in.SupersedeCheck {
		id, attempt := cfg.GitHub.Run()
		if attempt <= 1 { // a re-run always deploys
			run = deploy.Run{ID: id, Attempt: attempt}
		}
	}
	s, err := deploy.SurveyGroup(ctx, t.env.Clients.CodeDeploy, g, in.DeploymentConfig, run)
	if err != nil {
		return err
	}
	var secretRefs []deploy.SecretRef
	for _, ref := range refs {
		secretRefs = append(secretRefs, deploy.SecretRef{Name: ref.Name, ValueFrom: ref.ValueFrom})
	}
	switch g.Platform {
	case types.ComputePlatformEcs:
		err = t.planECS(ctx, p, img, secretRefs)
	case types.ComputePlatformLambda:
		err = t.planLambda(ctx, p, img)
	default:
		err = t.planServer(ctx, p, s, img, secretRefs)
	}
	if err != nil {
		return err
	}
	pause := in.OnReady == config.ReadyPause
	p.Rollout = s.Rollout(g, pause)
	p.Warn(s.Situation(g, string(in.OnActive), pause))
	return nil
}

// planECS diffs the live task definition with the one Revision would register.
func (t *Target) planECS(ctx context.Context, p *plan.Plan, img string, refs []deploy.SecretRef) error {
	in, c := t.env.Config.Deploy, t.env.Clients
	d, err := ecs.Prepare(ctx, c.ECS, ecs.Input{
		Group: t.group, TaskDefinition: in.TaskDefinition, ContainerName: in.ContainerName, ContainerPort: in.ContainerPort,
		AppSpec: in.AppSpec, ImageURI: img, Secrets: refs,
	})
	if err != nil {
		return err
	}
	out, err := c.ECS.DescribeTaskDefinition(ctx, &awsecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(d.Live)})
	if err != nil {
		return fmt.Errorf("reading task definition %s: %w", d.Live, err)
	}
	live := out.TaskDefinition
	if live == nil {
		return fmt.Errorf("reading task definition %s: the answer has no taskDefinition", d.Live)
	}
	taskdiff.Plan(p, d.Live, live, d.TaskDefinition, img, func(ref string) string {
		if resolved, err := image.Resolve(ctx, c.ECR, ref); err == nil {
			return resolved.URI()
		}
		return ""
	})
	return nil
}

// planLambda compares the alias's version's image with img.
func (t *Target) planLambda(ctx context.Context, p *plan.Plan, img string) error {
	in := t.env.Config.Deploy
	live, err := lambda.Current(ctx, t.env.Clients.Lambda, in.LambdaFunction, in.LambdaAlias)
	if err != nil {
		return err
	}
	alias := "alias " + in.LambdaAlias
	p.Live = append(p.Live, plan.Fact{Label: alias, Value: "version " + live.Version}, plan.Fact{Label: "image", Value: live.Image})
	if live.Image != img {
		p.Compare("image", live.Image, img)
		p.Compare(alias, "version "+live.Version, "a new version of function "+in.LambdaFunction)
	}
	return nil
}

// planServer diffs the live revision's bundle with the one Revision would
// upload.
func (t *Target) planServer(ctx context.Context, p *plan.Plan, s deploy.Survey, img string, refs []deploy.SecretRef) error {
	in, g, region := t.env.Config.Deploy, t.group, t.env.Config.AWS.Region
	var next []byte
	var err error
	if g.InPlace && in.Bundle == "" {
		next, err = inplace.Bundle(inplace.Input{
			Bucket: in.S3Bucket, Prefix: in.S3Prefix, Region: region, ImageURI: img,
			ContainerName: in.ContainerName, ContainerPort: in.ContainerPort, HealthCheckPath: in.HealthCheckPath,
			HealthCheckTimeout: in.HealthTimeout, ProxyImage: in.ProxyImage, Secrets: refs,
		})
	} else {
		next, err = server.Bundle(server.Input{
			Bundle: in.Bundle, Bucket: in.S3Bucket, Prefix: in.S3Prefix, Region: region, ImageURI: img,
			ContainerName: in.ContainerName, ContainerPort: in.ContainerPort, HealthCheckPath: in.HealthCheckPath, HealthTimeout: in.HealthTimeout, Secrets: refs,
		})
	}
	if err != nil {
		return err
	}
	where := "s3://" + in.S3Bucket + "/" + s3bundle.Key(in.S3Prefix, next)
	var liveWhere string
	var live []byte
	if r := s.LiveRevision; r != nil && r.S3Location != nil {
		loc := r.S3Location
		liveWhere = "s3://" + aws.ToString(loc.Bucket) + "/" + aws.ToString(loc.Key)
		obj, err := t.env.Clients.S3.GetObject(ctx, &s3.GetObjectInput{Bucket: loc.Bucket, Key: loc.Key})
		if err != nil {
			return fmt.Errorf("reading the live revision %s: %w", liveWhere, err)
		}
		live, err = io.ReadAll(obj.Body)
		obj.Body.Close()
		if err != nil {
			return fmt.Errorf("reading the live revision %s: %w", liveWhere, err)
		}
	}
	p.Live = append(p.Live, plan.Fact{Label: "revision", Value: liveWhere})
	if live != nil {
		if files, err := bundlediff.Files(live); err == nil {
			if v, ok := envValue(files["deploy.env"], "IMAGE_URI"); ok {
				p.Live = append(p.Live, plan.Fact{Label: "image", Value: v})
				p.Compare("image", v, img)
			}
		}
	}
	p.Compare("revision", liveWhere, where)
	if live == nil || liveWhere == where {
		return nil
	}
	diffs, err := bundlediff.Diff(live, next)
	if err != nil {
		return err
	}
	for _, d := range diffs {
		d.Title = "bundle " + d.Title
		p.Diffs = append(p.Diffs, d)
	}
	return nil
}

// envValue is the value of a NAME='value' line of a deploy.env file (as
// hostscripts writes it, single-quoted).
func envValue(env, name string) (string, bool) {
	for line := range strings.Lines(env) {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), name+"="); ok {
			return strings.ReplaceAll(strings.Trim(v, "'"), `'\''`, "'"), true
		}
	}
	return "", false
}
