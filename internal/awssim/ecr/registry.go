package ecr

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim"
)

// maxManifestSize is the largest manifest ECR accepts.
const maxManifestSize = 4 << 20

// newRegistry returns the OCI registry that stores blob content; manifests
// live in the ECR state, so that ECR's API sees every push.
func (s *Service) newRegistry() http.Handler {
	blobs := registry.NewInMemoryBlobHandler()
	s.ecr.blobs = blobs.(blobStore)
	return registry.New(registry.Logger(log.New(io.Discard, "", 0)), registry.WithBlobHandler(blobs))
}

// registryRequest is a registry API request, parsed from its path.
type registryRequest struct {
	repo      string // repository name; empty for the /v2/ ping
	kind      string // "manifests", "blobs", "uploads" or "tags"
	ref       string // tag, digest or upload id
	operation string // the name the call log uses
}

// registryOperations names registry calls in the call log by the kind of
// path and the method.
var registryOperations = map[string]string{
	" GET":             "Ping",
	"manifests GET":    "GetManifest",
	"manifests HEAD":   "HeadManifest",
	"manifests PUT":    "PutManifest",
	"blobs GET":        "GetBlob",
	"blobs HEAD":       "HeadBlob",
	"uploads POST":     "StartUpload",
	"uploads PATCH":    "PatchUpload",
	"uploads PUT":      "CompleteUpload",
	"uploads GET":      "GetUpload",
	"uploads DELETE":   "CancelUpload",
	"tags GET":         "ListTags",
	"manifests DELETE": "DeleteManifest",
	"blobs DELETE":     "DeleteBlob",
}

func parseRegistryPath(r *http.Request) registryRequest {
	p := strings.TrimPrefix(strings.TrimPrefix(r.URL.Path, "/v2"), "/")
	var req registryRequest
	for _, kind := range []string{"/blobs/uploads", "/manifests/", "/blobs/", "/tags/"} {
		if i := strings.LastIndex(p, kind); i > 0 {
			req.repo, req.kind, req.ref = p[:i], strings.Trim(kind, "/"), strings.TrimPrefix(p[i+len(kind):], "/")
			break
		}
	}
	if req.kind == "blobs/uploads" {
		req.kind = "uploads"
	}
	req.operation = registryOperations[req.kind+" "+r.Method]
	if req.operation == "" {
		req.operation = r.Method + " " + r.URL.Path
	}
	return req
}

// serveRegistry answers the registry API under /v2/ as ECR's registry does:
// Basic auth with a GetAuthorizationToken password, repositories from the
// ECR control plane, immutable tags, and the scenario's broken uploads.
func (s *Service) serveRegistry(w http.ResponseWriter, r *http.Request) {
	req := parseRegistryPath(r)
	rec := &awssim.StatusRecorder{ResponseWriter: w, Status: 200}
	ic := &awssim.IAMCall{}
	defer func() { s.Record("registry", req.operation, rec.Status, ic.Actions()) }()
	rec.Header().Set("Docker-Distribution-API-Version", "registry/2.0")

	if status, code, msg := s.registryAuth(r); status != 0 {
		rec.Header().Set("WWW-Authenticate", fmt.Sprintf(`Basic realm="http://%s/",service="ecr.amazonaws.com"`, s.Host()))
		writeRegistryError(rec, status, code, msg)
		return
	}
	if s.ApplyFaults(rec, "registry", req.operation) {
		return
	}
	if req.repo == "" {
		s.blobs.ServeHTTP(rec, r)
		return
	}
	if msg := s.authorizeRegistry(ic, req); msg != "" {
		writeRegistryError(rec, http.StatusForbidden, "DENIED", msg)
		return
	}
	s.Lock()
	s.receive()
	repo := s.ecr.repos[req.repo]
	broken := req.kind == "uploads" && (r.Method == http.MethodPatch || r.Method == http.MethodPut) && s.breakUpload()
	s.Unlock()
	switch {
	case repo == nil:
		writeRegistryError(rec, http.StatusNotFound, "NAME_UNKNOWN", fmt.Sprintf("The repository with name '%s' does not exist in the registry with id '%s'", req.repo, awssim.Account))
	case broken:
		writeRegistryError(rec, http.StatusInternalServerError, "BLOB_UPLOAD_INVALID", "The blob upload failed. Retry the upload.")
	case req.kind == "manifests":
		s.serveManifest(rec, r, repo, req.ref)
	case req.kind == "tags":
		s.Lock()
		tags := []string{}
		for _, img := range repo.images {
			tags = append(tags, img.tags...)
		}
		s.Unlock()
		slices.Sort(tags)
		rec.Header().Set("Content-Type", "application/json")
		json.NewEncoder(rec).Encode(map[string]any{"name": repo.name, "tags": tags})
	default:
		s.blobs.ServeHTTP(rec, r)
	}
}

// registryAuth checks the request's Basic credentials and returns the
// error status, code and message to refuse it with, or a zero status.
func (s *Service) registryAuth(r *http.Request) (int, string, string) {
	user, password, ok := r.BasicAuth()
	if !ok {
		return http.StatusUnauthorized, "UNAUTHORIZED", "Not Authorized"
	}
	s.Lock()
	expires, known := s.ecr.tokens[password]
	s.Unlock()
	switch {
	case user != "AWS" || !known:
		return http.StatusUnauthorized, "DENIED", "Your authorization token is invalid."
	case time.Now().After(expires):
		return http.StatusForbidden, "DENIED", "Your authorization token has expired. Reauthenticate and try again."
	}
	return 0, "", ""
}

// breakUpload reports whether the scenario breaks this blob upload request,
// counting it. The caller holds s.mu.
func (s *Service) breakUpload() bool {
	switch n := s.Scenario().BreakBlobUploads; {
	case n < 0:
		return true
	case n > 0:
		s.Scenario().BreakBlobUploads--
		return true
	}
	return false
}

// serveManifest answers manifest requests from the repository's images.
func (s *Service) serveManifest(w http.ResponseWriter, r *http.Request, repo *repository, ref string) {
	if r.Method == http.MethodPut {
		s.putManifest(w, r, repo, ref)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		writeRegistryError(w, http.StatusMethodNotAllowed, "UNSUPPORTED", "The operation is unsupported.")
		return
	}
	id := imageID{ImageTag: ref}
	if strings.Contains(ref, ":") {
		id = imageID{ImageDigest: ref}
	}
	s.Lock()
	img, _ := repo.find(id)
	s.Unlock()
	if img == nil {
		writeRegistryError(w, http.StatusNotFound, "MANIFEST_UNKNOWN", "Requested image not found")
		return
	}
	w.Header().Set("Content-Type", img.mediaType)
	w.Header().Set("Docker-Content-Digest", img.digest)
	w.Header().Set("Content-Length", fmt.Sprint(len(img.manifest)))
	if r.Method == http.MethodGet {
		w.Write(img.manifest)
	}
}

// putManifest stores a pushed manifest under ref once the blobs and
// manifests it references are in the registry, unless that would move a
// tag of an immutable repository.
func (s *Service) putManifest(w http.ResponseWriter, r *http.Request, repo *repository, ref string) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxManifestSize+1))
	if err != nil {
		writeRegistryError(w, http.StatusBadRequest, "MANIFEST_INVALID", err.Error())
		return
	}
	if len(body) > maxManifestSize {
		writeRegistryError(w, http.StatusRequestEntityTooLarge, "SIZE_INVALID", "The manifest is larger than 4 MiB.")
		return
	}
	digest, _, _ := v1.SHA256(bytes.NewReader(body))
	var m struct {
		MediaType string          `json:"mediaType"`
		Config    v1.Descriptor   `json:"config"`
		Layers    []v1.Descriptor `json:"layers"`
		Manifests []v1.Descriptor `json:"manifests"`
	}
	if err := json.Unmarshal(body, &m); err != nil {
		writeRegistryError(w, http.StatusBadRequest, "MANIFEST_INVALID", err.Error())
		return
	}
	if strings.Contains(ref, ":") && ref != digest.String() {
		writeRegistryError(w, http.StatusBadRequest, "DIGEST_INVALID", fmt.Sprintf("The digest %s does not match the manifest's digest %s.", ref, digest))
		return
	}
	for _, d := range append(m.Layers, m.Config) {
		if d.Digest.Hex == "" || !d.MediaType.IsDistributable() {
			continue
		}
		if _, err := s.ecr.blobs.Stat(r.Context(), repo.name, d.Digest); err != nil {
			writeRegistryError(w, http.StatusBadRequest, "MANIFEST_BLOB_UNKNOWN", fmt.Sprintf("Manifest references unknown blob %s.", d.Digest))
			return
		}
	}
	mediaType := r.Header.Get("Content-Type")
	if mediaType == "" {
		mediaType = m.MediaType
	}

	s.Lock()
	defer s.Unlock()
	for _, d := range m.Manifests {
		if img, _ := repo.find(imageID{ImageDigest: d.Digest.String()}); img == nil {
			writeRegistryError(w, http.StatusBadRequest, "MANIFEST_UNKNOWN", fmt.Sprintf("Manifest references unknown manifest %s.", d.Digest))
			return
		}
	}
	if img := repo.tagged(ref); repo.mutability == "IMMUTABLE" && img != nil && img.digest != digest.String() {
		writeRegistryError(w, http.StatusBadRequest, "TAG_INVALID", fmt.Sprintf("The image tag '%s' already exists in the '%s' repository and cannot be overwritten because the repository is immutable.", ref, repo.name))
		return
	}
	img := repo.putImage(ref, body, mediaType, s.Clock.Now())
	if err := s.replicate(r.Context(), repo, img, ref, append(m.Layers, m.Config)); err != nil {
		log.Printf("awssim: ecr: %v", err)
	}
	w.Header().Set("Docker-Content-Digest", digest.String())
	w.Header().Set("Location", fmt.Sprintf("/v2/%s/manifests/%s", repo.name, digest))
	w.WriteHeader(http.StatusCreated)
}

// writeRegistryError writes an OCI distribution error.
func writeRegistryError(w http.ResponseWriter, status int, code, message string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	type detail struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	}
	json.NewEncoder(w).Encode(map[string][]detail{"errors": {{code, message}}})
}
