// Package s3 is the sandbox's S3: REST-XML, path-style (/bucket/key),
// aws-chunked uploads decoded; ListBuckets, CreateBucket, HeadBucket,
// ListObjectsV2, PutObject, GetObject and HeadObject.
package s3

import (
	"net/http"
	"strings"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim"
)

// Service is S3's state on the sandbox's core.
type Service struct {
	*awssim.Server
	s3 *s3State
}

// Register adds S3 to the sandbox. It takes every request no other service
// matched, so it registers last.
func Register(core *awssim.Server) *Service {
	s := &Service{Server: core, s3: newS3State()}
	core.Register(&awssim.Service{
		Name:  "s3",
		Match: func(r *http.Request) (string, bool) { return s3Operation(r), true },
		Serve: func(w http.ResponseWriter, r *http.Request, _ string, req *awssim.Request) {
			s.serveS3(w, r, req.Region, req.Body)
		},
		WriteError: writeS3Error,
		Authorize: func(operation string, r *http.Request, req *awssim.Request) *awssim.Error {
			return s.authorize(req.IAM, operation, r)
		},
		Seed: func(operation string, req *awssim.Request, input map[string]any) error {
			return s.seedS3(operation, req.Region, input)
		},
	})
	return s
}

// authorize applies S3's rules: HeadObject is authorized as s3:GetObject,
// and a missing key answers 404 only to a caller that may list the bucket.
func (s *Service) authorize(ic *awssim.IAMCall, operation string, r *http.Request) *awssim.Error {
	bucket, key := s3Path(r)
	bucketARN := "arn:aws:s3:::" + bucket
	objectARN := bucketARN + "/" + key
	var action, resource string
	switch operation {
	case "ListBuckets":
		action, resource = "s3:ListAllMyBuckets", "*"
	case "CreateBucket":
		action, resource = "s3:CreateBucket", bucketARN
	case "HeadBucket", "ListObjectsV2":
		action, resource = "s3:ListBucket", bucketARN
	case "PutObject":
		action, resource = "s3:PutObject", objectARN
	case "GetObject", "HeadObject":
		action, resource = "s3:GetObject", objectARN
	default:
		return nil
	}
	if err := s.allow(ic, action, resource); err != nil {
		return err
	}
	if action != "s3:GetObject" {
		return nil
	}
	if b := s.s3.buckets[bucket]; b != nil && b.objects[key] != nil {
		return nil
	}
	return s.allow(ic, "s3:ListBucket", bucketARN)
}

// allow checks action on resource and returns S3's AccessDenied when the
// policy refuses it: the IAM message with the resource in double quotes,
// as S3 words it ("User: <arn> is not authorized to perform: <action> on
// resource: \"<arn>\" because ...", Amazon S3 User Guide, "Access denied
// message examples").
func (s *Service) allow(ic *awssim.IAMCall, action, resource string) *awssim.Error {
	msg := s.Allow(ic, action, resource)
	if msg == "" {
		return nil
	}
	msg = strings.Replace(msg, " on resource: "+resource+" ", ` on resource: "`+resource+`" `, 1)
	return &awssim.Error{Status: 403, Code: "AccessDenied", Message: msg}
}
