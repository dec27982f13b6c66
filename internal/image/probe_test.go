package image

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/ecr"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim/awssimtest"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/plan"
)

// TestProbe asks the sandbox's ECR through the real SDK client what the
// image stage would do, and checks from the call log that it only read.
func TestProbe(t *testing.T) {
	t.Parallel()
	sb := awssimtest.Start(t, awssim.Options{})
	uri := sb.PushImage(t, "shop") // tag v1
	_, digest, _ := strings.Cut(uri, "@")
	api := ecr.NewFromConfig(sb.Config())
	ctx := context.Background()
	build := BuildSpec{Context: "/ws/app", Dockerfile: "/ws/app/Dockerfile.prod"}
	before := len(sb.Calls())

	tests := map[string]struct {
		req  Request
		want plan.Image
		err  error
	}{
		"the first tag is in ECR: skipped": {
			req:  Request{Repository: "shop", Tags: []string{"v1", "latest"}, SkipExisting: true, Build: build},
			want: plan.Image{Action: plan.ImageSkip, Repository: sb.Host + "/shop", Tags: []string{"v1", "latest"}, URI: uri, Digest: digest},
		},
		"a new tag: built": {
			req: Request{Repository: "shop", Tags: []string{"9f3c2ab"}, SkipExisting: true, Build: build},
			want: plan.Image{Action: plan.ImageBuild, Repository: sb.Host + "/shop", Tags: []string{"9f3c2ab"},
				Dockerfile: "app/Dockerfile.prod", Context: "app"},
		},
		"skip-existing off: built even though the tag is there": {
			req: Request{Repository: "shop", Tags: []string{"v1"}, Build: build},
			want: plan.Image{Action: plan.ImageBuild, Repository: sb.Host + "/shop", Tags: []string{"v1"},
				Dockerfile: "app/Dockerfile.prod", Context: "app"},
		},
		"a missing repository with create-repository": {
			req: Request{Repository: "new", Tags: []string{"v1"}, SkipExisting: true, CreateRepository: true, Build: build},
			want: plan.Image{Action: plan.ImageBuild, Repository: "new", Tags: []string{"v1"}, CreateRepository: true,
				Dockerfile: "app/Dockerfile.prod", Context: "app"},
		},
		"a missing repository": {
			req: Request{Repository: "new", Tags: []string{"v1"}, SkipExisting: true, Build: build},
			err: ErrRepositoryNotFound,
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := Probe(ctx, api, tt.req, "/ws")
			if !errors.Is(err, tt.err) {
				t.Fatalf("Probe error = %v, want %v", err, tt.err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Probe =\n %+v\nwant\n %+v", got, tt.want)
			}
		})
	}

	got, err := ProbeRef(ctx, api, sb.Host+"/shop:v1")
	if err != nil {
		t.Fatal(err)
	}
	if want := (plan.Image{Action: plan.ImageExisting, Repository: sb.Host + "/shop", Tags: []string{"v1"}, URI: uri, Digest: digest}); !reflect.DeepEqual(got, want) {
		t.Errorf("ProbeRef = %+v, want %+v", got, want)
	}
	for _, c := range sb.Calls()[before:] {
		switch c.Operation {
		case "DescribeRepositories", "DescribeImages", "BatchGetImage":
		default:
			t.Errorf("the probe called %s %s, which is not a read", c.Service, c.Operation)
		}
	}
}
