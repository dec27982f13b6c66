package image

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/ecr"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim/awssimtest"
)

// recorder is an Observer that records what Publish tells it.
type recorder struct {
	strings.Builder // the engine's output
	events          []string
	password        string
}

func (r *recorder) LoggedIn(a Auth)                   { r.password = a.Password; r.add("login") }
func (r *recorder) RepositoryCreated(repo Repository) { r.add("created " + repo.Name) }
func (r *recorder) Found(ref, digest string)          { r.add("found " + ref) }
func (r *recorder) ClassicBuilder(string, error)      { r.add("classic") }
func (r *recorder) Begin(s Step, names []string)      { r.add(fmt.Sprintf("begin %s %v", s, names)) }
func (r *recorder) End(s Step, err error)             { r.add(fmt.Sprintf("end %s %v", s, err)) }
func (r *recorder) Built(id string)                   { r.add("built") }
func (r *recorder) Cached(c Cache)                    { r.add("cache " + string(c.Mode)) }
func (r *recorder) add(e string)                      { r.events = append(r.events, e) }

// TestPublish publishes an image twice under two tags: the first call
// creates the repository, builds, pushes and verifies, the second finds the
// first tag and does nothing else.
func TestPublish(t *testing.T) {
	t.Parallel()
	e := connect(t)
	sb := awssimtest.Start(t, awssim.Options{})
	api := ecr.NewFromConfig(sb.Config())
	ctx := context.Background()
	names := []string{sb.Host + "/team/pub:v1", sb.Host + "/team/pub:latest"}
	removeImages(t, e, names...)
	req := Request{
		Repository: "team/pub", Tags: []string{"v1", "latest"}, CreateRepository: true, SkipExisting: true,
		DockerHost: os.Getenv("DOCKER_HOST"),
		Build:      BuildSpec{Context: "../../testdata/app", Dockerfile: "../../testdata/app/Dockerfile"},
	}

	var first recorder
	img, err := Publish(ctx, api, req, &first)
	if err != nil {
		t.Fatalf("first Publish: %v\nevents %q", err, first.events)
	}
	classic := slices.Contains(first.events, "classic")
	want := []string{"login", "created team/pub", fmt.Sprintf("begin build %v", names), "end build <nil>", "cache none", "built", fmt.Sprintf("begin push %v", names), "end push <nil>"}
	if classic {
		want = slices.Insert(want, 2, "classic")
	}
	if !slices.Equal(first.events, want) {
		t.Errorf("first Publish told\n%q\nwant\n%q", first.events, want)
	}
	if first.password == "" || !img.Pushed || !strings.HasPrefix(img.Digest, "sha256:") || img.Repository != sb.Host+"/team/pub" {
		t.Errorf("first Publish = %+v (password given: %v); want a pushed image in %s/team/pub", img, first.password != "", sb.Host)
	}
	if d, err := TagDigest(ctx, api, "team/pub", "latest"); err != nil || d != img.Digest {
		t.Errorf("ECR has %q, %v for tag latest; want %s", d, err, img.Digest)
	}
	if first.Len() == 0 {
		t.Errorf("the engine's output was not written to the observer")
	}

	var second recorder
	again, err := Publish(ctx, api, req, &second)
	if err != nil {
		t.Fatalf("second Publish: %v", err)
	}
	if want := []string{"login", "found " + names[0]}; !slices.Equal(second.events, want) {
		t.Errorf("second Publish told %q, want %q", second.events, want)
	}
	if again.Pushed || again.Digest != img.Digest {
		t.Errorf("second Publish = %+v, want digest %s, not pushed", again, img.Digest)
	}
}
