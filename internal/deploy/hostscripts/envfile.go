package hostscripts

import (
	"fmt"
	"strings"
	"time"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/deploy"
)

// EnvFileName is the file at the bundle's root that common.sh sources.
const EnvFileName = "deploy.env"

// DefaultHealthCheckTimeout is how long the hooks wait for the health check
// path when the input does not say.
const DefaultHealthCheckTimeout = 5 * time.Minute

// Env is what deploy.env tells the hook scripts.
type Env struct {
	ImageURI           string
	Region             string // for the instance's ECR login and secret reads
	ContainerName      string // default "app"
	ContainerPort      int    // 0: not given
	HealthCheckPath    string // default "/"
	HealthCheckTimeout time.Duration
	ProxyImage         string // in-place: the Caddy image; "" leaves PROXY_IMAGE out
	Secrets            []deploy.SecretRef
}

// EnvFile renders deploy.env: shell assignments of the image, the container
// and the secrets' references (ARNs: the instance reads their values with
// its own role), for the hook scripts to source.
func EnvFile(e Env) ([]byte, error) {
	var b strings.Builder
	b.WriteString("# Written by bluegreen-deploy for the hook scripts. Secrets are references\n")
	b.WriteString("# (ARNs): the instance reads their values with its own role.\n")
	line := func(k, v string) { fmt.Fprintf(&b, "%s=%s\n", k, shellQuote(v)) }
	timeout := e.HealthCheckTimeout
	if timeout <= 0 {
		timeout = DefaultHealthCheckTimeout
	}
	port := ""
	if e.ContainerPort > 0 {
		port = fmt.Sprint(e.ContainerPort)
	}
	line("IMAGE_URI", e.ImageURI)
	line("AWS_REGION", e.Region)
	line("CONTAINER_NAME", or(e.ContainerName, "app"))
	line("CONTAINER_PORT", port)
	line("HEALTH_CHECK_PATH", or(e.HealthCheckPath, "/"))
	line("HEALTH_CHECK_SECONDS", fmt.Sprint(int(timeout.Round(time.Second).Seconds())))
	if e.ProxyImage != "" {
		line("PROXY_IMAGE", e.ProxyImage)
	}
	var names []string
	for _, s := range e.Secrets {
		if err := s.Check(); err != nil {
			return nil, err
		}
		names = append(names, s.Name)
	}
	line("SECRET_NAMES", strings.Join(names, " "))
	for _, s := range e.Secrets {
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
