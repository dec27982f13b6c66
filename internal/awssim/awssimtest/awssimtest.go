// Package awssimtest starts the AWS sandbox for tests and points the real SDK
// at it.
package awssimtest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/smithy-go"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim/codedeploy"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim/sandbox"
)

// Sandbox is a running sandbox and how to reach it.
type Sandbox struct {
	*awssim.Server
	// CodeDeploy is the sandbox's CodeDeploy, for LambdaHookExecutionID.
	CodeDeploy *codedeploy.Service
	URL        string // http://127.0.0.1:port
	Host       string // 127.0.0.1:port
	Region     string // the region Config and Env name
}

// Start runs a sandbox on a loopback port until the test ends.
func Start(t testing.TB, opts awssim.Options) *Sandbox {
	t.Helper()
	srv := sandbox.New(opts)
	t.Cleanup(func() { // after the server below closes: cleanups run last first
		if err := srv.Close(); err != nil {
			t.Errorf("removing the exec agent's deployment root: %v", err)
		}
	})
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	host := strings.TrimPrefix(hs.URL, "http://")
	srv.SetHost(host)
	return &Sandbox{Server: srv.Server, CodeDeploy: srv.CodeDeploy, URL: hs.URL, Host: host, Region: awssim.DefaultRegion}
}

// StartRegions runs a sandbox of several regions until the test ends (see
// sandbox.Regions) and returns the URL of its front, which routes each
// request by the region it is signed for, and each region's sandbox. The
// first region is the default: its URL and Host are the front's; each
// other region listens on a loopback port of its own, so its
// repositoryUri and registry differ. Config and Env of a region's sandbox
// name its region.
func StartRegions(t testing.TB, regions ...string) (string, map[string]*Sandbox) {
	t.Helper()
	rs, err := sandbox.NewRegions(awssim.Options{}, regions...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := rs.Close(); err != nil {
			t.Errorf("closing the regions' sandboxes: %v", err)
		}
	})
	front := httptest.NewServer(rs)
	t.Cleanup(front.Close)
	out := map[string]*Sandbox{}
	for i, region := range rs.Names() {
		srv, url := rs.Sandbox(region), front.URL
		if i > 0 {
			hs := httptest.NewServer(srv)
			t.Cleanup(hs.Close)
			url = hs.URL
		}
		host := strings.TrimPrefix(url, "http://")
		srv.SetHost(host)
		out[region] = &Sandbox{Server: srv.Server, CodeDeploy: srv.CodeDeploy, URL: url, Host: host, Region: region}
	}
	return front.URL, out
}

// Config returns an SDK configuration that sends every service to the
// sandbox with static credentials. S3 clients still need UsePathStyle.
func (s *Sandbox) Config() aws.Config {
	return aws.Config{
		Region:       s.Region,
		Credentials:  credentials.NewStaticCredentialsProvider("AKIASANDBOX", "sandbox-secret", ""),
		BaseEndpoint: aws.String(s.URL),
	}
}

// Env returns the environment variables that point the SDK and the AWS CLI
// at the sandbox.
func (s *Sandbox) Env() map[string]string {
	return map[string]string{
		"AWS_ENDPOINT_URL":      s.URL,
		"AWS_REGION":            s.Region,
		"AWS_ACCESS_KEY_ID":     "AKIASANDBOX",
		"AWS_SECRET_ACCESS_KEY": "sandbox-secret",
	}
}

// PushImage creates the ECR repository repo and pushes a small image (a
// config blob, no layers) to it as tag v1 through the registry API. It
// returns the image's URI by digest, the same digest on every call.
func (s *Sandbox) PushImage(t testing.TB, repo string) string {
	t.Helper()
	if _, err := ecr.NewFromConfig(s.Config()).CreateRepository(context.Background(), &ecr.CreateRepositoryInput{RepositoryName: aws.String(repo)}); err != nil {
		t.Fatal(err)
	}
	return s.PushImageTag(t, repo, "v1")
}

// PushImageTag pushes a small image as repo:tag to the existing repository
// repo; images of tags other than v1 carry the tag as a label, so each tag
// has its own digest. It returns the image's URI by digest.
func (s *Sandbox) PushImageTag(t testing.TB, repo, tag string) string {
	t.Helper()
	labels := ""
	if tag != "v1" {
		labels = fmt.Sprintf(`"Labels":{"tag":%q}`, tag)
	}
	config := []byte(`{"architecture":"amd64","os":"linux","config":{` + labels + `},"rootfs":{"type":"layers","diff_ids":[]}}`)
	manifest := []byte(fmt.Sprintf(`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",`+
		`"config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":%q,"size":%d},"layers":[]}`, s.PushBlob(t, repo, config), len(config)))
	return s.PutManifest(t, repo, tag, "application/vnd.oci.image.manifest.v1+json", manifest)
}

// PushBlob uploads data as a blob of repo through the registry API and
// returns its digest.
func (s *Sandbox) PushBlob(t testing.TB, repo string, data []byte) string {
	t.Helper()
	digest := fmt.Sprintf("sha256:%x", sha256.Sum256(data))
	loc := s.registry(t, http.MethodPost, s.URL+"/v2/"+repo+"/blobs/uploads/", "", nil).Header.Get("Location")
	if !strings.HasPrefix(loc, "http") {
		loc = s.URL + loc
	}
	sep := "?"
	if strings.Contains(loc, "?") {
		sep = "&"
	}
	s.registry(t, http.MethodPut, loc+sep+"digest="+digest, "application/octet-stream", data)
	return digest
}

// PutManifest puts body (a manifest or an index of mediaType) as repo:tag
// and returns its URI by digest.
func (s *Sandbox) PutManifest(t testing.TB, repo, tag, mediaType string, body []byte) string {
	t.Helper()
	s.registry(t, http.MethodPut, s.URL+"/v2/"+repo+"/manifests/"+tag, mediaType, body)
	return fmt.Sprintf("%s/%s@sha256:%x", s.Host, repo, sha256.Sum256(body))
}

// registry makes a registry API request with the sandbox's ECR login and
// fails the test unless it succeeds.
func (s *Sandbox) registry(t testing.TB, method, url, contentType string, body []byte) *http.Response {
	t.Helper()
	tok, err := ecr.NewFromConfig(s.Config()).GetAuthorizationToken(context.Background(), &ecr.GetAuthorizationTokenInput{})
	if err != nil {
		t.Fatal(err)
	}
	raw, err := base64.StdEncoding.DecodeString(aws.ToString(tok.AuthorizationData[0].AuthorizationToken))
	if err != nil {
		t.Fatal(err)
	}
	_, password, _ := strings.Cut(string(raw), ":")
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth("AWS", password)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode >= 300 {
		t.Fatalf("%s %s: %s", method, url, resp.Status)
	}
	return resp
}

// ErrorCode returns the AWS error code and message of err, or "" for nil.
func ErrorCode(t testing.TB, err error) (code, message string) {
	t.Helper()
	if err == nil {
		return "", ""
	}
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("error %v is not an AWS API error", err)
	}
	return ae.ErrorCode(), ae.ErrorMessage()
}

// RegistryPassword returns a registry password from GetAuthorizationToken.
func RegistryPassword(t testing.TB, client *ecr.Client) string {
	t.Helper()
	out, err := client.GetAuthorizationToken(context.Background(), &ecr.GetAuthorizationTokenInput{})
	if err != nil {
		t.Fatal(err)
	}
	raw, err := base64.StdEncoding.DecodeString(aws.ToString(out.AuthorizationData[0].AuthorizationToken))
	if err != nil {
		t.Fatal(err)
	}
	user, password, _ := strings.Cut(string(raw), ":")
	if user != "AWS" || password == "" {
		t.Fatalf("authorization token decodes to %q, want AWS:<password>", raw)
	}
	return password
}
