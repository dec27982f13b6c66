package agent

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim"
)

// hookTimeout is the AppSpec's default and longest script timeout.
const hookTimeout = 3600 * time.Second

// logTailMax is how much script output the agent reports: the newest whole
// log entries that fit in 2048 characters.
const logTailMax = 2048

// scriptLog keeps the tail of a hook's output, as the agent's ScriptLog
// does, and appends every entry to logs/scripts.log.
type scriptLog struct {
	mu      sync.Mutex
	entries []string
	file    *os.File
}

func (l *scriptLog) add(entry string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.file != nil {
		fmt.Fprintf(l.file, "%s %s", time.Now().UTC().Format(time.DateTime), entry)
	}
	l.entries = append(l.entries, entry)
	n, i := 0, len(l.entries)
	for i > 0 && n+len(l.entries[i-1]) < logTailMax {
		n += len(l.entries[i-1])
		i--
	}
	l.entries = l.entries[i:]
}

func (l *scriptLog) tail() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.entries, "")
}

// runHooks runs an event's scripts from the revision unpacked under root,
// one after another, each with env and its timeout, and returns the
// diagnostics of the first that fails. No root, or no hooks for the event:
// nothing to do.
func runHooks(ctx context.Context, root, event string, env []string) *awssim.HookFailure {
	if root == "" {
		return nil
	}
	archive := filepath.Join(root, "deployment-archive")
	spec, err := readAppSpec(archive)
	if err != nil {
		if _, statErr := os.Stat(archive); statErr != nil {
			return nil // the revision is not on this instance
		}
		return unknownError(err)
	}
	hooks := spec.Hooks[event]
	if len(hooks) == 0 {
		return nil
	}
	if err := os.MkdirAll(filepath.Join(root, "logs"), 0o755); err != nil {
		return unknownError(err)
	}
	f, err := os.OpenFile(filepath.Join(root, "logs", "scripts.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return unknownError(err)
	}
	defer f.Close()
	log := &scriptLog{file: f}
	log.add("LifecycleEvent - " + event + "\n")
	for _, h := range hooks {
		if diag := runScript(ctx, archive, h, env, log); diag != nil {
			return diag
		}
	}
	return nil
}

// runScript runs one hook script in its own process group, streaming its
// output into log; on timeout or cancel the group gets SIGTERM.
func runScript(ctx context.Context, archive string, h hookScript, env []string, log *scriptLog) *awssim.HookFailure {
	diag := func(code, msg string) *awssim.HookFailure {
		return &awssim.HookFailure{ErrorCode: code, ScriptName: h.Location, Message: msg, LogTail: log.tail()}
	}
	path := filepath.Join(archive, h.Location)
	info, err := os.Stat(path)
	if err != nil {
		return diag("ScriptMissing", "Script does not exist at specified location: "+h.Location)
	}
	if info.Mode()&0o111 == 0 {
		if err := os.Chmod(path, info.Mode()|0o755); err != nil {
			return diag("ScriptNotExecutable", "Unable to set script at specified location: "+h.Location+" as executable")
		}
	}
	timeout := hookTimeout
	if h.Timeout > 0 && time.Duration(h.Timeout)*time.Second < timeout {
		timeout = time.Duration(h.Timeout) * time.Second
	}
	log.add("Script - " + h.Location + "\n")

	cmd := exec.Command(path)
	cmd.Dir = "/"
	cmd.Env = env
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	stdout, _ := cmd.StdoutPipe()
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		return diag("ScriptFailed", fmt.Sprintf("Script at specified location: %s failed to start: %v", h.Location, err))
	}
	var wg sync.WaitGroup
	for prefix, r := range map[string]io.Reader{"[stdout]": stdout, "[stderr]": stderr} {
		wg.Go(func() {
			br := bufio.NewReader(r)
			for {
				line, err := br.ReadString('\n')
				if line != "" {
					log.add(prefix + line)
				}
				if err != nil {
					return
				}
			}
		})
	}
	done := make(chan error, 1)
	go func() {
		wg.Wait() // the pipes close when the script and its children are done
		done <- cmd.Wait()
	}()
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case err = <-done:
	case <-timer.C:
		syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		return diag("ScriptTimedOut", fmt.Sprintf("Script at specified location: %s failed to complete in %d seconds", h.Location, int(timeout.Seconds())))
	case <-ctx.Done():
		syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		return diag("UnknownError", "The deployment ended while script "+h.Location+" ran")
	}
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		msg := fmt.Sprintf("Script at specified location: %s failed with exit code %d", h.Location, exit.ExitCode())
		if h.Runas != "" {
			msg = fmt.Sprintf("Script at specified location: %s run as user %s failed with exit code %d", h.Location, h.Runas, exit.ExitCode())
		}
		return diag("ScriptFailed", msg)
	case err != nil:
		return diag("UnknownError", err.Error())
	}
	return nil
}

// unknownError turns an agent error into an UnknownError failure.
func unknownError(err error) *awssim.HookFailure {
	if err == nil {
		return nil
	}
	return &awssim.HookFailure{ErrorCode: "UnknownError", Message: err.Error()}
}
