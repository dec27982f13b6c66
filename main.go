// Command bluegreen-deploy is the GitHub Action: it fetches AWS Secrets
// Manager values, builds and pushes the repository's image to ECR, and drives
// a CodeDeploy blue/green deployment, reporting back to the workflow.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/pipeline"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/usage"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], pipeline.Env{Getenv: os.Getenv, Environ: os.Environ, Stdout: os.Stdout})
	stop()
	os.Exit(code)
}

// run is the whole action with its process boundary passed in: --help and
// --version are answered, else the pipeline runs.
func run(ctx context.Context, args []string, env pipeline.Env) int {
	if code, done := usage.Handle(args, actionYAML, version, env.Stdout); done {
		return code
	}
	return pipeline.Run(ctx, env)
}
