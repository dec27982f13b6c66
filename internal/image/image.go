// Package image owns the image stage: building through the Docker engine
// (BuildKit over the engine's /grpc and /session endpoints, or the classic
// build API where the engine has none), ECR login, repository and tag checks,
// pushing through the engine, and resolving an image's digest.
package image

import (
	"errors"
	"maps"
	"strings"
	"time"
)

// Errors callers branch on.
var (
	ErrRepositoryNotFound  = errors.New("ECR repository does not exist")
	ErrImageNotFound       = errors.New("image not found in ECR")
	ErrImmutableTag        = errors.New("tag already exists in an immutable repository")
	ErrSecretsNeedBuildKit = errors.New("build secrets need BuildKit, and the Docker engine has no BuildKit endpoint")
)

// Image is an image in ECR, named by digest.
type Image struct {
	Repository string   // registry host and repository name, e.g. 123456789012.dkr.ecr.us-east-1.amazonaws.com/app
	Digest     string   // sha256:...
	Tags       []string // the tags it was pushed or looked up with
	Pushed     bool     // false: it was already in ECR
}

// URI is the image's reference by digest.
func (i Image) URI() string { return i.Repository + "@" + i.Digest }

// Ref is a reference to the image under tag.
func (i Image) Ref(tag string) string { return i.Repository + ":" + tag }

// OCILabels returns the standard OCI labels for an image built from revision
// of the repository at source, overridden by labels.
func OCILabels(source, revision string, created time.Time, labels map[string]string) map[string]string {
	m := map[string]string{"org.opencontainers.image.created": created.UTC().Format(time.RFC3339)}
	if source != "" {
		m["org.opencontainers.image.source"] = source
	}
	if revision != "" {
		m["org.opencontainers.image.revision"] = revision
	}
	maps.Copy(m, labels)
	return m
}

// isImmutableRejection reports whether a registry error message is ECR's
// refusal to overwrite a tag of an immutable repository.
func isImmutableRejection(msg string) bool {
	return strings.Contains(msg, "cannot be overwritten because the repository is immutable")
}
