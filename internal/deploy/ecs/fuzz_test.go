package ecs

import (
	"path/filepath"
	"testing"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/deploy/deploytest"
)

// FuzzParseECSTemplate fuzzes the ECS appspec template's parser.
func FuzzParseECSTemplate(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join(appSpecs, "*.yaml"))
	deploytest.FuzzAppSpec(f, seeds, func(data []byte) error {
		_, err := parseECSTemplate("appspec.yaml", data)
		return err
	})
}
