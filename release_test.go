package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// releaseStep is the part of a release.yml step the tests read.
type releaseStep struct {
	ID   string            `yaml:"id"`
	Name string            `yaml:"name"`
	Uses string            `yaml:"uses"`
	Run  string            `yaml:"run"`
	With map[string]string `yaml:"with"`
	Env  map[string]string `yaml:"env"`
}

type releaseWorkflow struct {
	Permissions map[string]string `yaml:"permissions"`
	Jobs        struct {
		Release struct {
			Steps []releaseStep `yaml:"steps"`
		} `yaml:"release"`
	} `yaml:"jobs"`
}

const pushedDigest = "${{ steps.build.outputs.digest }}"

func readReleaseWorkflow(t *testing.T) releaseWorkflow {
	t.Helper()
	data, err := os.ReadFile(".github/workflows/release.yml")
	if err != nil {
		t.Fatal(err)
	}
	var w releaseWorkflow
	if err := yaml.Unmarshal(data, &w); err != nil {
		t.Fatalf("parsing release.yml: %v", err)
	}
	return w
}

// stepIndex returns the index of the first step match accepts, or fails.
func stepIndex(t *testing.T, steps []releaseStep, what string, match func(releaseStep) bool) int {
	t.Helper()
	i := slices.IndexFunc(steps, match)
	if i < 0 {
		t.Fatalf("release.yml has no step that %s", what)
	}
	return i
}

// TestReleaseWorkflow checks that a release tag's commit runs exactly one
// image: the image is pushed by version only, its provenance and SBOM are
// attested by the pushed digest, and action.yml is pinned to that digest
// before the tags move to the commit that pins it.
func TestReleaseWorkflow(t *testing.T) {
	t.Parallel()
	w := readReleaseWorkflow(t)
	for scope, want := range map[string]string{"contents": "write", "packages": "write", "id-token": "write", "attestations": "write"} {
		if got := w.Permissions[scope]; got != want {
			t.Errorf("permissions %s = %q, want %q", scope, got, want)
		}
	}
	steps := w.Jobs.Release.Steps
	sha := regexp.MustCompile(`^[^@]+@[0-9a-f]{40}$`)
	for _, s := range steps {
		if s.Uses != "" && !sha.MatchString(s.Uses) {
			t.Errorf("step uses %q: pin actions by commit SHA", s.Uses)
		}
	}

	build := stepIndex(t, steps, "pushes the image (id build)", func(s releaseStep) bool {
		return s.ID == "build" && strings.HasPrefix(s.Uses, "docker/build-push-action@") && s.With["push"] == "true"
	})
	if tags := steps[build].With["tags"]; strings.Contains(tags, "major") || strings.Contains(tags, "\n") {
		t.Errorf("build pushes tags %q; want only the version tag (no mutable major image tag)", tags)
	}
	sbom := stepIndex(t, steps, "generates the SBOM", func(s releaseStep) bool {
		return strings.HasPrefix(s.Uses, "anchore/sbom-action@")
	})
	if got, want := steps[sbom].With["image"], "${{ env.IMAGE }}@"+pushedDigest; got != want {
		t.Errorf("SBOM step scans %q, want %q", got, want)
	}
	provenance := stepIndex(t, steps, "attests build provenance", func(s releaseStep) bool {
		return strings.HasPrefix(s.Uses, "actions/attest-build-provenance@")
	})
	sbomAttest := stepIndex(t, steps, "attests the SBOM", func(s releaseStep) bool {
		return strings.HasPrefix(s.Uses, "actions/attest@") && s.With["sbom-path"] != ""
	})
	if got, want := steps[sbomAttest].With["sbom-path"], steps[sbom].With["output-file"]; got != want {
		t.Errorf("SBOM attestation reads %q; the SBOM step writes %q", got, want)
	}
	for _, i := range []int{provenance, sbomAttest} {
		with := steps[i].With
		if with["subject-name"] != "${{ env.IMAGE }}" || with["subject-digest"] != pushedDigest || with["push-to-registry"] != "true" {
			t.Errorf("step %q attests subject %q @ %q (push-to-registry %q); want ${{ env.IMAGE }} @ %s, pushed to the registry",
				steps[i].Name, with["subject-name"], with["subject-digest"], with["push-to-registry"], pushedDigest)
		}
	}
	pin := stepIndex(t, steps, "pins the digest in action.yml (id pin)", func(s releaseStep) bool {
		return s.ID == "pin"
	})
	if steps[pin].Env["DIGEST"] != pushedDigest || !strings.Contains(steps[pin].Run, "action.yml") {
		t.Errorf("pin step: DIGEST %q, run %q; want the pushed digest written into action.yml", steps[pin].Env["DIGEST"], steps[pin].Run)
	}
	tags := stepIndex(t, steps, "pushes the tags", func(s releaseStep) bool {
		return strings.Contains(s.Run, "git push") && strings.Contains(s.Run, "refs/tags/")
	})
	for _, tagger := range steps {
		if strings.Contains(tagger.Run, "git tag") && !strings.Contains(tagger.Run, "git push") {
			t.Errorf("step %q tags without pushing; the tags move in one step", tagger.Name)
		}
	}
	order := []struct {
		name string
		at   int
	}{{"build", build}, {"sbom", sbom}, {"provenance attestation", provenance}, {"SBOM attestation", sbomAttest}, {"pin", pin}, {"tag push", tags}}
	for i := 1; i < len(order); i++ {
		if order[i-1].at >= order[i].at {
			t.Errorf("step order: %s (step %d) must run before %s (step %d)", order[i-1].name, order[i-1].at, order[i].name, order[i].at)
		}
	}
}

// TestReleasePinStep runs the pin step's script on a copy of action.yml in a
// scratch git repository: runs.image becomes the pushed digest, nothing else
// changes, and the change is committed.
func TestReleasePinStep(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("yq"); err != nil {
		t.Skip("yq not installed (the GitHub runner has it)")
	}
	w := readReleaseWorkflow(t)
	i := slices.IndexFunc(w.Jobs.Release.Steps, func(s releaseStep) bool { return s.ID == "pin" })
	if i < 0 {
		t.Fatal("release.yml has no step with id pin")
	}
	original, err := os.ReadFile("action.yml")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "action.yml"), original, 0o644); err != nil {
		t.Fatal(err)
	}
	git := func(args ...string) string {
		t.Helper()
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	git("init", "--quiet")
	git("add", "action.yml")
	git("commit", "--quiet", "-m", "source")

	const image, digest = "ghcr.io/bluegreen-deploy/bluegreen-deploy", "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	cmd := exec.Command("bash", "-e", "-c", w.Jobs.Release.Steps[i].Run)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "IMAGE="+image, "DIGEST="+digest, "VERSION=v1.2.3")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("pin step: %v\n%s", err, out)
	}

	pinned, err := os.ReadFile(filepath.Join(dir, "action.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var action struct {
		Runs struct {
			Image string `yaml:"image"`
		} `yaml:"runs"`
	}
	if err := yaml.Unmarshal(pinned, &action); err != nil {
		t.Fatalf("parsing the pinned action.yml: %v", err)
	}
	if want := "docker://" + image + "@" + digest; action.Runs.Image != want {
		t.Errorf("pinned runs.image = %q, want %q", action.Runs.Image, want)
	}
	if diff := git("diff", "--numstat", "HEAD~1", "HEAD"); strings.TrimSpace(diff) != "1\t1\taction.yml" {
		t.Errorf("the release commit changes %q; want one line of action.yml", diff)
	}
	if status := git("status", "--porcelain"); status != "" {
		t.Errorf("uncommitted changes after the pin step: %q", status)
	}
}
