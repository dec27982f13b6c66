package ecr

import (
	"cmp"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/registry"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim"
)

// ecrState holds the ECR repositories, the registry passwords issued by
// GetAuthorizationToken, the registry's blob store, the replication
// configuration and the images other regions replicated here.
type ecrState struct {
	repos       map[string]*repository // by name
	tokens      map[string]time.Time   // password -> when it expires (wall time)
	blobs       blobStore
	replication *replicationConfiguration // nil: never set
	inbox       inbox
}

// blobStore is what ECR asks of the registry's blob handler.
type blobStore interface {
	registry.BlobStatHandler
	registry.BlobHandler
	registry.BlobPutHandler
}

func newECRState() *ecrState {
	return &ecrState{repos: map[string]*repository{}, tokens: map[string]time.Time{}}
}

// repository is an ECR repository and the images pushed to it.
type repository struct {
	arn, name, region string
	created           time.Time
	mutability        string
	scanOnPush        bool
	policy            string      // the repository policy's text; "": none
	images            []*ecrImage // in push order
}

// ecrImage is a manifest pushed to a repository, with the tags on it.
type ecrImage struct {
	digest            string
	tags              []string
	manifest          []byte
	mediaType         string
	artifactMediaType string
	size              int64
	pushed            time.Time
	replicas          map[string]time.Time // destination region -> when the copy is due
}

// imageID is ECR's ImageIdentifier.
type imageID struct {
	ImageDigest string `json:"imageDigest,omitempty"`
	ImageTag    string `json:"imageTag,omitempty"`
}

// tokenLifetime is how long GetAuthorizationToken's tokens last, as in ECR.
const tokenLifetime = 12 * time.Hour

var repositoryName = regexp.MustCompile(`^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$`)

// ecrOps are the control plane's operations; each first stores the images
// other regions replicated here that are due.
func (s *Service) ecrOps() map[string]awssim.JSONOp {
	ops := map[string]awssim.JSONOp{
		"CreateRepository":               s.createRepository,
		"DescribeRepositories":           s.describeRepositories,
		"DescribeImages":                 s.describeImages,
		"BatchGetImage":                  s.batchGetImage,
		"GetAuthorizationToken":          s.getAuthorizationToken,
		"SetRepositoryPolicy":            s.setRepositoryPolicy,
		"GetRepositoryPolicy":            s.getRepositoryPolicy,
		"DeleteRepositoryPolicy":         s.deleteRepositoryPolicy,
		"PutReplicationConfiguration":    s.putReplicationConfiguration,
		"DescribeRegistry":               s.describeRegistry,
		"DescribeImageReplicationStatus": s.describeImageReplicationStatus,
	}
	for name, op := range ops {
		ops[name] = func(r *awssim.Request) (any, error) {
			s.receive()
			return op(r)
		}
	}
	return ops
}

func (s *Service) createRepository(r *awssim.Request) (any, error) {
	var in struct {
		RepositoryName             string `json:"repositoryName"`
		ImageTagMutability         string `json:"imageTagMutability"`
		ImageScanningConfiguration struct {
			ScanOnPush bool `json:"scanOnPush"`
		} `json:"imageScanningConfiguration"`
	}
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	if len(in.RepositoryName) < 2 || len(in.RepositoryName) > 256 || !repositoryName.MatchString(in.RepositoryName) {
		return nil, awssim.Errorf("InvalidParameterException", "Invalid parameter at 'repositoryName' failed to satisfy constraint: 'must satisfy regular expression '%s''", strings.Trim(repositoryName.String(), "^$"))
	}
	switch in.ImageTagMutability {
	case "":
		in.ImageTagMutability = "MUTABLE"
	case "MUTABLE", "IMMUTABLE":
	default:
		return nil, awssim.Errorf("InvalidParameterException", "Invalid parameter at 'imageTagMutability' failed to satisfy constraint: 'Member must satisfy enum value set: [MUTABLE, IMMUTABLE]'")
	}
	if s.ecr.repos[in.RepositoryName] != nil {
		return nil, awssim.Errorf("RepositoryAlreadyExistsException", "The repository with name '%s' already exists in the registry with id '%s'", in.RepositoryName, awssim.Account)
	}
	repo := &repository{
		arn:        fmt.Sprintf("arn:aws:ecr:%s:%s:repository/%s", r.Region, awssim.Account, in.RepositoryName),
		name:       in.RepositoryName,
		region:     r.Region,
		created:    s.Clock.Now(),
		mutability: in.ImageTagMutability,
		scanOnPush: in.ImageScanningConfiguration.ScanOnPush,
	}
	s.ecr.repos[repo.name] = repo
	return map[string]any{"repository": s.repositoryJSON(repo)}, nil
}

func (s *Service) repositoryJSON(repo *repository) map[string]any {
	return map[string]any{
		"repositoryArn":              repo.arn,
		"registryId":                 awssim.Account,
		"repositoryName":             repo.name,
		"repositoryUri":              s.HostLocked() + "/" + repo.name,
		"createdAt":                  awssim.EpochSeconds(repo.created),
		"imageTagMutability":         repo.mutability,
		"imageScanningConfiguration": map[string]bool{"scanOnPush": repo.scanOnPush},
		"encryptionConfiguration":    map[string]string{"encryptionType": "AES256"},
	}
}

func (s *Service) describeRepositories(r *awssim.Request) (any, error) {
	var in struct {
		RepositoryNames []string `json:"repositoryNames"`
		MaxResults      int      `json:"maxResults"`
		NextToken       string   `json:"nextToken"`
	}
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	var repos []*repository
	if len(in.RepositoryNames) > 0 {
		for _, name := range in.RepositoryNames {
			repo, err := s.repository(name)
			if err != nil {
				return nil, err
			}
			repos = append(repos, repo)
		}
	} else {
		for _, repo := range s.ecr.repos {
			repos = append(repos, repo)
		}
		slices.SortFunc(repos, func(a, b *repository) int { return strings.Compare(a.name, b.name) })
	}
	if in.MaxResults == 0 {
		in.MaxResults = 100
	}
	repos, next, err := awssim.Page(repos, in.MaxResults, in.NextToken)
	if err != nil {
		return nil, err
	}
	list := []map[string]any{}
	for _, repo := range repos {
		list = append(list, s.repositoryJSON(repo))
	}
	out := map[string]any{"repositories": list}
	if next != "" {
		out["nextToken"] = next
	}
	return out, nil
}

// repository returns the named repository or ECR's error for a missing one.
func (s *Service) repository(name string) (*repository, error) {
	repo := s.ecr.repos[name]
	if repo == nil {
		return nil, awssim.Errorf("RepositoryNotFoundException", "The repository with name '%s' does not exist in the registry with id '%s'", name, awssim.Account)
	}
	return repo, nil
}

func (s *Service) describeImages(r *awssim.Request) (any, error) {
	var in struct {
		RepositoryName string    `json:"repositoryName"`
		ImageIds       []imageID `json:"imageIds"`
		Filter         struct {
			TagStatus string `json:"tagStatus"`
		} `json:"filter"`
		MaxResults int    `json:"maxResults"`
		NextToken  string `json:"nextToken"`
	}
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	repo, err := s.repository(in.RepositoryName)
	if err != nil {
		return nil, err
	}
	var images []*ecrImage
	for _, id := range in.ImageIds {
		img, code := repo.find(id)
		if code != "" {
			digest, tag := cmp.Or(id.ImageDigest, "null"), cmp.Or(id.ImageTag, "null")
			return nil, awssim.Errorf("ImageNotFoundException", "The image with imageId {imageDigest:'%s', imageTag:'%s'} does not exist within the repository with name '%s' in the registry with id '%s'", digest, tag, repo.name, awssim.Account)
		}
		images = append(images, img)
	}
	if len(in.ImageIds) == 0 {
		for _, img := range repo.images {
			if in.Filter.TagStatus == "" || in.Filter.TagStatus == "ANY" || (in.Filter.TagStatus == "TAGGED") == (len(img.tags) > 0) {
				images = append(images, img)
			}
		}
	}
	if in.MaxResults == 0 {
		in.MaxResults = 100
	}
	images, next, err := awssim.Page(images, in.MaxResults, in.NextToken)
	if err != nil {
		return nil, err
	}
	details := []map[string]any{}
	for _, img := range images {
		d := map[string]any{
			"registryId":             awssim.Account,
			"repositoryName":         repo.name,
			"imageDigest":            img.digest,
			"imageSizeInBytes":       img.size,
			"imagePushedAt":          awssim.EpochSeconds(img.pushed),
			"imageManifestMediaType": img.mediaType,
			"imageStatus":            "ACTIVE",
		}
		if len(img.tags) > 0 {
			d["imageTags"] = img.tags
		}
		if img.artifactMediaType != "" {
			d["artifactMediaType"] = img.artifactMediaType
		}
		details = append(details, d)
	}
	out := map[string]any{"imageDetails": details}
	if next != "" {
		out["nextToken"] = next
	}
	return out, nil
}

func (s *Service) batchGetImage(r *awssim.Request) (any, error) {
	var in struct {
		RepositoryName string    `json:"repositoryName"`
		ImageIds       []imageID `json:"imageIds"`
	}
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	repo, err := s.repository(in.RepositoryName)
	if err != nil {
		return nil, err
	}
	type image struct {
		RegistryId             string  `json:"registryId"`
		RepositoryName         string  `json:"repositoryName"`
		ImageId                imageID `json:"imageId"`
		ImageManifest          string  `json:"imageManifest"`
		ImageManifestMediaType string  `json:"imageManifestMediaType"`
	}
	type failure struct {
		ImageId       imageID `json:"imageId"`
		FailureCode   string  `json:"failureCode"`
		FailureReason string  `json:"failureReason"`
	}
	out := struct {
		Images   []image   `json:"images"`
		Failures []failure `json:"failures"`
	}{Images: []image{}, Failures: []failure{}}
	for _, id := range in.ImageIds {
		img, code := repo.find(id)
		switch code {
		case "":
			out.Images = append(out.Images, image{awssim.Account, repo.name, imageID{img.digest, id.ImageTag}, string(img.manifest), img.mediaType})
		case "ImageTagDoesNotExist":
			out.Failures = append(out.Failures, failure{id, code, "Requested image tag does not exist"})
		case "MissingDigestAndTag":
			out.Failures = append(out.Failures, failure{id, code, "Invalid request parameters: both tag and digest cannot be null"})
		default:
			out.Failures = append(out.Failures, failure{id, code, "Requested image not found"})
		}
	}
	return out, nil
}

func (s *Service) getAuthorizationToken(*awssim.Request) (any, error) {
	password := awssim.RandomAlnum(64)
	expires := time.Now().Add(tokenLifetime)
	s.ecr.tokens[password] = expires
	return map[string]any{"authorizationData": []map[string]any{{
		"authorizationToken": base64.StdEncoding.EncodeToString([]byte("AWS:" + password)),
		"expiresAt":          awssim.EpochSeconds(expires),
		"proxyEndpoint":      "http://" + s.HostLocked(),
	}}}, nil
}

// find returns the image id names, or the BatchGetImage failure code saying
// why there is none.
func (repo *repository) find(id imageID) (*ecrImage, string) {
	if id.ImageDigest == "" && id.ImageTag == "" {
		return nil, "MissingDigestAndTag"
	}
	for _, img := range repo.images {
		if id.ImageDigest != "" && img.digest != id.ImageDigest {
			continue
		}
		if id.ImageTag == "" || slices.Contains(img.tags, id.ImageTag) {
			return img, ""
		}
		if id.ImageDigest != "" {
			return nil, "ImageTagDoesNotExist"
		}
	}
	return nil, "ImageNotFound"
}

// tagged returns the image that carries tag, if any.
func (repo *repository) tagged(tag string) *ecrImage {
	img, _ := repo.find(imageID{ImageTag: tag})
	return img
}

// putImage records a manifest pushed to the repository under ref (a tag or
// its digest) and returns its image. A tag moves to the new image.
func (repo *repository) putImage(ref string, manifest []byte, mediaType string, now time.Time) *ecrImage {
	sum := sha256.Sum256(manifest)
	digest := "sha256:" + hex.EncodeToString(sum[:])
	img, _ := repo.find(imageID{ImageDigest: digest})
	if img == nil {
		img = &ecrImage{digest: digest, manifest: manifest, mediaType: mediaType, pushed: now}
		img.size, img.artifactMediaType = repo.measure(manifest)
		repo.images = append(repo.images, img)
	}
	if ref == digest || slices.Contains(img.tags, ref) {
		return img
	}
	for _, other := range repo.images {
		other.tags = slices.DeleteFunc(other.tags, func(t string) bool { return t == ref })
	}
	img.tags = append(img.tags, ref)
	return img
}

// measure returns the size ECR reports for a manifest (the sum of its
// layers; for an index, its largest known image) and its config media type.
func (repo *repository) measure(manifest []byte) (int64, string) {
	var m struct {
		Config struct {
			MediaType string `json:"mediaType"`
		} `json:"config"`
		Layers []struct {
			Size int64 `json:"size"`
		} `json:"layers"`
		Manifests []struct {
			Digest string `json:"digest"`
		} `json:"manifests"`
	}
	if json.Unmarshal(manifest, &m) != nil {
		return int64(len(manifest)), ""
	}
	var size int64
	for _, l := range m.Layers {
		size += l.Size
	}
	for _, child := range m.Manifests {
		if img, _ := repo.find(imageID{ImageDigest: child.Digest}); img != nil {
			size = max(size, img.size)
		}
	}
	return size, m.Config.MediaType
}
