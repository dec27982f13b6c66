package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim/awssimtest"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/config"
)

// binDir holds the binaries this package's tests build; TestMain removes it.
var binDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "bluegreen-deploy-bin-")
	if err != nil {
		panic(err)
	}
	binDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

var (
	buildOnce sync.Once
	built     string
	buildErr  error
)

// buildBinary builds the action's binary once for all of this package's
// tests and returns its path. Only this package's tests build the binary.
func buildBinary(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		bin := filepath.Join(binDir, "bluegreen-deploy")
		if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
			return
		}
		built = bin
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return built
}

// runEnv is the environment of run n of the action in workspace ws against
// sb with inputs, as KEY=value.
func runEnv(ws string, sb *awssimtest.Sandbox, inputs map[string]string, n int) []string {
	env := []string{"GITHUB_WORKSPACE=" + ws, "PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"), "DOCKER_HOST=" + os.Getenv("DOCKER_HOST"),
		"GITHUB_ACTIONS=true", "GITHUB_REPOSITORY=octo/app", fmt.Sprintf("GITHUB_RUN_ID=%d", 1000+n), "GITHUB_RUN_ATTEMPT=1",
		fmt.Sprintf("GITHUB_SHA=%040d", n)}
	for k, v := range sb.Env() {
		env = append(env, k+"="+v)
	}
	for k, v := range inputs {
		env = append(env, config.InputKey(k)+"="+v)
	}
	return env
}
