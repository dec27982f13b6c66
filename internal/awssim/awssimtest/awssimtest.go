// Package awssimtest starts the AWS sandbox for tests and points the real SDK
// at it.
package awssimtest

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim"
)

// Sandbox is a running sandbox and how to reach it.
type Sandbox struct {
	*awssim.Server
	URL  string // http://127.0.0.1:port
	Host string // 127.0.0.1:port
}

// Start runs a sandbox on a loopback port until the test ends.
func Start(t testing.TB, opts awssim.Options) *Sandbox {
	t.Helper()
	srv := awssim.New(opts)
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	host := strings.TrimPrefix(hs.URL, "http://")
	srv.SetHost(host)
	return &Sandbox{Server: srv, URL: hs.URL, Host: host}
}

// Config returns an SDK configuration that sends every service to the
// sandbox with static credentials. S3 clients still need UsePathStyle.
func (s *Sandbox) Config() aws.Config {
	return aws.Config{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("AKIASANDBOX", "sandbox-secret", ""),
		BaseEndpoint: aws.String(s.URL),
	}
}

// Env returns the environment variables that point the SDK and the AWS CLI
// at the sandbox.
func (s *Sandbox) Env() map[string]string {
	return map[string]string{
		"AWS_ENDPOINT_URL":      s.URL,
		"AWS_REGION":            "us-east-1",
		"AWS_ACCESS_KEY_ID":     "AKIASANDBOX",
		"AWS_SECRET_ACCESS_KEY": "sandbox-secret",
	}
}
