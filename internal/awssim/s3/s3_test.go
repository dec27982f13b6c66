package s3_test

import (
	"bytes"
	"context"
	"crypto/md5"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim/awssimtest"
)

func newS3(t *testing.T, sb *awssimtest.Sandbox, region string) *s3.Client {
	t.Helper()
	cfg := sb.Config()
	cfg.Region = region
	return s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
}

func TestS3Buckets(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	sb := awssimtest.Start(t, awssim.Options{})

	tests := []struct {
		name     string
		region   string
		in       s3.CreateBucketInput
		wantCode string
	}{
		{"us-east-1", "us-east-1", s3.CreateBucketInput{Bucket: aws.String("bundles")}, ""},
		{"again", "us-east-1", s3.CreateBucketInput{Bucket: aws.String("bundles")}, "BucketAlreadyOwnedByYou"},
		{"with configuration", "eu-west-1", s3.CreateBucketInput{Bucket: aws.String("eu-bundles"), CreateBucketConfiguration: &s3types.CreateBucketConfiguration{LocationConstraint: s3types.BucketLocationConstraintEuWest1}}, ""},
		{"wrong constraint", "eu-west-1", s3.CreateBucketInput{Bucket: aws.String("other"), CreateBucketConfiguration: &s3types.CreateBucketConfiguration{LocationConstraint: s3types.BucketLocationConstraintUsWest2}}, "IllegalLocationConstraintException"},
		{"bad name", "us-east-1", s3.CreateBucketInput{Bucket: aws.String("Bad_Name")}, "InvalidBucketName"},
	}
	for _, tt := range tests { // in order: "again" needs the first
		_, err := newS3(t, sb, tt.region).CreateBucket(ctx, &tt.in)
		if code, _ := awssimtest.ErrorCode(t, err); code != tt.wantCode {
			t.Errorf("%s: CreateBucket error = %q (%v), want %q", tt.name, code, err, tt.wantCode)
		}
	}
	out, err := newS3(t, sb, "us-east-1").ListBuckets(ctx, &s3.ListBucketsInput{})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, b := range out.Buckets {
		names = append(names, aws.ToString(b.Name))
	}
	if want := []string{"bundles", "eu-bundles"}; !slices.Equal(names, want) {
		t.Errorf("ListBuckets = %v, want %v", names, want)
	}
}

func TestS3Objects(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	sb := awssimtest.Start(t, awssim.Options{})
	client := newS3(t, sb, "us-east-1")
	if _, err := client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("bkt")}); err != nil {
		t.Fatal(err)
	}
	payload := bytes.Repeat([]byte("bundle "), 20000)

	tests := []struct {
		name string
		alg  s3types.ChecksumAlgorithm
	}{
		{"default checksum", ""},
		{"crc32c", s3types.ChecksumAlgorithmCrc32c},
		{"crc64nvme", s3types.ChecksumAlgorithmCrc64nvme},
		{"sha256", s3types.ChecksumAlgorithmSha256},
		{"sha1", s3types.ChecksumAlgorithmSha1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			key := "rev/" + tt.name + ".zip"
			put, err := client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("bkt"), Key: aws.String(key), Body: bytes.NewReader(payload), ContentLength: aws.Int64(int64(len(payload))), ChecksumAlgorithm: tt.alg, ContentType: aws.String("application/zip")})
			if err != nil {
				t.Fatal(err)
			}
			if got, want := aws.ToString(put.ETag), fmt.Sprintf(`"%x"`, md5.Sum(payload)); got != want {
				t.Errorf("ETag = %s, want %s", got, want)
			}
			head, err := client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("bkt"), Key: aws.String(key)})
			if err != nil {
				t.Fatal(err)
			}
			if aws.ToInt64(head.ContentLength) != int64(len(payload)) || aws.ToString(head.ETag) != aws.ToString(put.ETag) || aws.ToString(head.ContentType) != "application/zip" {
				t.Errorf("HeadObject = length %d, ETag %s, type %s; want %d, %s, application/zip", aws.ToInt64(head.ContentLength), aws.ToString(head.ETag), aws.ToString(head.ContentType), len(payload), aws.ToString(put.ETag))
			}
			get, err := client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("bkt"), Key: aws.String(key), ChecksumMode: s3types.ChecksumModeEnabled})
			if err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(get.Body) // validates the stored checksum
			get.Body.Close()
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, payload) {
				t.Errorf("GetObject returned %d bytes (%.20q...), want the %d bytes put", len(got), got, len(payload))
			}
		})
	}
}

func TestS3Errors(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	sb := awssimtest.Start(t, awssim.Options{})
	client := newS3(t, sb, "us-east-1")
	if _, err := client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("bkt")}); err != nil {
		t.Fatal(err)
	}
	_, err := client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("bkt"), Key: aws.String("nope")})
	var noKey *s3types.NoSuchKey
	if !errors.As(err, &noKey) {
		t.Errorf("GetObject(missing key) error = %v, want NoSuchKey", err)
	}
	_, err = client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("none"), Key: aws.String("k")})
	if code, msg := awssimtest.ErrorCode(t, err); code != "NoSuchBucket" || msg != "The specified bucket does not exist" {
		t.Errorf("GetObject(missing bucket) error = %q %q, want NoSuchBucket", code, msg)
	}
	_, err = client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("bkt"), Key: aws.String("nope")})
	var notFound *s3types.NotFound
	if !errors.As(err, &notFound) {
		t.Errorf("HeadObject(missing key) error = %v, want NotFound", err)
	}
}

func TestS3ListObjectsV2(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	sb := awssimtest.Start(t, awssim.Options{})
	seed := []awssim.SeedCall{{Service: "s3", Operation: "CreateBucket", Input: map[string]any{"Bucket": "bkt"}}}
	for _, k := range []string{"a/1", "a/2", "b/1", "b/2", "b/3", "c", "d"} {
		seed = append(seed, awssim.SeedCall{Service: "s3", Operation: "PutObject", Input: map[string]any{"Bucket": "bkt", "Key": k, "Body": k}})
	}
	if err := sb.Apply(awssim.Scenario{Seed: seed}); err != nil {
		t.Fatal(err)
	}
	client := newS3(t, sb, "us-east-1")

	tests := []struct {
		name      string
		in        s3.ListObjectsV2Input
		wantPages []string
	}{
		{"all", s3.ListObjectsV2Input{}, []string{"a/1 a/2 b/1 b/2 b/3 c d"}},
		{"pages", s3.ListObjectsV2Input{MaxKeys: aws.Int32(3)}, []string{"a/1 a/2 b/1", "b/2 b/3 c", "d"}},
		{"prefix", s3.ListObjectsV2Input{Prefix: aws.String("b/")}, []string{"b/1 b/2 b/3"}},
		{"delimiter", s3.ListObjectsV2Input{Delimiter: aws.String("/"), MaxKeys: aws.Int32(2)}, []string{"a/ b/", "c d"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			in := tt.in
			in.Bucket = aws.String("bkt")
			var pages []string
			p := s3.NewListObjectsV2Paginator(client, &in)
			for p.HasMorePages() {
				out, err := p.NextPage(ctx)
				if err != nil {
					t.Fatal(err)
				}
				var keys []string
				for _, c := range out.CommonPrefixes {
					keys = append(keys, aws.ToString(c.Prefix))
				}
				for _, c := range out.Contents {
					keys = append(keys, aws.ToString(c.Key))
				}
				if int(aws.ToInt32(out.KeyCount)) != len(keys) {
					t.Errorf("KeyCount = %d, want %d", aws.ToInt32(out.KeyCount), len(keys))
				}
				pages = append(pages, strings.Join(keys, " "))
			}
			if !slices.Equal(pages, tt.wantPages) {
				t.Errorf("pages = %q, want %q", pages, tt.wantPages)
			}
		})
	}
}

// TestS3ChunkedSigned sends a PutObject body in the signed aws-chunked
// encoding with a trailing checksum, as botocore may.
func TestS3ChunkedSigned(t *testing.T) {
	t.Parallel()
	sb := awssimtest.Start(t, awssim.Options{})
	if err := sb.Apply(awssim.Scenario{Seed: []awssim.SeedCall{{Service: "s3", Operation: "CreateBucket", Input: map[string]any{"Bucket": "bkt"}}}}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		trailer    string
		wantStatus int
	}{
		{"good checksum", "x-amz-checksum-crc32:DUoRhQ==", http.StatusOK},
		{"bad checksum", "x-amz-checksum-crc32:AAAAAA==", http.StatusBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			sig := ";chunk-signature=" + strings.Repeat("0", 64)
			body := "5" + sig + "\r\nhello\r\n6" + sig + "\r\n world\r\n0" + sig + "\r\n" + tt.trailer + "\r\n\r\n"
			req, err := http.NewRequest(http.MethodPut, sb.URL+"/bkt/k", strings.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKIASANDBOX/20240101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=0")
			req.Header.Set("Content-Encoding", "aws-chunked")
			req.Header.Set("X-Amz-Content-Sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER")
			req.Header.Set("X-Amz-Decoded-Content-Length", "11")
			req.Header.Set("X-Amz-Trailer", "x-amz-checksum-crc32")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status = %d, want %d", resp.StatusCode, tt.wantStatus)
			}
			if tt.wantStatus != http.StatusOK {
				return
			}
			got, err := newS3(t, sb, "us-east-1").GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String("bkt"), Key: aws.String("k")})
			if err != nil {
				t.Fatal(err)
			}
			data, _ := io.ReadAll(got.Body)
			if string(data) != "hello world" {
				t.Errorf("stored %q, want %q", data, "hello world")
			}
			if want := `"5eb63bbbe01eeed093cb22bb8f5acdc3"`; aws.ToString(got.ETag) != want {
				t.Errorf("ETag = %s, want %s", aws.ToString(got.ETag), want)
			}
		})
	}
}

func TestS3SeedRegion(t *testing.T) {
	t.Parallel()
	sb := awssimtest.Start(t, awssim.Options{})
	err := sb.Apply(awssim.Scenario{Seed: []awssim.SeedCall{
		{Service: "s3", Operation: "CreateBucket", Region: "eu-west-1", Input: map[string]any{"Bucket": "eu-bundles"}},
		{Service: "s3", Operation: "CreateBucket", Input: map[string]any{"Bucket": "bundles"}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	for bucket, want := range map[string]string{"eu-bundles": "eu-west-1", "bundles": "us-east-1"} {
		out, err := newS3(t, sb, want).HeadBucket(context.Background(), &s3.HeadBucketInput{Bucket: aws.String(bucket)})
		if err != nil {
			t.Fatal(err)
		}
		if got := aws.ToString(out.BucketRegion); got != want {
			t.Errorf("seeded bucket %s is in %q, want %q", bucket, got, want)
		}
	}
}
