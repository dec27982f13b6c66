package ecr_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim/awssimtest"
)

// newRegistry starts a sandbox with the repositories (name: mutability) and
// returns it with a registry password.
func newRegistry(t *testing.T, repos map[string]ecrtypes.ImageTagMutability) (*awssimtest.Sandbox, *ecr.Client, string) {
	t.Helper()
	sb := awssimtest.Start(t, awssim.Options{})
	client := ecr.NewFromConfig(sb.Config())
	for name, m := range repos {
		if _, err := client.CreateRepository(context.Background(), &ecr.CreateRepositoryInput{RepositoryName: aws.String(name), ImageTagMutability: m}); err != nil {
			t.Fatal(err)
		}
	}
	return sb, client, awssimtest.RegistryPassword(t, client)
}

func TestRegistryAuth(t *testing.T) {
	t.Parallel()
	sb, _, password := newRegistry(t, map[string]ecrtypes.ImageTagMutability{"app": ecrtypes.ImageTagMutabilityMutable})
	tests := []struct {
		name, path, user, password string
		wantStatus                 int
		wantBody                   string
	}{
		{"ping without auth", "/v2/", "", "", http.StatusUnauthorized, `"UNAUTHORIZED"`},
		{"ping with a wrong password", "/v2/", "AWS", "guess", http.StatusUnauthorized, `"DENIED"`},
		{"ping", "/v2/", "AWS", password, http.StatusOK, ""},
		{"manifest without auth", "/v2/app/manifests/latest", "", "", http.StatusUnauthorized, ""},
		{"unknown repository", "/v2/nope/manifests/latest", "AWS", password, http.StatusNotFound, `"NAME_UNKNOWN"`},
		{"unknown tag", "/v2/app/manifests/latest", "AWS", password, http.StatusNotFound, `"MANIFEST_UNKNOWN"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			req, _ := http.NewRequest(http.MethodGet, sb.URL+tt.path, nil)
			if tt.user != "" {
				req.SetBasicAuth(tt.user, tt.password)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var body strings.Builder
			resp.Write(&body)
			if resp.StatusCode != tt.wantStatus || !strings.Contains(body.String(), tt.wantBody) {
				t.Errorf("GET %s = %s, want %d with %s", tt.path, body.String(), tt.wantStatus, tt.wantBody)
			}
			if want := fmt.Sprintf(`Basic realm="http://%s/",service="ecr.amazonaws.com"`, sb.Host); resp.StatusCode == http.StatusUnauthorized && resp.Header.Get("WWW-Authenticate") != want {
				t.Errorf("WWW-Authenticate = %q, want %q", resp.Header.Get("WWW-Authenticate"), want)
			}
		})
	}
}

func TestRegistryImmutableTags(t *testing.T) {
	t.Parallel()
	sb, _, password := newRegistry(t, map[string]ecrtypes.ImageTagMutability{"frozen": ecrtypes.ImageTagMutabilityImmutable})
	img := awssimtest.RandomImage(t)
	if err := awssimtest.Push(sb, password, "frozen:v1", img); err != nil {
		t.Fatal(err)
	}
	if err := awssimtest.Push(sb, password, "frozen:v1", img); err != nil {
		t.Errorf("pushing the same image again: %v, want success", err)
	}
	err := awssimtest.Push(sb, password, "frozen:v1", awssimtest.RandomImage(t))
	want := "The image tag 'v1' already exists in the 'frozen' repository and cannot be overwritten because the repository is immutable."
	if err == nil || !strings.Contains(err.Error(), "400") || !strings.Contains(err.Error(), "TAG_INVALID") || !strings.Contains(err.Error(), want) {
		t.Errorf("moving an immutable tag: %v, want 400 TAG_INVALID %q", err, want)
	}
}

func TestRegistryBrokenUploads(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		broken int
		tries  int // pushes until one succeeds; 0: none does
	}{
		{"one", 1, 2},
		{"all", -1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			sb, _, password := newRegistry(t, map[string]ecrtypes.ImageTagMutability{"app": ""})
			if err := sb.Apply(awssim.Scenario{BreakBlobUploads: tt.broken}); err != nil {
				t.Fatal(err)
			}
			img := awssimtest.RandomImage(t)
			tries := 0
			for i := 1; i <= 3 && tries == 0; i++ {
				err := awssimtest.Push(sb, password, "app:v1", img)
				if err == nil {
					tries = i
				} else if !strings.Contains(err.Error(), "500") || !strings.Contains(err.Error(), "BLOB_UPLOAD_INVALID") {
					t.Fatalf("push %d: %v, want 500 BLOB_UPLOAD_INVALID", i, err)
				}
			}
			if tries != tt.tries {
				t.Errorf("push succeeded on try %d, want %d", tries, tt.tries)
			}
		})
	}
}

func TestRegistryCallLog(t *testing.T) {
	t.Parallel()
	sb, _, password := newRegistry(t, map[string]ecrtypes.ImageTagMutability{"app": ""})
	if err := awssimtest.Push(sb, password, "app:v1", awssimtest.RandomImage(t)); err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for _, c := range sb.Calls() {
		if c.Service == "registry" {
			got[fmt.Sprintf("%s %d", c.Operation, c.Status)]++
		}
	}
	// random.Image(1024, 2): two layers and a config blob.
	want := map[string]int{"StartUpload 202": 3, "PatchUpload 202": 3, "CompleteUpload 201": 3, "PutManifest 201": 1}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("registry calls = %v, want %v", got, want)
	}
}

// TestDockerPush pushes an image built by the Docker engine with the docker
// CLI, logged in with an ECR authorization token.
func TestDockerPush(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("docker"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("docker is required in CI")
		}
		t.Skip("docker not found")
	}
	sb, client, password := newRegistry(t, map[string]ecrtypes.ImageTagMutability{"web": ecrtypes.ImageTagMutabilityImmutable})
	dir := t.TempDir()
	docker := func(stdin string, args ...string) {
		t.Helper()
		cmd := exec.Command("docker", args...)
		cmd.Env = append(os.Environ(), "DOCKER_CONFIG="+filepath.Join(dir, "config"))
		cmd.Stdin = strings.NewReader(stdin)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("docker %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte("FROM scratch\nCOPY hello.txt /\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "hello.txt"), []byte(t.Name()+" "+sb.Host+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	image := sb.Host + "/web:v1"
	docker("", "build", "-q", "-t", image, dir)
	t.Cleanup(func() { exec.Command("docker", "rmi", "-f", image).Run() })
	docker(password, "login", "-u", "AWS", "--password-stdin", sb.Host)
	docker("", "push", image)

	out, err := client.DescribeImages(context.Background(), &ecr.DescribeImagesInput{RepositoryName: aws.String("web"), ImageIds: []ecrtypes.ImageIdentifier{{ImageTag: aws.String("v1")}}})
	if err != nil {
		t.Fatal(err)
	}
	if d := out.ImageDetails[0]; !strings.HasPrefix(aws.ToString(d.ImageDigest), "sha256:") || aws.ToInt64(d.ImageSizeInBytes) == 0 {
		t.Errorf("DescribeImages = digest %s, size %d; want the pushed image", aws.ToString(d.ImageDigest), aws.ToInt64(d.ImageSizeInBytes))
	}
}
