package server_test

import (
	"context"
	"io"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/deploy"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/deploy/server"
)

func TestRevisionUploadsOnce(t *testing.T) {
	t.Parallel()
	f := newSandbox(t)
	ctx := context.Background()
	in := server.Input{
		Bucket: "web-bundles", Prefix: "web", Region: "us-east-1", ImageURI: imageURI, ContainerPort: 8080,
		Secrets: []deploy.SecretRef{{Name: "DB_PASSWORD", ValueFrom: secretARN}},
	}
	first, err := server.Revision(ctx, f.s3, in)
	if err != nil {
		t.Fatal(err)
	}
	second, err := server.Revision(ctx, f.s3, in)
	if err != nil {
		t.Fatal(err)
	}
	if first.Where != second.Where || aws.ToString(first.Location.S3Location.ETag) != aws.ToString(second.Location.S3Location.ETag) {
		t.Errorf("identical bundles gave %s and %s", first.Where, second.Where)
	}
	if got := f.calls("PutObject"); got != 1 {
		t.Errorf("got %d PutObject calls for two identical bundles, want 1", got)
	}
	if etag := aws.ToString(first.Location.S3Location.ETag); len(etag) != 32 || strings.Contains(etag, `"`) {
		t.Errorf("got ETag %q, want 32 hex digits without quotes", etag)
	}
	obj, err := f.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("web-bundles"), Key: first.Location.S3Location.Key})
	if err != nil {
		t.Fatal(err)
	}
	data, _ := io.ReadAll(obj.Body)
	files := unzip(t, data)
	for _, name := range []string{"appspec.yml", "deploy.env", "scripts/pull.sh", "scripts/validate.sh"} {
		if _, ok := files[name]; !ok {
			t.Errorf("bundle has no %s", name)
		}
	}
	env := files["deploy.env"]
	for _, want := range []string{"IMAGE_URI='" + imageURI + "'", "SECRET_ARN_DB_PASSWORD='" + secretARN + "'", "CONTAINER_PORT='8080'"} {
		if !strings.Contains(env, want) {
			t.Errorf("deploy.env lacks %s:\n%s", want, env)
		}
	}

	in.ImageURI = strings.Replace(imageURI, "0123", "4567", 1)
	third, err := server.Revision(ctx, f.s3, in)
	if err != nil {
		t.Fatal(err)
	}
	if third.Where == first.Where {
		t.Errorf("a different image gave the same key %s", third.Where)
	}
}

// TestRevisionWithoutListBucket runs the bundle check under policies without
// s3:ListBucket, where S3 answers 403 for a missing key (and without
// s3:GetObject for any key): the bundle is uploaded, not refused.
func TestRevisionWithoutListBucket(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		actions string
		puts    int // PutObject calls for two identical bundles
	}{
		{"put only", `"s3:PutObject"`, 2},
		{"put and get", `"s3:PutObject", "s3:GetObject"`, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newSandbox(t)
			policy, err := awssim.ParsePolicy([]byte(`{"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
				"Action": [` + tc.actions + `], "Resource": "arn:aws:s3:::web-bundles/web/*"}]}`))
			if err != nil {
				t.Fatal(err)
			}
			f.sb.SetPolicy(policy)
			in := server.Input{Bucket: "web-bundles", Prefix: "web", Region: "us-east-1", ImageURI: imageURI, ContainerPort: 8080}
			for range 2 {
				if _, err := server.Revision(context.Background(), f.s3, in); err != nil {
					t.Fatal(err)
				}
			}
			if got := f.calls("PutObject"); got != tc.puts {
				t.Errorf("got %d PutObject calls, want %d", got, tc.puts)
			}
		})
	}
}
