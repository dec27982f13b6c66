package ecsnative_test

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/deploy"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/platform/ecsnative"
)

// TestRevisionRunTag: the revision Revision registers carries the run's
// RunTag, which DescribeTaskDefinition gives with include TAGS; without a
// run id it carries none.
func TestRevisionRunTag(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	s := f.discover(t, "api-native")
	for _, tt := range []struct {
		run  deploy.Run
		want string // the RunTag's value; "": no tags
	}{
		{deploy.Run{ID: 1234, Attempt: 2}, "1234/2"},
		{deploy.Run{}, ""},
	} {
		arn, err := f.drv.Revision(ctx, s, ecsnative.RevisionInput{ImageURI: imageURI, Run: tt.run})
		if err != nil {
			t.Fatal(err)
		}
		out, err := f.client.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(arn), Include: []types.TaskDefinitionField{types.TaskDefinitionFieldTags}})
		if err != nil {
			t.Fatal(err)
		}
		got := ""
		for _, tag := range out.Tags {
			got += aws.ToString(tag.Key) + "=" + aws.ToString(tag.Value)
		}
		if want := ecsnative.RunTag + "=" + tt.want; tt.want == "" && got != "" || tt.want != "" && got != want {
			t.Errorf("run %+v: %s has tags %q, want %q", tt.run, arn, got, tt.want)
		}
	}
	f.sent.checkRequests(t)
}

// TestCheckSuperseded: a run is superseded by the service's task
// definition when a newer run tagged it, also while its deployment is in
// progress; not by its own run, an older one, or a revision without a
// readable RunTag.
func TestCheckSuperseded(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	s := f.discover(t, "api-native")
	if err := f.drv.CheckSuperseded(ctx, s, deploy.Run{ID: 1, Attempt: 1}); err != nil {
		t.Errorf("the seeded revision has no RunTag: %v", err)
	}
	// update updates the service to revision arn; its deployment stays in
	// progress, the clock standing still.
	update := func(arn string) {
		t.Helper()
		if _, err := f.client.UpdateService(ctx, &ecs.UpdateServiceInput{Cluster: aws.String("prod"), Service: aws.String("api-native"), TaskDefinition: aws.String(arn)}); err != nil {
			t.Fatal(err)
		}
	}
	// tagged registers the revision with RunTag value.
	tagged := func(value string) string {
		t.Helper()
		in, err := f.drv.Draft(ctx, s, ecsnative.RevisionInput{ImageURI: imageURI})
		if err != nil {
			t.Fatal(err)
		}
		in.Tags = []types.Tag{{Key: aws.String(ecsnative.RunTag), Value: aws.String(value)}}
		out, err := f.client.RegisterTaskDefinition(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		return aws.ToString(out.TaskDefinition.TaskDefinitionArn)
	}
	newer, err := f.drv.Revision(ctx, s, ecsnative.RevisionInput{ImageURI: imageURI, Run: deploy.Run{ID: 200, Attempt: 1}})
	if err != nil {
		t.Fatal(err)
	}
	update(newer)
	for _, tt := range []struct {
		run        int64
		superseded bool
	}{{199, true}, {200, false}, {201, false}} {
		err := f.drv.CheckSuperseded(ctx, s, deploy.Run{ID: tt.run, Attempt: 1})
		var sup *ecsnative.SupersededError
		if got := errors.As(err, &sup); got != tt.superseded || got && (sup.TaskDefinition != newer || sup.By.ID != 200 || !errors.Is(err, deploy.ErrSuperseded)) {
			t.Errorf("run %d: %v (%+v), want superseded %v by %s of run 200", tt.run, err, sup, tt.superseded, newer)
		}
	}
	for _, tag := range []string{"x/1", "300", "0/1"} {
		update(tagged(tag))
		if err := f.drv.CheckSuperseded(ctx, s, deploy.Run{ID: 199, Attempt: 1}); err != nil {
			t.Errorf("RunTag %q: %v, want not superseded", tag, err)
		}
	}
	f.sent.checkRequests(t)
}
