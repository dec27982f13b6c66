// Command bluegreen-deploy is the GitHub Action: it fetches AWS Secrets
// Manager values, builds and pushes the repository's image to ECR, and drives
// a CodeDeploy blue/green deployment, reporting back to the workflow.
package main

import (
	"context"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/pipeline"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Getenv, os.Stdout)
	stop()
	os.Exit(code)
}

// run is the whole action with its process boundary passed in.
func run(ctx context.Context, getenv func(string) string, stdout io.Writer) int {
	return pipeline.Run(ctx, pipeline.Env{Getenv: getenv, Stdout: stdout})
}
