package pipeline

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/service/codedeploy/types"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/config"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/deploy"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/deploy/ecs"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/deploy/inplace"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/deploy/lambda"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/deploy/server"
)

// platform is a compute platform as the pipeline wires it: the check of
// the inputs a group of it needs, made at discovery, and its revision.
type platform struct {
	check    func(in config.Deploy, group string) error
	revision func(ctx context.Context, r *run, g deploy.Group, image string, refs []deploy.SecretRef) (deploy.Revision, error)
}

// platforms are the compute platforms the action deploys to.
var platforms = map[types.ComputePlatform]platform{
	types.ComputePlatformServer: {server.CheckInputs, func(ctx context.Context, r *run, g deploy.Group, image string, refs []deploy.SecretRef) (deploy.Revision, error) {
		in := r.cfg.Deploy
		if g.InPlace && in.Bundle == "" { // single-host blue/green
			return inplace.Revision(ctx, r.clients.S3, inplace.Input{
				Bucket: in.S3Bucket, Prefix: in.S3Prefix, Region: r.cfg.AWS.Region, ImageURI: image,
				ContainerName: in.ContainerName, ContainerPort: in.ContainerPort, HealthCheckPath: in.HealthCheckPath,
				HealthCheckTimeout: in.HealthTimeout, ProxyImage: in.ProxyImage, Secrets: refs,
			})
		}
		return server.Revision(ctx, r.clients.S3, server.Input{
			Bundle: in.Bundle, Bucket: in.S3Bucket, Prefix: in.S3Prefix, Region: r.cfg.AWS.Region, ImageURI: image,
			ContainerName: in.ContainerName, ContainerPort: in.ContainerPort, HealthCheckPath: in.HealthCheckPath, HealthTimeout: in.HealthTimeout, Secrets: refs,
		})
	}},
	types.ComputePlatformEcs: {ecs.CheckInputs, func(ctx context.Context, r *run, g deploy.Group, image string, refs []deploy.SecretRef) (deploy.Revision, error) {
		in := r.cfg.Deploy
		return ecs.Revision(ctx, r.clients.ECS, ecs.Input{
			Group: g, TaskDefinition: in.TaskDefinition, ContainerName: in.ContainerName, ContainerPort: in.ContainerPort,
			AppSpec: in.AppSpec, ImageURI: image, Secrets: refs,
		})
	}},
	types.ComputePlatformLambda: {lambda.CheckInputs, func(ctx context.Context, r *run, _ deploy.Group, image string, _ []deploy.SecretRef) (deploy.Revision, error) {
		in := r.cfg.Deploy
		return lambda.Revision(ctx, r.clients.Lambda, lambda.Input{Function: in.LambdaFunction, Alias: in.LambdaAlias, AppSpec: in.AppSpec, ImageURI: image})
	}},
}
