// Package agent is the sandbox's exec agent: the CodeDeploy agent of the
// sandbox's one instance, this host. It unpacks S3 bundles under its
// deployment root, installs the AppSpec's files and runs hook scripts for
// real; CodeDeploy's engine drives it through awssim.HostAgent.
package agent

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim"
)

// execAgent is the CodeDeploy agent of the sandbox's one instance, this host.
// It keeps the agent's layout under root: <group-id>/<deployment-id>/
// deployment-archive and logs/scripts.log, and deployment-instructions/
// <group-id>_last_successful_install (and _most_recent_install, _cleanup).
type execAgent struct {
	root   string
	creds  agentCreds
	mu     sync.Mutex
	region string // the instance's region: its last deployment's
	// existed lists what the root held before the agent came (nil: the
	// agent created the root); Close removes everything else.
	existed map[string]bool
}

// agentCreds are the instance profile's temporary credentials.
type agentCreds struct{ keyID, secret, token string }

// New returns the exec agent with its deployment root (empty: a new
// temporary folder).
func New(root string) (awssim.HostAgent, error) {
	created := root == ""
	if created {
		dir, err := os.MkdirTemp("", "awssim-agent-")
		if err != nil {
			return nil, fmt.Errorf("creating the agent's deployment root: %w", err)
		}
		root = dir
	}
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("agent root %q: %w", root, err)
	}
	var existed map[string]bool
	if entries, err := os.ReadDir(abs); err == nil && !created {
		existed = map[string]bool{}
		for _, e := range entries {
			existed[e.Name()] = true
		}
	}
	if err := os.MkdirAll(filepath.Join(abs, "deployment-instructions"), 0o755); err != nil {
		return nil, fmt.Errorf("creating the agent's deployment root: %w", err)
	}
	return &execAgent{root: abs, existed: existed, creds: agentCreds{
		keyID:  "ASIA" + strings.ToUpper(awssim.RandomAlnum(16)),
		secret: awssim.RandomAlnum(40),
		token:  awssim.RandomAlnum(200),
	}}, nil
}

// Root returns the deployment root.
func (a *execAgent) Root() string { return a.root }

// LastInstall returns the deployment root of the group's last successful
// install, or "".
func (a *execAgent) LastInstall(groupID string) string { return a.lastInstall(groupID) }

// Download unpacks a bundle into root/deployment-archive.
func (a *execAgent) Download(groupID, root string, bundle []byte, bundleType string) error {
	return a.download(groupID, root, bundle, bundleType)
}

// Install copies the AppSpec's files and sets their modes.
func (a *execAgent) Install(groupID, root, fileExists string) error {
	return a.install(groupID, root, fileExists)
}

// RunHooks runs an event's scripts from the run's revision.
func (a *execAgent) RunHooks(ctx context.Context, run awssim.HookRun) *awssim.HookFailure {
	return runHooks(ctx, run, eventLimit)
}

// Close removes what the agent made: the deployment root, or, when the
// root was there before, what the agent added to it.
func (a *execAgent) Close() error {
	if a.existed == nil {
		return os.RemoveAll(a.root)
	}
	entries, err := os.ReadDir(a.root)
	if errors.Is(err, fs.ErrNotExist) {
		return nil // the root's owner removed it already
	}
	if err != nil {
		return fmt.Errorf("removing the agent's deployments: %w", err)
	}
	var errs []error
	for _, e := range entries {
		if !a.existed[e.Name()] {
			errs = append(errs, os.RemoveAll(filepath.Join(a.root, e.Name())))
		}
	}
	return errors.Join(errs...)
}
