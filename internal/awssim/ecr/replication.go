package ecr

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim"
)

// Private image replication, after botocore's ecr model
// (PutReplicationConfiguration, DescribeRegistry,
// DescribeImageReplicationStatus) and the ECR user guide's "Private image
// replication": the configuration is the registry's in one region; only
// images pushed after it is set are replicated, once per push (a replica
// is not replicated again); the destination repository keeps the name and
// is created when missing, by ECR's service-linked role (in the
// destination's call log as CreateRepository and ReplicateImage, never
// checked against the caller's policy). Destinations in another account,
// in the source region, or in a region the sandbox does not serve are
// stored and replicate nothing.

// replicationDelay is how long (simulated) a replicated image takes to
// appear in a destination region. ECR gives no figure; 30 s is long enough
// for a test with a stopped clock to see IN_PROGRESS and a deploy that
// reads the destination too early to miss the image, and short enough
// (50 ms of wall time at DefaultTimeScale) that it never slows a run.
const replicationDelay = 30 * time.Second

type replicationConfiguration struct {
	Rules []replicationRule `json:"rules"`
}

type replicationRule struct {
	Destinations      []replicationDestination `json:"destinations"`
	RepositoryFilters []repositoryFilter       `json:"repositoryFilters,omitempty"`
}

type replicationDestination struct {
	Region     string `json:"region"`
	RegistryID string `json:"registryId"`
}

type repositoryFilter struct {
	Filter     string `json:"filter"`
	FilterType string `json:"filterType"`
}

// The model's constraints and the user guide's limits.
var (
	regionPattern     = regexp.MustCompile(`^[0-9a-z-]{2,25}$`)
	registryIDPattern = regexp.MustCompile(`^[0-9]{12}$`)
	filterPattern     = regexp.MustCompile(`^(?:[a-z0-9]+(?:[._-][a-z0-9]*)*/)*[a-z0-9]*(?:[._-][a-z0-9]*)*$`)
)

const (
	maxRules        = 10
	maxDestinations = 25 // unique, across the rules
	maxFilters      = 100
)

func (s *Service) putReplicationConfiguration(r *awssim.Request) (any, error) {
	var in struct {
		ReplicationConfiguration *replicationConfiguration `json:"replicationConfiguration"`
	}
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	cfg := in.ReplicationConfiguration
	if cfg == nil || cfg.Rules == nil {
		return nil, invalidField("replicationConfiguration.rules", "Member must not be null")
	}
	if err := validateReplication(cfg); err != nil {
		return nil, err
	}
	s.ecr.replication = cfg
	return map[string]any{"replicationConfiguration": cfg}, nil
}

// validateReplication checks a configuration against the model's
// constraints and the user guide's limits.
func validateReplication(cfg *replicationConfiguration) error {
	if len(cfg.Rules) > maxRules {
		return invalidField("replicationConfiguration.rules", fmt.Sprintf("Member must have length less than or equal to %d", maxRules))
	}
	unique := map[replicationDestination]bool{}
	for i, rule := range cfg.Rules {
		at := fmt.Sprintf("replicationConfiguration.rules.%d.member", i+1)
		if rule.Destinations == nil {
			return invalidField(at+".destinations", "Member must not be null")
		}
		for j, d := range rule.Destinations {
			dat := fmt.Sprintf("%s.destinations.%d.member", at, j+1)
			if !regionPattern.MatchString(d.Region) {
				return invalidField(dat+".region", "Member must satisfy regular expression pattern: [0-9a-z-]{2,25}")
			}
			if !registryIDPattern.MatchString(d.RegistryID) {
				return invalidField(dat+".registryId", "Member must satisfy regular expression pattern: [0-9]{12}")
			}
			unique[d] = true
		}
		if rule.RepositoryFilters != nil && (len(rule.RepositoryFilters) < 1 || len(rule.RepositoryFilters) > maxFilters) {
			return invalidField(at+".repositoryFilters", fmt.Sprintf("Member must have length between 1 and %d", maxFilters))
		}
		for j, f := range rule.RepositoryFilters {
			fat := fmt.Sprintf("%s.repositoryFilters.%d.member", at, j+1)
			if len(f.Filter) < 2 || len(f.Filter) > 256 || !filterPattern.MatchString(f.Filter) {
				return invalidField(fat+".filter", "Member must satisfy regular expression pattern: "+strings.Trim(filterPattern.String(), "^$"))
			}
			if f.FilterType != "PREFIX_MATCH" {
				return invalidField(fat+".filterType", "Member must satisfy enum value set: [PREFIX_MATCH]")
			}
		}
	}
	if len(unique) > maxDestinations {
		return awssim.Errorf("InvalidParameterException", "Invalid parameter at 'replicationConfiguration' failed to satisfy constraint: 'a replication configuration may have at most %d unique destinations'", maxDestinations)
	}
	return nil
}

// invalidField is the AWS validation error for one member of a request.
func invalidField(field, constraint string) *awssim.Error {
	return awssim.Errorf("ValidationException", "1 validation error detected: Value at '%s' failed to satisfy constraint: %s", field, constraint)
}

func (s *Service) describeRegistry(*awssim.Request) (any, error) {
	cfg := s.ecr.replication
	if cfg == nil {
		cfg = &replicationConfiguration{Rules: []replicationRule{}}
	}
	return map[string]any{"registryId": awssim.Account, "replicationConfiguration": cfg}, nil
}

func (s *Service) describeImageReplicationStatus(r *awssim.Request) (any, error) {
	var in struct {
		RepositoryName string  `json:"repositoryName"`
		ImageID        imageID `json:"imageId"`
	}
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	repo, err := s.repository(in.RepositoryName)
	if err != nil {
		return nil, err
	}
	img, code := repo.find(in.ImageID)
	if code != "" {
		return nil, awssim.Errorf("ImageNotFoundException", "The image with imageId {imageDigest:'%s', imageTag:'%s'} does not exist within the repository with name '%s' in the registry with id '%s'",
			orNull(in.ImageID.ImageDigest), orNull(in.ImageID.ImageTag), repo.name, awssim.Account)
	}
	statuses := []map[string]string{}
	now := s.Clock.Now()
	for _, region := range slices.Sorted(maps.Keys(img.replicas)) {
		status := "COMPLETE"
		if now.Before(img.replicas[region]) {
			status = "IN_PROGRESS"
		}
		statuses = append(statuses, map[string]string{"region": region, "registryId": awssim.Account, "status": status})
	}
	return map[string]any{
		"repositoryName":      repo.name,
		"imageId":             imageID{ImageDigest: img.digest, ImageTag: in.ImageID.ImageTag},
		"replicationStatuses": statuses,
	}, nil
}

func orNull(s string) string {
	if s == "" {
		return "null"
	}
	return s
}

// destinations returns the regions the configuration replicates a push to
// repository name to: the matching rules' destinations in this account,
// other than this region, that the sandbox serves.
func (s *Service) destinations(name string) map[string]awssim.ImageInbox {
	cfg, registries := s.ecr.replication, s.Peers.Registries
	if cfg == nil || registries == nil {
		return nil
	}
	out := map[string]awssim.ImageInbox{}
	for _, rule := range cfg.Rules {
		matches := len(rule.RepositoryFilters) == 0
		for _, f := range rule.RepositoryFilters {
			matches = matches || strings.HasPrefix(name, f.Filter)
		}
		if !matches {
			continue
		}
		for _, d := range rule.Destinations {
			if d.RegistryID != awssim.Account || d.Region == s.Region() {
				continue
			}
			if inbox, ok := registries.Registry(d.Region); ok {
				out[d.Region] = inbox
			}
		}
	}
	return out
}

// replicate sends a push of img as ref to every destination region whose
// rule matches the repository. The lock is held.
func (s *Service) replicate(ctx context.Context, repo *repository, img *ecrImage, ref string, blobs []v1.Descriptor) error {
	inboxes := s.destinations(repo.name)
	if len(inboxes) == 0 {
		return nil
	}
	out := awssim.ReplicatedImage{Repository: repo.name, Manifest: img.manifest, MediaType: img.mediaType, SourceRegion: s.Region(), Blobs: map[string][]byte{}}
	if ref != img.digest {
		out.Tag = ref
	}
	for _, d := range blobs {
		rc, err := s.ecr.blobs.Get(ctx, repo.name, d.Digest)
		if err != nil {
			return fmt.Errorf("reading blob %s of %s for replication: %w", d.Digest, repo.name, err)
		}
		data, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			return fmt.Errorf("reading blob %s of %s for replication: %w", d.Digest, repo.name, err)
		}
		out.Blobs[d.Digest.String()] = data
	}
	due := s.Clock.Now().Add(replicationDelay)
	if img.replicas == nil {
		img.replicas = map[string]time.Time{}
	}
	for region, inbox := range inboxes {
		inbox.Deliver(out, due)
		img.replicas[region] = due
	}
	return nil
}

// inbox holds the images other regions replicated here until they are due.
// It has its own lock: senders hold their own region's lock, not this one's.
type inbox struct {
	mu      sync.Mutex
	pending []arrival
}

type arrival struct {
	img awssim.ReplicatedImage
	due time.Time
}

// Deliver queues an image another region replicates here
// (awssim.ImageInbox).
func (s *Service) Deliver(img awssim.ReplicatedImage, due time.Time) {
	s.ecr.inbox.mu.Lock()
	defer s.ecr.inbox.mu.Unlock()
	s.ecr.inbox.pending = append(s.ecr.inbox.pending, arrival{img, due})
}

// receive stores the replicated images that are due, in the order they
// were pushed, as ECR's service-linked role does. The lock is held.
func (s *Service) receive() {
	now := s.Clock.Now()
	s.ecr.inbox.mu.Lock()
	var due []arrival
	s.ecr.inbox.pending = slices.DeleteFunc(s.ecr.inbox.pending, func(a arrival) bool {
		if a.due.After(now) {
			return false
		}
		due = append(due, a)
		return true
	})
	s.ecr.inbox.mu.Unlock()
	for _, a := range due {
		s.store(a.img, a.due)
	}
}

// store puts one replicated image into its repository, creating the
// repository (with the default settings) when missing. A tag that an
// immutable repository holds on another image stays where it is; the
// image arrives by digest.
func (s *Service) store(img awssim.ReplicatedImage, at time.Time) {
	role := func(operation string, payload map[string]string) {
		data, _ := json.Marshal(payload)
		s.RecordLocked(awssim.Call{Service: "ecr", Operation: operation, Status: 200, Payload: data})
	}
	repo := s.ecr.repos[img.Repository]
	if repo == nil {
		repo = &repository{
			arn:        fmt.Sprintf("arn:aws:ecr:%s:%s:repository/%s", s.Region(), awssim.Account, img.Repository),
			name:       img.Repository,
			region:     s.Region(),
			created:    at,
			mutability: "MUTABLE",
		}
		s.ecr.repos[repo.name] = repo
		role("CreateRepository", map[string]string{"repositoryName": repo.name})
	}
	for digest, data := range img.Blobs {
		h, err := v1.NewHash(digest)
		if err == nil {
			err = s.ecr.blobs.Put(context.Background(), repo.name, h, io.NopCloser(bytes.NewReader(data)))
		}
		if err != nil {
			role("ReplicateImage", map[string]string{"repositoryName": repo.name, "error": err.Error()})
			return
		}
	}
	digest, _, _ := v1.SHA256(bytes.NewReader(img.Manifest))
	ref := digest.String()
	if held := repo.tagged(img.Tag); img.Tag != "" && (repo.mutability != "IMMUTABLE" || held == nil || held.digest == ref) {
		ref = img.Tag
	}
	repo.putImage(ref, img.Manifest, img.MediaType, at)
	role("ReplicateImage", map[string]string{"repositoryName": repo.name, "imageDigest": digest.String(), "imageTag": img.Tag, "sourceRegion": img.SourceRegion})
}

var _ awssim.ImageInbox = (*Service)(nil)
