package server_test

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/deploy"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/deploy/server"
)

func TestCheckAppSpec(t *testing.T) {
	t.Parallel()
	files := map[string]bool{"appspec.yml": true, "scripts/a.sh": true, "config/x.yml": true}
	tests := []struct {
		name, spec string
		wantLine   int
		want       string // in the problem; "" for a sound AppSpec
	}{
		{"sound", "version: 0.0\nos: linux\nfiles:\n  - source: config\n    destination: /opt\nhooks:\n  BeforeInstall:\n    - location: scripts/a.sh\n      timeout: 300\n", 0, ""},
		{"leading slash", "version: 0.0\nos: linux\nhooks:\n  ApplicationStart:\n    - location: /scripts/a.sh\n", 0, ""},
		{"version", "version: 1.0\nos: linux\n", 1, "version must be 0.0"},
		{"os", "version: 0.0\nos: plan9\n", 2, "os must be linux or windows"},
		{"escaping script", "version: 0.0\nos: linux\nhooks:\n  BeforeInstall:\n    - location: ../../etc/x.sh\n", 5, "leaves the bundle folder"},
		{"missing script", "version: 0.0\nos: linux\nhooks:\n  BeforeInstall:\n    - location: scripts/b.sh\n", 5, "is not in the bundle"},
		{"escaping source", "version: 0.0\nos: linux\nfiles:\n  - source: ../secret\n    destination: /opt\n", 4, "leaves the bundle folder"},
		{"reserved hook", "version: 0.0\nos: linux\nhooks:\n  Install:\n    - location: scripts/a.sh\n", 4, "is run by CodeDeploy"},
		{"unknown hook", "version: 0.0\nos: linux\nhooks:\n  AfterAllowTestTraffic:\n    - location: scripts/a.sh\n", 4, "not a lifecycle event"},
		{"timeout", "version: 0.0\nos: linux\nhooks:\n  BeforeInstall:\n    - location: scripts/a.sh\n      timeout: 7200\n", 6, "1 to 3600"},
		{"not yaml", "version: [\n", 0, "not valid YAML"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := server.CheckAppSpec("appspec.yml", []byte(tt.spec), files)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("got %v, want no error", err)
				}
				return
			}
			var ae *deploy.AppSpecError
			if !errors.As(err, &ae) || !strings.Contains(ae.Problem, tt.want) || ae.Line != tt.wantLine {
				t.Fatalf("got %v, want line %d: ...%s...", err, tt.wantLine, tt.want)
			}
		})
	}
}

func TestBundleRefusals(t *testing.T) {
	t.Parallel()
	outside := t.TempDir()
	os.WriteFile(filepath.Join(outside, "passwd"), []byte("x"), 0o644)
	tests := []struct {
		name  string
		setup func(dir string)
		want  string
	}{
		{"no appspec", func(dir string) {}, "no appspec.yml at its root"},
		{"symlink out", func(dir string) {
			os.Symlink(filepath.Join(outside, "passwd"), filepath.Join(dir, "passwd"))
		}, "symbolic link that leaves the bundle folder"},
		{"symlink to a folder", func(dir string) {
			os.Mkdir(filepath.Join(dir, "sub"), 0o755)
			os.Symlink(filepath.Join(dir, "sub"), filepath.Join(dir, "link"))
		}, "not a regular file"},
		{"own deploy.env", func(dir string) {
			os.WriteFile(filepath.Join(dir, "deploy.env"), []byte("X=1\n"), 0o644)
		}, "the action writes that file"},
		{"escaping hook", func(dir string) {
			os.WriteFile(filepath.Join(dir, "appspec.yml"), []byte("version: 0.0\nos: linux\nhooks:\n  BeforeInstall:\n    - location: ../x.sh\n"), 0o644)
		}, "leaves the bundle folder"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			if tt.name != "no appspec" && tt.name != "escaping hook" {
				os.WriteFile(filepath.Join(dir, "appspec.yml"), []byte("version: 0.0\nos: linux\n"), 0o644)
			}
			tt.setup(dir)
			err := server.CheckBundle(dir)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestBundleFollowsInsideSymlinkAndIsStable(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "scripts"), 0o755)
	os.WriteFile(filepath.Join(dir, "appspec.yml"), []byte("version: 0.0\nos: linux\nhooks:\n  BeforeInstall:\n    - location: scripts/run.sh\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "scripts", "real.sh"), []byte("#!/bin/sh\n"), 0o755)
	os.Symlink("real.sh", filepath.Join(dir, "scripts", "run.sh"))
	in := server.Input{Bundle: dir, ImageURI: imageURI, Region: "us-east-1"}
	first, err := server.Bundle(in)
	if err != nil {
		t.Fatal(err)
	}
	second, err := server.Bundle(in)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(first, second) {
		t.Error("the same bundle zipped to different bytes")
	}
	if got := unzip(t, first)["scripts/run.sh"]; got != "#!/bin/sh\n" {
		t.Errorf("scripts/run.sh = %q, want the link's target", got)
	}
}

func TestDefaultBundleNeedsPort(t *testing.T) {
	t.Parallel()
	_, err := server.Bundle(server.Input{ImageURI: imageURI})
	if err == nil || !strings.Contains(err.Error(), `input "container-port"`) {
		t.Fatalf("got %v, want an error naming container-port", err)
	}
}

// TestDefaultBundleScripts runs shellcheck and bash -n on the generated
// bundle's scripts, with its deploy.env.
func TestDefaultBundleScripts(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("shellcheck"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("CI needs shellcheck")
		}
		t.Skip("shellcheck is not installed")
	}
	data, err := server.Bundle(server.Input{
		ImageURI: imageURI, Region: "us-east-1", ContainerName: "web", ContainerPort: 8080, HealthCheckPath: "/health'z",
		HealthTimeout: 90 * time.Second,
		Secrets:       []deploy.SecretRef{{Name: "DB_PASSWORD", ValueFrom: secretARN + ":password::"}, {Name: "TOKEN", ValueFrom: secretARN}},
	})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	var scripts []string
	for name, body := range unzip(t, data) {
		p := filepath.Join(dir, filepath.FromSlash(name))
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(body), 0o755); err != nil {
			t.Fatal(err)
		}
		if strings.HasSuffix(name, ".sh") {
			scripts = append(scripts, p)
		}
	}
	if len(scripts) < 8 {
		t.Fatalf("got %d scripts, want pull, secrets, start, validate, stop, common, ecr and envfile", len(scripts))
	}
	for _, s := range append([]string{filepath.Join(dir, "deploy.env")}, scripts...) {
		if out, err := exec.Command("bash", "-n", s).CombinedOutput(); err != nil {
			t.Errorf("bash -n %s: %v\n%s", s, err, out)
		}
	}
	args := append([]string{"--external-sources", "--shell=bash", "--severity=style"}, scripts...)
	cmd := exec.Command("shellcheck", args...)
	cmd.Dir = filepath.Join(dir, "scripts")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("shellcheck: %v\n%s", err, out)
	}
	// deploy.env is sourceable and holds what the scripts read.
	out, err := exec.Command("bash", "-c", `set -u; source "$1"; printf '%s|%s|%s|%s|%s' "$IMAGE_URI" "$HEALTH_CHECK_PATH" "$HEALTH_CHECK_SECONDS" "$SECRET_NAMES" "$SECRET_ARN_DB_PASSWORD"`, "bash", filepath.Join(dir, "deploy.env")).Output()
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(out), imageURI+"|/health'z|90|DB_PASSWORD TOKEN|"+secretARN+":password::"; got != want {
		t.Errorf("sourced deploy.env: got %q, want %q", got, want)
	}
}
