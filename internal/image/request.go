package image

import (
	"time"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/config"
)

// RequestFor is the Request the inputs ask for, with the build secrets'
// values and the build time the OCI labels record.
func RequestFor(cfg *config.Config, secrets map[string][]byte, now time.Time) Request {
	in, b, gh := cfg.Image, cfg.Build, cfg.GitHub
	source := ""
	if gh.Repository != "" {
		source = gh.ServerURL + "/" + gh.Repository
	}
	return Request{
		Repository: in.Repository, Tags: in.Tags, CreateRepository: in.CreateRepository, SkipExisting: in.SkipExisting,
		DockerHost: b.DockerHost, Cache: b.Cache == "ecr",
		Build: BuildSpec{
			Context: b.Context, Dockerfile: b.Dockerfile, Target: b.Target, NoCache: b.NoCache, Secrets: secrets,
			Args:   keyValues(b.Args),
			Labels: OCILabels(source, gh.SHA, now, keyValues(b.Labels)),
		},
	}
}

// keyValues turns the inputs' key=value lines into a map; a later key wins.
func keyValues(kvs []config.KeyValue) map[string]string {
	m := make(map[string]string, len(kvs))
	for _, kv := range kvs {
		m[kv.Key] = kv.Value
	}
	return m
}
