// Package server makes the revision of a Server (EC2/on-premises) deployment:
// the bundle folder (or a generated default bundle) zipped with deploy.env,
// its appspec.yml checked, uploaded to S3 by content hash.
package server

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/deploy"
)

// S3API is the S3 calls the Server revision makes; *s3.Client has them.
type S3API interface {
	HeadObject(context.Context, *s3.HeadObjectInput, ...func(*s3.Options)) (*s3.HeadObjectOutput, error)
	PutObject(context.Context, *s3.PutObjectInput, ...func(*s3.Options)) (*s3.PutObjectOutput, error)
}

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
	HealthTimeout   time.Duration // ValidateService's wait; 0: DefaultHealthCheckTimeout
	Secrets         []deploy.SecretRef
}

// EnvFile is the file added at the bundle's root for its hook scripts.
const EnvFile = "deploy.env"

// Revision zips the bundle (or the default one) with deploy.env,
// uploads it to S3 under a key made of its content hash (an identical
// bundle is not uploaded again) and returns the S3 revision with its ETag.
func Revision(ctx context.Context, api S3API, in Input) (deploy.Revision, error) {
	data, err := Bundle(in)
	if err != nil {
		return deploy.Revision{}, err
	}
	sum := sha256.Sum256(data)
	key := "bundle-" + hex.EncodeToString(sum[:]) + ".zip"
	if in.Prefix != "" {
		key = in.Prefix + "/" + key
	}
	where := "s3://" + in.Bucket + "/" + key

	var etag string
	head, err := api.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(in.Bucket), Key: aws.String(key)})
	switch {
	case err == nil:
		etag = aws.ToString(head.ETag)
	case unknown(err):
		put, err := api.PutObject(ctx, &s3.PutObjectInput{
			Bucket:      aws.String(in.Bucket),
			Key:         aws.String(key),
			Body:        bytes.NewReader(data),
			ContentType: aws.String("application/zip"),
		})
		if err != nil {
			return deploy.Revision{}, fmt.Errorf("uploading the bundle to %s: %w", where, err)
		}
		etag = aws.ToString(put.ETag)
	default:
		return deploy.Revision{}, fmt.Errorf("checking for the bundle at %s: %w", where, err)
	}
	return deploy.Revision{
		Where: where,
		Location: types.RevisionLocation{
			RevisionType: types.RevisionLocationTypeS3,
			S3Location: &types.S3Location{
				Bucket:     aws.String(in.Bucket),
				Key:        aws.String(key),
				BundleType: types.BundleTypeZip,
				ETag:       aws.String(strings.Trim(etag, `"`)),
			},
		},
	}, nil
}

// unknown reports whether a HeadObject error leaves the bundle to be
// uploaded: 404, or 403 as S3 answers for a missing key to a caller without
// s3:ListBucket (and for any key to one without s3:GetObject).
func unknown(err error) bool {
	var notFound *s3types.NotFound
	var re *smithyhttp.ResponseError
	return errors.As(err, &notFound) || errors.As(err, &re) && re.HTTPStatusCode() == http.StatusForbidden
}
