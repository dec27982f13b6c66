package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
)

// TestDemoBinary runs the README's main job as the plain binary (the act
// path is TestWorkflows' server workflow) and checks that it deployed. The
// runner files of an enclosing workflow must not capture the demo's outputs.
func TestDemoBinary(t *testing.T) {
	if _, err := exec.LookPath("docker"); err != nil && os.Getenv("CI") != "true" {
		t.Skip("the demo builds testdata/app through the Docker engine")
	}
	t.Setenv("GITHUB_OUTPUT", t.TempDir()+"/enclosing-output")
	var stdout bytes.Buffer
	var stderr lockedBuffer
	if err := run(context.Background(), []string{"-mode", "binary"}, &stdout, &stderr); err != nil {
		t.Fatalf("demo: %v\nstdout:\n%s\nstderr:\n%s", err, stdout.String(), stderr.String())
	}
	for _, want := range []string{"deployment-status=Succeeded", "image-pushed=true", "secrets=", "Job summary:"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("the demo's output lacks %q:\n%s", want, stdout.String())
		}
	}
}

// lockedBuffer is a bytes.Buffer that the demo and its child's output
// copier may write at once.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
