// Package ecr is the sandbox's ECR: the control plane (AWS JSON 1.1:
// CreateRepository, DescribeRepositories, DescribeImages, BatchGetImage,
// GetAuthorizationToken, Set/Get/DeleteRepositoryPolicy,
// PutReplicationConfiguration, DescribeRegistry,
// DescribeImageReplicationStatus) and the registry data plane, an OCI
// registry under /v2/ that needs Basic auth with a token from
// GetAuthorizationToken and honours image tag immutability. Lambda reads and
// extends the repository policies through awssim.Images; pushes replicate
// to other regions' ECR through awssim.Registries, and each ECR is an
// awssim.ImageInbox for the others.
package ecr

import (
	"fmt"
	"net/http"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim"
)

// Service is ECR's state on the sandbox's core.
type Service struct {
	*awssim.Server
	ecr   *ecrState
	blobs http.Handler // the OCI registry that stores blob content
}

// Register adds ECR and its registry to the sandbox.
func Register(core *awssim.Server) *Service {
	s := &Service{Server: core, ecr: newECRState()}
	s.blobs = s.newRegistry()
	core.Register(&awssim.Service{
		Name:   "ecr",
		Target: "AmazonEC2ContainerRegistry_V20150921",
		Ops:    s.ecrOps(),
		Authorize: func(operation string, _ *http.Request, req *awssim.Request) *awssim.Error {
			return core.CheckJSON(req, func(in awssim.Input) []awssim.IAMCheck { return checks(operation, req.Region, in) })
		},
	})
	core.Register(&awssim.Service{
		Name:       "registry",
		Path:       "/v2",
		Handler:    http.HandlerFunc(s.serveRegistry),
		WriteError: func(w http.ResponseWriter, e *awssim.Error) { writeRegistryError(w, e.Status, e.Code, e.Message) },
	})
	return s
}

// checks lists what a control-plane operation needs, with the resources as
// the Service Authorization Reference names them.
func checks(operation, region string, in awssim.Input) []awssim.IAMCheck {
	action := "ecr:" + operation
	one := func(resource string) []awssim.IAMCheck {
		return []awssim.IAMCheck{{Action: action, Resource: resource}}
	}
	arn := func(name string) string {
		return fmt.Sprintf("arn:aws:ecr:%s:%s:repository/%s", region, awssim.Account, name)
	}
	switch operation {
	case "CreateRepository", "DescribeImages", "BatchGetImage", "SetRepositoryPolicy", "GetRepositoryPolicy", "DeleteRepositoryPolicy", "DescribeImageReplicationStatus":
		return one(arn(in.Str("repositoryName")))
	case "DescribeRepositories":
		names := in.List("repositoryNames")
		if len(names) == 0 {
			return one("*")
		}
		var checks []awssim.IAMCheck
		for _, n := range names {
			checks = append(checks, awssim.IAMCheck{Action: action, Resource: arn(n)})
		}
		return checks
	}
	return one("*")
}

// registryActions are the ECR actions the registry's operations stand for.
var registryActions = map[string]string{
	"GetManifest":    "ecr:BatchGetImage",
	"HeadManifest":   "ecr:BatchGetImage",
	"ListTags":       "ecr:ListImages",
	"GetBlob":        "ecr:GetDownloadUrlForLayer",
	"HeadBlob":       "ecr:BatchCheckLayerAvailability",
	"StartUpload":    "ecr:InitiateLayerUpload",
	"PatchUpload":    "ecr:UploadLayerPart",
	"GetUpload":      "ecr:UploadLayerPart",
	"CompleteUpload": "ecr:CompleteLayerUpload",
	"CancelUpload":   "ecr:UploadLayerPart",
	"PutManifest":    "ecr:PutImage",
	"DeleteManifest": "ecr:BatchDeleteImage",
	"DeleteBlob":     "ecr:BatchDeleteImage",
}

// authorizeRegistry checks a registry call as the ECR action it stands for
// and returns the DENIED message, or "".
func (s *Service) authorizeRegistry(ic *awssim.IAMCall, req registryRequest) string {
	action, ok := registryActions[req.operation]
	if !ok {
		return ""
	}
	s.Lock()
	defer s.Unlock()
	arn := fmt.Sprintf("arn:aws:ecr:%s:%s:repository/%s", s.Region(), awssim.Account, req.repo)
	if repo := s.ecr.repos[req.repo]; repo != nil {
		arn = repo.arn
	}
	return s.Allow(ic, action, arn)
}

// Image returns the digest and media type of repository:ref
// (awssim.Images).
func (s *Service) Image(repository, ref string, byDigest bool) (string, string, bool) {
	s.receive()
	repo, found := s.ecr.repos[repository]
	if !found {
		return "", "", false
	}
	id := imageID{ImageTag: ref}
	if byDigest {
		id = imageID{ImageDigest: ref}
	}
	img, _ := repo.find(id)
	if img == nil {
		return "", "", false
	}
	return img.digest, img.mediaType, true
}

var _ awssim.Images = (*Service)(nil)
