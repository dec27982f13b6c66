// Package server makes the revision of a Server (EC2/on-premises) deployment:
// the bundle folder (or a generated default bundle) zipped with deploy.env,
// its appspec.yml checked, uploaded to S3 by content hash.
package server

import (
	"context"
	"time"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/deploy"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/deploy/s3bundle"
)

// S3API is the S3 calls the Server revision makes; *s3.Client has them.
type S3API = s3bundle.S3API

// Input is what a Server (EC2/on-premises) revision is made from.
type Input struct {
	Bundle          string // folder with appspec.yml at its root; "": the default bundle
	Bucket          string
	Prefix          string // key prefix, without slashes at either end
	Region          string // for the instance's ECR login and secret reads
	ImageURI        string // by digest
	ContainerName   string
	ContainerPort   int
	HealthCheckPath string
	HealthTimeout   time.Duration // ValidateService's wait; 0: hostscripts.DefaultHealthCheckTimeout
	Secrets         []deploy.SecretRef
}

// Revision zips the bundle (or the default one) with deploy.env and
// uploads it to S3 by content hash (s3bundle.Upload).
func Revision(ctx context.Context, api S3API, in Input) (deploy.Revision, error) {
	data, err := Bundle(in)
	if err != nil {
		return deploy.Revision{}, err
	}
	return s3bundle.Upload(ctx, api, in.Bucket, in.Prefix, data)
}
