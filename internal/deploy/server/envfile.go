package server

import (
	"fmt"
	"strings"
	"time"
)

// envFile renders deploy.env: shell assignments of the image, the
// container and the secrets' references, for the hook scripts to source.
func envFile(in Input) ([]byte, error) {
	name := in.ContainerName
	if name == "" {
		name = "app"
	}
	healthPath := in.HealthCheckPath
	if healthPath == "" {
		healthPath = "/"
	}
	var b strings.Builder
	b.WriteString("# Written by bluegreen-deploy for the hook scripts. Secrets are references\n")
	b.WriteString("# (ARNs): the instance reads their values with its own role.\n")
	line := func(k, v string) { fmt.Fprintf(&b, "%s=%s\n", k, shellQuote(v)) }
	line("IMAGE_URI", in.ImageURI)
	line("AWS_REGION", in.Region)
	line("CONTAINER_NAME", name)
	if in.ContainerPort > 0 {
		line("CONTAINER_PORT", fmt.Sprint(in.ContainerPort))
	} else {
		line("CONTAINER_PORT", "")
	}
	line("HEALTH_CHECK_PATH", healthPath)
	timeout := in.HealthTimeout
	if timeout <= 0 {
		timeout = DefaultHealthCheckTimeout
	}
	line("HEALTH_CHECK_SECONDS", fmt.Sprint(int(timeout.Round(time.Second).Seconds())))
	var secretNames []string
	for _, s := range in.Secrets {
		if err := s.Check(); err != nil {
			return nil, err
		}
		secretNames = append(secretNames, s.Name)
	}
	line("SECRET_NAMES", strings.Join(secretNames, " "))
	for _, s := range in.Secrets {
		line("SECRET_ARN_"+s.Name, s.ValueFrom)
	}
	return []byte(b.String()), nil
}

// DefaultHealthCheckTimeout is how long ValidateService waits for the
// health check path when the input does not say.
const DefaultHealthCheckTimeout = 5 * time.Minute

// shellQuote quotes s for a POSIX shell.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
