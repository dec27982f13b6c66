// Package sandbox assembles the AWS sandbox: the core (package awssim) with
// every service registered and the calls between services wired through
// the core's interfaces (awssim.Peers).
package sandbox

import (
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim/agent"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim/cloudformation"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim/codedeploy"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim/ecr"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim/ecs"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim/lambda"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim/s3"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim/secretsmanager"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim/sts"
)

// Sandbox is the core with every service, and the services a test may
// reach into.
type Sandbox struct {
	*awssim.Server
	CodeDeploy *codedeploy.Service
	images     *ecr.Service // the inbox of images other regions replicate here
}

// New returns a sandbox with every service and no resources.
func New(opts awssim.Options) *Sandbox {
	core := awssim.NewServer(opts)
	secretsmanager.Register(core)
	images := ecr.Register(core)
	tasks := ecs.Register(core)
	cd := codedeploy.Register(core)
	// Services matched by their requests, in order: S3 takes the rest.
	aliases := lambda.Register(core)
	cloudformation.Register(core)
	sts.Register(core)
	objects := s3.Register(core)
	core.Peers = awssim.Peers{
		Objects:   objects,
		Images:    images,
		TaskSets:  tasks,
		Aliases:   aliases,
		Functions: aliases,
		NewAgent:  agent.New,
	}
	return &Sandbox{Server: core, CodeDeploy: cd, images: images}
}
