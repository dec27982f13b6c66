package image

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/ecr/types"
)

// RegistryAPI is the call ReplicatesTo makes.
type RegistryAPI interface {
	DescribeRegistry(context.Context, *ecr.DescribeRegistryInput, ...func(*ecr.Options)) (*ecr.DescribeRegistryOutput, error)
}

// ReplicatesTo reports whether api's registry replicates repository to
// region in its own account: a replication rule with that destination
// whose repository filters match the name (PREFIX_MATCH) or that has none.
func ReplicatesTo(ctx context.Context, api RegistryAPI, repository, region string) (bool, error) {
	out, err := api.DescribeRegistry(ctx, &ecr.DescribeRegistryInput{})
	if err != nil {
		return false, fmt.Errorf("reading the ECR registry's replication configuration: %w", err)
	}
	if out.ReplicationConfiguration == nil {
		return false, nil
	}
	for _, rule := range out.ReplicationConfiguration.Rules {
		if !matchesFilters(rule.RepositoryFilters, repository) {
			continue
		}
		for _, d := range rule.Destinations {
			if aws.ToString(d.Region) == region && aws.ToString(d.RegistryId) == aws.ToString(out.RegistryId) {
				return true, nil
			}
		}
	}
	return false, nil
}

// matchesFilters applies a rule's repository filters: none match every
// repository; PREFIX_MATCH is the only filter type ECR has.
func matchesFilters(filters []types.RepositoryFilter, repository string) bool {
	if len(filters) == 0 {
		return true
	}
	for _, f := range filters {
		if f.FilterType == types.RepositoryFilterTypePrefixMatch && strings.HasPrefix(repository, aws.ToString(f.Filter)) {
			return true
		}
	}
	return false
}

// replicaPoll is the first wait between looks for a replica; it doubles up
// to replicaPollMax.
const (
	replicaPoll    = 500 * time.Millisecond
	replicaPollMax = 15 * time.Second
)

// WaitReplica waits, up to limit, until the repository of dst's registry
// holds digest (ECR replication copies an image within minutes of its
// push), and returns the image there. A limit passed is ErrNoReplica.
func WaitReplica(ctx context.Context, dst ECRAPI, repository, digest string, tags []string, limit time.Duration) (Image, error) {
	ctx, cancel := context.WithTimeoutCause(ctx, limit, ErrNoReplica)
	defer cancel()
	for wait := replicaPoll; ; wait = min(2*wait, replicaPollMax) {
		out, err := dst.DescribeImages(ctx, &ecr.DescribeImagesInput{
			RepositoryName: aws.String(repository),
			ImageIds:       []types.ImageIdentifier{{ImageDigest: aws.String(digest)}},
		})
		var noImage *types.ImageNotFoundException
		var noRepo *types.RepositoryNotFoundException
		switch {
		case err == nil && len(out.ImageDetails) > 0:
			repo, err := dst.DescribeRepositories(ctx, &ecr.DescribeRepositoriesInput{RepositoryNames: []string{repository}})
			if err != nil || len(repo.Repositories) == 0 {
				return Image{}, fmt.Errorf("describing the replica's repository %q: %w", repository, err)
			}
			return Image{Repository: aws.ToString(repo.Repositories[0].RepositoryUri), Digest: digest, Tags: tags}, nil
		case err != nil && !errors.As(err, &noImage) && !errors.As(err, &noRepo) && ctx.Err() == nil:
			return Image{}, fmt.Errorf("looking for the replica of %s in ECR repository %q: %w", digest, repository, err)
		}
		select {
		case <-ctx.Done():
			return Image{}, context.Cause(ctx)
		case <-time.After(wait):
		}
	}
}

// ErrNoReplica is WaitReplica's error when the replica did not appear in time.
var ErrNoReplica = errors.New("the replica did not appear in time")
