// Package inplace makes the revision of an EC2 in-place deployment group
// without traffic control (one instance): a generated bundle whose hook
// scripts do blue/green on that host. A Caddy proxy owns container-port; each
// deployment starts the new colour beside the live one on a private Docker
// network, waits for its health path, switches the proxy by renaming the file
// Caddy reads its upstream from on every request (no config reload, which
// would drop requests), drains the old colour and stops it, kept for an
// instant switch back. The bundle is uploaded like the Server bundle
// (deploy.UploadBundle).
package inplace

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"strings"
	"time"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/deploy"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/deploy/hostscripts"
)

// DefaultProxyImage is the proxy the hosts pull unless told otherwise: the
// official Caddy image from its ECR Public mirror (no Docker Hub pull limit),
// pinned by digest.
const DefaultProxyImage = "public.ecr.aws/docker/library/caddy:2.11.4-alpine@sha256:5f5c8640aae01df9654968d946d8f1a56c497f1dd5c5cda4cf95ab7c14d58648"

// defaultHealthCheckTimeout bounds the wait for the new colour's health path.
const defaultHealthCheckTimeout = 5 * time.Minute

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
func Revision(ctx context.Context, api deploy.S3API, in Input) (deploy.Revision, error) {
	data, err := Bundle(in)
	if err != nil {
		return deploy.Revision{}, err
	}
	return deploy.UploadBundle(ctx, api, in.Bucket, in.Prefix, data)
}

// Bundle returns the zipped bundle: appspec.yml, the hook scripts (with the
// shared host scripts) and deploy.env, in a stable order with fixed times.
func Bundle(in Input) ([]byte, error) {
	env, err := envFile(in)
	if err != nil {
		return nil, err
	}
	root, _ := fs.Sub(bundle, "bundle")
	files, err := deploy.EmbeddedFiles(root)
	if err != nil {
		return nil, fmt.Errorf("reading the in-place bundle: %w", err)
	}
	files, err = hostscripts.Add(files)
	if err != nil {
		return nil, err
	}
	return deploy.ZipBundle(append(files, deploy.BundleFile{Name: "deploy.env", Mode: 0o644, Data: env}))
}

// envFile renders deploy.env: shell assignments for the hook scripts.
func envFile(in Input) ([]byte, error) {
	if in.ContainerPort == 0 {
		return nil, fmt.Errorf("input %q: is required for single-host blue/green (the port the app listens on, and the proxy on the host)", "container-port")
	}
	var b strings.Builder
	b.WriteString("# Written by bluegreen-deploy for the hook scripts. Secrets are references\n")
	b.WriteString("# (ARNs): the instance reads their values with its own role.\n")
	line := func(k, v string) { fmt.Fprintf(&b, "%s=%s\n", k, shellQuote(v)) }
	timeout := in.HealthCheckTimeout
	if timeout <= 0 {
		timeout = defaultHealthCheckTimeout
	}
	line("IMAGE_URI", in.ImageURI)
	line("AWS_REGION", in.Region)
	line("CONTAINER_NAME", or(in.ContainerName, "app"))
	line("CONTAINER_PORT", fmt.Sprint(in.ContainerPort))
	line("HEALTH_CHECK_PATH", or(in.HealthCheckPath, "/"))
	line("HEALTH_CHECK_SECONDS", fmt.Sprint(int(timeout.Seconds())))
	line("PROXY_IMAGE", or(in.ProxyImage, DefaultProxyImage))
	var names []string
	for _, s := range in.Secrets {
		if err := s.Check(); err != nil {
			return nil, err
		}
		names = append(names, s.Name)
	}
	line("SECRET_NAMES", strings.Join(names, " "))
	for _, s := range in.Secrets {
		line("SECRET_ARN_"+s.Name, s.ValueFrom)
	}
	return []byte(b.String()), nil
}

func or(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// shellQuote quotes s for a POSIX shell.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
