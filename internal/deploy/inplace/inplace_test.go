package inplace_test

import (
	"archive/zip"
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim/awssimtest"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/deploy"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/deploy/inplace"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/deploy/server"
)

const (
	imageURI  = "123456789012.dkr.ecr.us-east-1.amazonaws.com/web@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	secretARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:web/db-AbCdEf"
)

func unzip(t *testing.T, data []byte) map[string]string {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(rc)
		rc.Close()
		files[f.Name] = string(b)
	}
	return files
}

// TestBundleScripts runs bash -n and shellcheck on the bundle's scripts and
// sources its deploy.env.
func TestBundleScripts(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("shellcheck"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("CI needs shellcheck")
		}
		t.Skip("shellcheck is not installed")
	}
	data, err := inplace.Bundle(inplace.Input{
		ImageURI: imageURI, Region: "us-east-1", ContainerName: "web", ContainerPort: 8080,
		HealthCheckPath: "/health'z", HealthCheckTimeout: 90 * time.Second,
		Secrets: []deploy.SecretRef{{Name: "DB_PASSWORD", ValueFrom: secretARN + ":password::"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	var scripts, names []string
	for name, body := range unzip(t, data) {
		p := filepath.Join(dir, filepath.FromSlash(name))
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(body), 0o755); err != nil {
			t.Fatal(err)
		}
		if strings.HasSuffix(name, ".sh") {
			scripts = append(scripts, p)
			names = append(names, name)
		}
	}
	slices.Sort(names)
	want := []string{"scripts/colours.sh", "scripts/common.sh", "scripts/ecr.sh", "scripts/envfile.sh", "scripts/pull.sh", "scripts/secrets.sh", "scripts/start.sh", "scripts/stop.sh", "scripts/switch.sh"}
	if !slices.Equal(names, want) {
		t.Fatalf("got scripts %v, want %v", names, want)
	}
	for _, s := range append([]string{filepath.Join(dir, "deploy.env")}, scripts...) {
		if out, err := exec.Command("bash", "-n", s).CombinedOutput(); err != nil {
			t.Errorf("bash -n %s: %v\n%s", s, err, out)
		}
	}
	cmd := exec.Command("shellcheck", append([]string{"--external-sources", "--shell=bash", "--severity=style"}, scripts...)...)
	cmd.Dir = filepath.Join(dir, "scripts")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("shellcheck: %v\n%s", err, out)
	}
	out, err := exec.Command("bash", "-c", `set -u; source "$1"; printf '%s|%s|%s|%s|%s' "$IMAGE_URI" "$HEALTH_CHECK_PATH" "$HEALTH_CHECK_SECONDS" "$PROXY_IMAGE" "$SECRET_ARN_DB_PASSWORD"`,
		"bash", filepath.Join(dir, "deploy.env")).Output()
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(out), imageURI+"|/health'z|90|"+inplace.DefaultProxyImage+"|"+secretARN+":password::"; got != want {
		t.Errorf("sourced deploy.env: got %q, want %q", got, want)
	}
}

func TestBundleRefuses(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   inplace.Input
		want string
	}{
		{"no port", inplace.Input{ImageURI: imageURI}, `input "container-port"`},
		{"bad secret name", inplace.Input{ImageURI: imageURI, ContainerPort: 80, Secrets: []deploy.SecretRef{{Name: "A-B", ValueFrom: secretARN}}}, "not an env variable name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if _, err := inplace.Bundle(tt.in); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

// TestRevision uploads the bundle to the sandbox's S3 once by content hash.
func TestRevision(t *testing.T) {
	t.Parallel()
	sb := awssimtest.Start(t, awssim.Options{})
	api := s3.NewFromConfig(sb.Config(), func(o *s3.Options) { o.UsePathStyle = true })
	ctx := context.Background()
	if _, err := api.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("host-bundles")}); err != nil {
		t.Fatal(err)
	}
	in := inplace.Input{Bucket: "host-bundles", Prefix: "p", ImageURI: imageURI, ContainerPort: 8080}
	first, err := inplace.Revision(ctx, api, in)
	if err != nil {
		t.Fatal(err)
	}
	again, err := inplace.Revision(ctx, api, in)
	if err != nil {
		t.Fatal(err)
	}
	if first.Where != again.Where || !strings.HasPrefix(first.Where, "s3://host-bundles/p/bundle-") {
		t.Errorf("revisions %s and %s; want one s3://host-bundles/p/bundle-<sha256>.zip", first.Where, again.Where)
	}
	got, err := api.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("host-bundles"), Key: first.Location.S3Location.Key})
	if err != nil {
		t.Fatal(err)
	}
	data, _ := io.ReadAll(got.Body)
	if files := unzip(t, data); files["appspec.yml"] == "" || !strings.Contains(files["deploy.env"], "PROXY_IMAGE='"+inplace.DefaultProxyImage+"'") {
		t.Errorf("uploaded bundle: appspec.yml %q, deploy.env %q", files["appspec.yml"], files["deploy.env"])
	}
	names := map[string]bool{}
	for name := range unzip(t, data) {
		names[name] = true
	}
	if err := server.CheckAppSpec("appspec.yml", []byte(unzip(t, data)["appspec.yml"]), names); err != nil {
		t.Errorf("the generated appspec.yml: %v", err)
	}
	if n := len(sb.Calls()); n != 5 {
		t.Errorf("made %d calls, want 5: CreateBucket, HeadObject, PutObject, HeadObject, GetObject", n)
	}
}
