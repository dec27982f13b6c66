// Package inplace makes the revision of an EC2 in-place deployment group
// without traffic control (one instance): a generated bundle whose hook
// scripts do blue/green on that host. A Caddy proxy owns container-port; each
// deployment starts the new colour beside the live one on a private Docker
// network, waits for its health path, switches the proxy by renaming the file
// Caddy reads its upstream from on every request (no config reload, which
// would drop requests), drains the old colour and stops it, kept for an
// instant switch back. The bundle is uploaded like the Server bundle
// (s3bundle.Upload).
package inplace

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"time"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/deploy"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/deploy/hostscripts"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/deploy/s3bundle"
)

// DefaultProxyImage is the proxy the hosts pull unless told otherwise: the
// official Caddy image from its ECR Public mirror (no Docker Hub pull limit),
// pinned by digest.
const DefaultProxyImage = "public.ecr.aws/docker/library/caddy:2.11.4-alpine@sha256:5f5c8640aae01df9654968d946d8f1a56c497f1dd5c5cda4cf95ab7c14d58648"

//go:embed bundle
var bundle embed.FS

// Input is what a single-host blue/green revision is made from.
type Input struct {
	Bucket             string
	Prefix             string // key prefix, without slashes at either end
	Region             string // for the instance's ECR login and secret reads
	ImageURI           string // by digest
	ContainerName      string // default "app": names the colours, proxy and network
	ContainerPort      int    // the app's port, and the proxy's on the host
	HealthCheckPath    string // default "/"
	HealthCheckTimeout time.Duration
	ProxyImage         string // a Caddy image; default DefaultProxyImage
	Secrets            []deploy.SecretRef
}

// Revision zips the generated bundle with deploy.env and uploads it to S3.
func Revision(ctx context.Context, api s3bundle.S3API, in Input) (deploy.Revision, error) {
	data, err := Bundle(in)
	if err != nil {
		return deploy.Revision{}, err
	}
	return s3bundle.Upload(ctx, api, in.Bucket, in.Prefix, data)
}

// Bundle returns the zipped bundle: appspec.yml, the hook scripts (with the
// shared host scripts) and deploy.env, in a stable order with fixed times.
func Bundle(in Input) ([]byte, error) {
	env, err := envFile(in)
	if err != nil {
		return nil, err
	}
	root, _ := fs.Sub(bundle, "bundle")
	files, err := s3bundle.EmbeddedFiles(root)
	if err != nil {
		return nil, fmt.Errorf("reading the in-place bundle: %w", err)
	}
	files, err = hostscripts.Add(files)
	if err != nil {
		return nil, err
	}
	return s3bundle.Zip(append(files, s3bundle.File{Name: hostscripts.EnvFileName, Mode: 0o644, Data: env}))
}

// envFile renders deploy.env, which needs container-port: the proxy's port.
func envFile(in Input) ([]byte, error) {
	if in.ContainerPort == 0 {
		return nil, fmt.Errorf("input %q: is required for single-host blue/green (the port the app listens on, and the proxy on the host)", "container-port")
	}
	proxy := in.ProxyImage
	if proxy == "" {
		proxy = DefaultProxyImage
	}
	return hostscripts.EnvFile(hostscripts.Env{
		ImageURI: in.ImageURI, Region: in.Region, ContainerName: in.ContainerName, ContainerPort: in.ContainerPort,
		HealthCheckPath: in.HealthCheckPath, HealthCheckTimeout: in.HealthCheckTimeout, ProxyImage: proxy, Secrets: in.Secrets,
	})
}
