package server

import (
	"path/filepath"
	"testing"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/deploy/deploytest"
)

// FuzzCheckAppSpec fuzzes the Server appspec.yml check.
func FuzzCheckAppSpec(f *testing.F) {
	seeds, _ := filepath.Glob("../../../../testdata/bundles/*/appspec.yml")
	seeds = append(seeds, "defaultbundle/appspec.yml")
	files := map[string]bool{"appspec.yml": true, "scripts/start.sh": true, "config/app.yml": true}
	deploytest.FuzzAppSpec(f, seeds, func(data []byte) error { return CheckAppSpec("appspec.yml", data, files) })
}
