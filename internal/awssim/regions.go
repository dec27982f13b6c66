package awssim

import (
	"net/http"
	"strings"
	"time"
)

// RequestRegion returns the region a SigV4-signed request is scoped to: the
// Authorization header's credential scope, else a presigned URL's
// X-Amz-Credential query parameter. ok is false for a request that names
// none (the registry, the control endpoints, unsigned calls).
func RequestRegion(r *http.Request) (region string, ok bool) {
	_, region, ok = signingScope(r)
	return region, ok
}

// signingScope returns the access key id and region of a SigV4-signed
// request's credential scope (AKID/20260101/<region>/<service>/aws4_request),
// from its Authorization header or its X-Amz-Credential query parameter.
func signingScope(r *http.Request) (key, region string, ok bool) {
	if m := credentialScope.FindStringSubmatch(r.Header.Get("Authorization")); m != nil {
		return m[1], m[2], true
	}
	parts := strings.Split(r.URL.Query().Get("X-Amz-Credential"), "/")
	if len(parts) == 5 && parts[4] == "aws4_request" && parts[0] != "" && parts[2] != "" {
		return parts[0], parts[2], true
	}
	return "", "", false
}

// Refuse answers a request the server will not serve with e, in the wire
// format of the service the request is for. The call is not logged.
func (s *Server) Refuse(w http.ResponseWriter, r *http.Request, e *Error) {
	svc := s.route(r)
	if svc == nil {
		svc, _ = s.classify(r)
	}
	service := "unknown"
	if svc != nil {
		service = svc.Name
	}
	s.WriteError(w, service, e)
}

// Registries are the ECR registries of a multi-region sandbox, for ECR
// replication: the sandbox that assembles the regions provides them.
type Registries interface {
	// Registry returns the inbox of region's ECR, or false when the
	// sandbox does not serve region.
	Registry(region string) (ImageInbox, bool)
}

// ImageInbox takes the images another region's ECR replicates. Deliver is
// called with the sending region's lock held, not the receiving one's: it
// must take no sandbox lock.
type ImageInbox interface {
	// Deliver queues img, to be stored in the receiving registry at due
	// (simulated time).
	Deliver(img ReplicatedImage, due time.Time)
}

// ReplicatedImage is one image push copied to another region: the
// manifest, the blobs it references, and the tag it was pushed as.
type ReplicatedImage struct {
	Repository string
	Manifest   []byte
	MediaType  string
	// Tag is the tag the image was pushed as; "": pushed by digest.
	Tag          string
	SourceRegion string
	// Blobs are the config and layer blobs by digest.
	Blobs map[string][]byte
}
