package main

import (
	"os/exec"
	"path/filepath"
	"testing"
)

// buildBinary builds the action's binary into a temporary directory and
// returns its path. Only this package's tests build the binary.
func buildBinary(t testing.TB) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "bluegreen-deploy")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}
