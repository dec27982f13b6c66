package image

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim/awssimtest"
)

func TestLogin(t *testing.T) {
	t.Parallel()
	sb := awssimtest.Start(t, awssim.Options{})
	auth, err := Login(context.Background(), ecr.NewFromConfig(sb.Config()))
	if err != nil {
		t.Fatal(err)
	}
	if auth.Username != "AWS" || auth.Password == "" || auth.Server != sb.Host {
		t.Errorf("Login = {%q, %d-character password, %q}, want {AWS, a password, %q}", auth.Username, len(auth.Password), auth.Server, sb.Host)
	}
}

func TestEnsureRepository(t *testing.T) {
	t.Parallel()
	sb := awssimtest.Start(t, awssim.Options{})
	api := ecr.NewFromConfig(sb.Config())
	ctx := context.Background()

	if _, err := EnsureRepository(ctx, api, "team/app", false); !errors.Is(err, ErrRepositoryNotFound) {
		t.Fatalf("EnsureRepository(create=false) of a missing repository: error %v, want ErrRepositoryNotFound", err)
	}
	repo, err := EnsureRepository(ctx, api, "team/app", true)
	if err != nil {
		t.Fatal(err)
	}
	if want := (Repository{Name: "team/app", URI: sb.Host + "/team/app", Created: true}); repo != want {
		t.Errorf("EnsureRepository(create=true) = %+v, want %+v", repo, want)
	}
	out, err := api.DescribeRepositories(ctx, &ecr.DescribeRepositoriesInput{RepositoryNames: []string{"team/app"}})
	if err != nil {
		t.Fatal(err)
	}
	got := out.Repositories[0]
	if got.ImageTagMutability != ecrtypes.ImageTagMutabilityImmutable || got.ImageScanningConfiguration == nil || !got.ImageScanningConfiguration.ScanOnPush {
		t.Errorf("created repository: mutability %s, scanning %+v; want IMMUTABLE with scan on push", got.ImageTagMutability, got.ImageScanningConfiguration)
	}
	again, err := EnsureRepository(ctx, api, "team/app", true)
	if err != nil || again.Created {
		t.Errorf("EnsureRepository of an existing repository = %+v, %v; want it found, not created", again, err)
	}
}

func TestTagDigestAndResolve(t *testing.T) {
	t.Parallel()
	e := connect(t)
	sb, api, repo, auth := pushFixture(t, "team/app", false)
	ctx := context.Background()

	if d, err := TagDigest(ctx, api, "team/app", "v1"); err != nil || d != "" {
		t.Fatalf("TagDigest before the push = %q, %v; want \"\", nil", d, err)
	}
	ref := repo.URI + ":v1"
	removeImages(t, e, ref)
	if _, err := e.Build(ctx, BuildSpec{Context: "../../testdata/app", Dockerfile: "../../testdata/app/Dockerfile", Names: []string{ref}}, io.Discard); err != nil {
		t.Fatal(err)
	}
	digest, err := e.Push(ctx, ref, auth, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if d, err := TagDigest(ctx, api, "team/app", "v1"); err != nil || d != digest {
		t.Fatalf("TagDigest after the push = %q, %v; want %q", d, err, digest)
	}

	tests := []struct {
		ref     string
		want    Image
		wantErr error
	}{
		{ref: ref, want: Image{Repository: repo.URI, Digest: digest, Tags: []string{"v1"}}},
		{ref: repo.URI + "@" + digest, want: Image{Repository: repo.URI, Digest: digest}},
		{ref: repo.URI + ":v2", wantErr: ErrImageNotFound},
		{ref: repo.URI + "@sha256:" + strings.Repeat("0", 64), wantErr: ErrImageNotFound},
		{ref: sb.Host + "/team/nothing:v1", wantErr: ErrRepositoryNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.ref, func(t *testing.T) {
			got, err := Resolve(ctx, api, tt.ref)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Resolve error = %v, want %v", err, tt.wantErr)
			}
			if got.URI() != tt.want.URI() || strings.Join(got.Tags, ",") != strings.Join(tt.want.Tags, ",") || got.Pushed {
				t.Errorf("Resolve = %+v, want %+v", got, tt.want)
			}
		})
	}
}

// fakeBatchGet answers BatchGetImage and records its input.
type fakeBatchGet struct {
	ECRAPI
	in *ecr.BatchGetImageInput
}

func (f *fakeBatchGet) BatchGetImage(_ context.Context, in *ecr.BatchGetImageInput, _ ...func(*ecr.Options)) (*ecr.BatchGetImageOutput, error) {
	f.in = in
	return &ecr.BatchGetImageOutput{Images: []ecrtypes.Image{{ImageId: &ecrtypes.ImageIdentifier{ImageDigest: aws.String("sha256:" + strings.Repeat("a", 64))}}}}, nil
}

func TestResolveRegistryID(t *testing.T) {
	t.Parallel()
	tests := []struct {
		ref, wantRegistry, wantRepo string
	}{
		{"123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/app:v1", "123456789012", "team/app"},
		{"123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn/app:v1", "123456789012", "app"},
		{"127.0.0.1:5000/app:v1", "", "app"},
	}
	for _, tt := range tests {
		f := &fakeBatchGet{}
		if _, err := Resolve(context.Background(), f, tt.ref); err != nil {
			t.Fatalf("Resolve(%q): %v", tt.ref, err)
		}
		if got := aws.ToString(f.in.RegistryId); got != tt.wantRegistry {
			t.Errorf("Resolve(%q): registryId %q, want %q", tt.ref, got, tt.wantRegistry)
		}
		if got := aws.ToString(f.in.RepositoryName); got != tt.wantRepo {
			t.Errorf("Resolve(%q): repository %q, want %q", tt.ref, got, tt.wantRepo)
		}
	}
}

func TestReadPushStream(t *testing.T) {
	t.Parallel()
	const digest = "sha256:8f1f4f5f0c3b9bd1f6f4f3c5d8d5b1b1e6c7a7b9f6f1e8d2c3b4a5968778695a"
	tests := []struct {
		name, stream, wantDigest, wantErr, wantLog string
	}{
		{
			name: "pushed",
			stream: `{"status":"The push refers to repository [r/app]"}
{"status":"Preparing","progressDetail":{},"id":"abc"}
{"status":"Pushing","progressDetail":{"current":512,"total":1024},"progress":"[==>  ]","id":"abc"}
{"status":"Pushed","progressDetail":{},"id":"abc"}
{"status":"v1: digest: ` + digest + ` size: 528"}
{"progressDetail":{},"aux":{"Tag":"v1","Digest":"` + digest + `","Size":528}}
`,
			wantDigest: digest,
			wantLog:    "The push refers to repository [r/app]\nabc: Preparing\nabc: Pushed\nv1: digest: " + digest + " size: 528\n",
		},
		{
			name:    "error detail",
			stream:  `{"status":"Preparing","id":"abc"}` + "\n" + `{"errorDetail":{"message":"blob upload invalid"},"error":"blob upload invalid"}`,
			wantErr: "blob upload invalid",
			wantLog: "abc: Preparing\n",
		},
		{
			name:    "immutable tag",
			stream:  `{"errorDetail":{"message":"tag invalid: The image tag 'v1' already exists in the 'app' repository and cannot be overwritten because the repository is immutable."}}`,
			wantErr: "tag already exists in an immutable repository: tag invalid",
		},
		{
			name:    "no digest",
			stream:  `{"status":"Preparing","id":"abc"}`,
			wantErr: "ended without the pushed digest",
			wantLog: "abc: Preparing\n",
		},
		{
			name:    "cut short",
			stream:  `{"status":"Prep`,
			wantErr: "reading the engine's progress",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var log strings.Builder
			got, err := (&pushProgress{}).read(strings.NewReader(tt.stream), &log)
			if (err == nil) != (tt.wantErr == "") || (err != nil && !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("error = %v, want %q", err, tt.wantErr)
			}
			if got != tt.wantDigest {
				t.Errorf("digest = %q, want %q", got, tt.wantDigest)
			}
			if log.String() != tt.wantLog {
				t.Errorf("log = %q, want %q", log.String(), tt.wantLog)
			}
		})
	}
}

func TestECRRegion(t *testing.T) {
	t.Parallel()
	for ref, want := range map[string]string{
		"123456789012.dkr.ecr.eu-west-1.amazonaws.com/app:v1":                                         "eu-west-1",
		"123456789012.dkr.ecr-fips.us-gov-west-1.amazonaws.com/a/b@sha256:" + strings.Repeat("0", 64): "us-gov-west-1",
		"123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn/app:v1":                                     "cn-north-1",
		"127.0.0.1:5000/app:v1": "",
		"ghcr.io/team/app:v1":   "",
		"123456789012.dkr.ecr.eu-west-1.amazonaws.com.evil.example/app:v1": "",
	} {
		if got := ECRRegion(ref); got != want {
			t.Errorf("ECRRegion(%q) = %q, want %q", ref, got, want)
		}
	}
}
