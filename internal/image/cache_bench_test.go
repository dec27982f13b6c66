package image

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim/awssimtest"
)

// spin makes testdata/build/cache's slow step take about 10-20 s here.
const spin = "2500000"

// BenchmarkBuildCache measures what a new runner sees: a cold build on an
// emptied engine, pushed to ECR (the sandbox), then, after a one-line
// source change and on an emptied engine again, the rebuild with
// build-cache ecr and with build-cache none. The build cache is pruned
// whole (docker builder prune -af), so run it alone. Metrics: cold-s,
// ecr-s, none-s, ecr/cold, none/cold, <mode>-mode (1: the mode ecr ran in)
// and none-cache-calls (registry reads and DescribeImages calls by the
// build with none: 0).
func BenchmarkBuildCache(b *testing.B) {
	e := connect(b)
	if err := importShell(e); err != nil {
		b.Fatalf("making the base image %s: %v", shellImage, err)
	}
	ctx := context.Background()
	sb := awssimtest.Start(b, awssim.Options{})
	api := ecr.NewFromConfig(sb.Config())
	out, err := api.CreateRepository(ctx, &ecr.CreateRepositoryInput{RepositoryName: aws.String("bench/app"), ImageTagMutability: "IMMUTABLE"})
	if err != nil {
		b.Fatal(err)
	}
	repo := Repository{Name: "bench/app", URI: *out.Repository.RepositoryUri}
	auth, err := Login(ctx, api)
	if err != nil {
		b.Fatal(err)
	}

	// build builds tag from a context whose source line is src, with
	// build-cache ecr when enabled, pushes it, empties the engine, and
	// returns the build's seconds (planning included) and cache.
	build := func(tag, src string, enabled bool) (float64, Cache) {
		ref := repo.URI + ":" + tag
		dir := cacheContext(b, src)
		spec := BuildSpec{Context: dir, Dockerfile: filepath.Join(dir, "Dockerfile"), Args: map[string]string{"SPIN": spin}, Names: []string{ref}}
		start := time.Now()
		plan := PlanCache(ctx, api, e, repo, tag, auth, enabled)
		_, used, err := e.BuildCached(ctx, spec, plan, io.Discard)
		secs := time.Since(start).Seconds()
		if err != nil {
			b.Fatal(err)
		}
		if used.Warning != nil {
			b.Logf("%s: build cache warning: %v", tag, used.Warning)
		}
		if _, err := e.Push(ctx, ref, auth, io.Discard); err != nil {
			b.Fatal(err)
		}
		emptyEngine(b, e, ref)
		return secs, used
	}

	for i := range b.N {
		emptyEngine(b, e)
		tag := func(s string) string { return fmt.Sprintf("%s-%d", s, i) }
		cold, _ := build(tag("cold"), "source v1", true)
		warm, used := build(tag("ecr"), "source v2", true)
		before := len(sb.Calls())
		none, _ := build(tag("none"), "source v3", false)
		var cacheCalls int
		for _, c := range sb.Calls()[before:] {
			if c.Operation == "DescribeImages" || c.Service == "registry" && strings.HasPrefix(c.Operation, "Get") && c.Operation != "GetUpload" {
				cacheCalls++
			}
		}
		b.ReportMetric(cold, "cold-s")
		b.ReportMetric(warm, "ecr-s")
		b.ReportMetric(none, "none-s")
		b.ReportMetric(warm/cold, "ecr/cold")
		b.ReportMetric(none/cold, "none/cold")
		b.ReportMetric(1, string(used.Mode)+"-mode")
		b.ReportMetric(float64(cacheCalls), "none-cache-calls")
		b.Logf("cold %.1f s; build-cache ecr %.1f s (%.0f%%), mode %s; build-cache none %.1f s", cold, warm, 100*warm/cold, used, none)
	}
}
