package agent

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim"
)

// hookTimeout is the AppSpec's default script timeout.
const hookTimeout = 3600 * time.Second

// eventLimit is the longest a lifecycle event's scripts may run together:
// "3600 seconds (1 hour) is the maximum amount of time allowed for script
// execution for each deployment lifecycle event. If scripts exceed this
// limit, the deployment stops and the deployment to the instance fails"
// (AppSpec 'hooks' section, CodeDeploy User Guide).
const eventLimit = 3600 * time.Second

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

// runHooks runs an event's scripts from run.Revision's archive, one after
// another, each with run.Env and its timeout, all within limit, and returns
// the diagnostics of the first that fails. Their output goes to the
// deployment's own logs/scripts.log, whichever revision the scripts come
// from (HookExecutor's create_script_log_file_if_needed uses the current
// deployment root). No revision, or no hooks for the event: nothing to do.
func runHooks(ctx context.Context, run awssim.HookRun, limit time.Duration) *awssim.HookFailure {
	if run.Revision == "" {
		return nil
	}
	archive := filepath.Join(run.Revision, "deployment-archive")
	spec, err := readAppSpec(archive)
	if err != nil {
		if _, statErr := os.Stat(archive); statErr != nil {
			return nil // the revision is not on this instance
		}
		return unknownError(err)
	}
	hooks := spec.Hooks[run.Event]
	if len(hooks) == 0 {
		return nil
	}
	if err := os.MkdirAll(filepath.Join(run.Root, "logs"), 0o755); err != nil {
		return unknownError(err)
	}
	f, err := os.OpenFile(filepath.Join(run.Root, "logs", "scripts.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return unknownError(err)
	}
	defer f.Close()
	log := &scriptLog{file: f}
	log.add("LifecycleEvent - " + run.Event + "\n")
	end := time.Now().Add(limit)
	for _, h := range hooks {
		if diag := runScript(ctx, archive, h, run.Env, log, end); diag != nil {
			return diag
		}
	}
	return nil
}

// runScript runs one hook script in its own process group, streaming its
// output into log, as HookExecutor's execute_script does: on its timeout
// the group gets SIGTERM (ScriptTimedOut); once it exits, its stdout and
// stderr must close within what is left of the timeout, else the event
// fails (the agent's OUTPUTS_LEFT_OPEN, which CodeDeploy's
// LifecycleErrorCode has no name for: UnknownError) and the processes that
// hold them go on, as the agent leaves them. The event's end (see
// eventLimit) cuts the timeout short.
func runScript(ctx context.Context, archive string, h hookScript, env []string, log *scriptLog, eventEnd time.Time) *awssim.HookFailure {
	diag := func(code, msg string) *awssim.HookFailure {
		return &awssim.HookFailure{ErrorCode: code, ScriptName: h.Location, Message: msg, LogTail: log.tail()}
	}
	path := filepath.Join(archive, h.Location)
	info, err := os.Stat(path)
	if err != nil {
		return diag("ScriptMissing", "Script does not exist at specified location: "+path)
	}
	if info.Mode()&0o111 == 0 {
		if err := os.Chmod(path, info.Mode()|0o755); err != nil {
			return diag("ScriptNotExecutable", "Unable to set script at specified location: "+h.Location+" as executable")
		}
	}
	timeout := hookTimeout
	if h.Timeout > 0 {
		timeout = time.Duration(h.Timeout) * time.Second
	}
	timedOut := fmt.Sprintf("Script at specified location: %s failed to complete in %d seconds", h.Location, int(timeout.Seconds()))
	if left := time.Until(eventEnd); left < timeout {
		timeout = max(left, 0)
		timedOut = fmt.Sprintf("Script at specified location: %s did not complete within the lifecycle event's %d seconds", h.Location, int(eventLimit.Seconds()))
	}
	log.add("Script - " + h.Location + "\n")

	cmd := exec.Command(path)
	cmd.Dir = "/"
	cmd.Env = env
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	var closed []chan struct{} // stdout's, then stderr's: closed by every process
	var writers []*os.File     // the pipes' ends the script gets
	defer func() {
		for _, w := range writers {
			w.Close()
		}
	}()
	for _, prefix := range []string{"[stdout]", "[stderr]"} {
		r, w, err := os.Pipe()
		if err != nil {
			return unknownError(err)
		}
		writers = append(writers, w)
		if prefix == "[stdout]" {
			cmd.Stdout = w
		} else {
			cmd.Stderr = w
		}
		done := make(chan struct{})
		closed = append(closed, done)
		go func() {
			defer close(done)
			defer r.Close()
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
		}()
	}
	err = cmd.Start()
	for _, w := range writers {
		w.Close() // the script's copies are the only ones now
	}
	writers = nil
	if err != nil {
		return diag("ScriptFailed", fmt.Sprintf("Script at specified location: %s failed to start: %v", h.Location, err))
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case err = <-exited:
	case <-timer.C:
		syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		return diag("ScriptTimedOut", timedOut)
	case <-ctx.Done():
		syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		return diag("UnknownError", "The deployment ended while script "+h.Location+" ran")
	}
	for i, name := range []string{"STDOUT", "STDERR"} {
		select {
		case <-closed[i]:
		case <-timer.C:
			return diag("UnknownError", fmt.Sprintf("Script at specified location: %s failed to close %s", h.Location, name))
		case <-ctx.Done():
			syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
			return diag("UnknownError", "The deployment ended while script "+h.Location+" ran")
		}
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
