// Package e2e runs the action the way its users do: as the container image
// built from the repository's Dockerfile through the Docker engine, in
// workflows run by nektos/act, against the AWS sandbox.
package e2e

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"gopkg.in/yaml.v3"
)

// RunnerImage is act's job container image, made by .ci/images.sh.
const RunnerImage = "bluegreen-deploy/act-runner:local"

// RepoRoot finds the repository root: the nearest directory at or above the
// working directory with a go.mod.
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod at or above the working directory")
		}
		dir = parent
	}
}

// ActionImage returns the image action.yml runs (runs.image without its
// docker:// prefix), the tag BuildImage gives the local build so that act
// runs it without pulling.
func ActionImage(root string) (string, error) {
	data, err := os.ReadFile(filepath.Join(root, "action.yml"))
	if err != nil {
		return "", err
	}
	var action struct {
		Runs struct {
			Image string `yaml:"image"`
		} `yaml:"runs"`
	}
	if err := yaml.Unmarshal(data, &action); err != nil {
		return "", fmt.Errorf("parsing action.yml: %w", err)
	}
	image, ok := strings.CutPrefix(action.Runs.Image, "docker://")
	if !ok {
		return "", fmt.Errorf("action.yml runs.image %q is not a docker:// image", action.Runs.Image)
	}
	return image, nil
}

// FindAct returns the path of the act binary: on PATH, or where go install
// puts it.
func FindAct() (string, error) {
	if path, err := exec.LookPath("act"); err == nil {
		return path, nil
	}
	out, err := exec.Command("go", "env", "GOBIN", "GOPATH").Output()
	if err != nil {
		return "", fmt.Errorf("finding act: %w", err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	dirs := []string{lines[0]}
	if len(lines) > 1 {
		dirs = append(dirs, filepath.Join(lines[1], "bin"))
	}
	for _, dir := range dirs {
		path := filepath.Join(dir, "act")
		if dir != "" && isExecutable(path) {
			return path, nil
		}
	}
	return "", errors.New("act is not installed (go install github.com/nektos/act@v0.2.87)")
}

func isExecutable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0
}
