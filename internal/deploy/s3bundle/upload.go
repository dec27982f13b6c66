package s3bundle

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/deploy"
)

// S3API is the S3 calls an upload makes; *s3.Client has them.
type S3API interface {
	HeadObject(context.Context, *s3.HeadObjectInput, ...func(*s3.Options)) (*s3.HeadObjectOutput, error)
	PutObject(context.Context, *s3.PutObjectInput, ...func(*s3.Options)) (*s3.PutObjectOutput, error)
}

// Upload uploads a zipped bundle to S3 under prefix (without slashes
// at either end) and a key made of its content hash (an identical bundle is
// not uploaded again), and returns the S3 revision with its ETag.
func Upload(ctx context.Context, api S3API, bucket, prefix string, data []byte) (deploy.Revision, error) {
	sum := sha256.Sum256(data)
	key := "bundle-" + hex.EncodeToString(sum[:]) + ".zip"
	if prefix != "" {
		key = prefix + "/" + key
	}
	where := "s3://" + bucket + "/" + key

	var etag string
	head, err := api.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	switch {
	case err == nil:
		etag = aws.ToString(head.ETag)
	case unknown(err):
		put, err := api.PutObject(ctx, &s3.PutObjectInput{
			Bucket:      aws.String(bucket),
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
				Bucket:     aws.String(bucket),
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
