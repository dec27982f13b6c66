package server

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/deploy"
)

// fuzzAppSpec checks that parse gives no error or an *deploy.AppSpecError whose
// line is in the file.
func fuzzAppSpec(f *testing.F, seeds []string, parse func(data []byte) error) {
	for _, p := range seeds {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		err := parse(data)
		var ae *deploy.AppSpecError
		lines := strings.Count(string(data), "\n") + 1
		switch {
		case err != nil && !errors.As(err, &ae):
			t.Fatalf("error %v is a %T, want *deploy.AppSpecError", err, err)
		case err != nil && ae.Line > lines:
			t.Fatalf("error at line %d of a %d-line file", ae.Line, lines)
		}
	})
}

// FuzzCheckAppSpec fuzzes the Server appspec.yml check.
func FuzzCheckAppSpec(f *testing.F) {
	seeds, _ := filepath.Glob("../../../../testdata/bundles/*/appspec.yml")
	seeds = append(seeds, "defaultbundle/appspec.yml")
	files := map[string]bool{"appspec.yml": true, "scripts/start.sh": true, "config/app.yml": true}
	fuzzAppSpec(f, seeds, func(data []byte) error { return CheckAppSpec("appspec.yml", data, files) })
}
