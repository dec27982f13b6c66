// Package hostscripts owns the scripts that the generated Server and
// in-place bundles share: common.sh (deploy.env, logging), ecr.sh (an ECR
// pull with the instance's role) and envfile.sh (the root-only env file of
// the referenced secrets), sourced by the hooks from scripts/; and the hooks
// both run alike: pull.sh (BeforeInstall) and secrets.sh (AfterInstall).
package hostscripts

import (
	"embed"
	"fmt"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/deploy/s3bundle"
)

//go:embed scripts
var scripts embed.FS

// Add returns files with the shared scripts added as scripts/<name>.
func Add(files []s3bundle.File) ([]s3bundle.File, error) {
	helpers, err := s3bundle.EmbeddedFiles(scripts)
	if err != nil {
		return nil, fmt.Errorf("reading the host scripts: %w", err)
	}
	return append(files, helpers...), nil
}
