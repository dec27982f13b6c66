package e2e

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"gopkg.in/yaml.v3"
)

// Act runs workflows with nektos/act the way a developer does, but offline:
// nothing is pulled, the job container is RunnerImage on the host network (so
// the action's container, which joins it, reaches a sandbox on loopback), and
// the repository is bound as the workspace.
type Act struct {
	Bin string            // the act binary
	Dir string            // the repository: the workspace and `uses: ./`
	Env map[string]string // environment for every step (--env)
}

// Run is what act reported about one workflow run.
type Run struct {
	// Outputs are the outputs each step set, by step id.
	Outputs map[string]map[string]string
	// Steps are the main stages' results (success, failure), by step id.
	Steps map[string]string
	// Summaries are the job summaries the steps wrote, by step id.
	Summaries map[string]string
	// Job is the job's result (success, failure).
	Job string
}

// Run runs the workflow file's workflow_dispatch event and reports the steps'
// outputs and results. act's log goes to log as text. A failed job is not an
// error; failing to run act or to read its log is.
func (a Act) Run(ctx context.Context, workflow string, log io.Writer) (Run, error) {
	dir, err := os.MkdirTemp("", "act-workflow-")
	if err != nil {
		return Run{}, err
	}
	defer os.RemoveAll(dir)
	copied, err := renameWorkflow(workflow, dir)
	if err != nil {
		return Run{}, err
	}
	args := []string{"workflow_dispatch",
		"--workflows", copied,
		"--directory", a.Dir,
		"--platform", "ubuntu-latest=" + RunnerImage,
		"--pull=false",
		"--bind",
		"--rm", // also after a failed job, which act otherwise keeps
		"--network", "host",
		"--no-cache-server",
		"--json",
	}
	for _, k := range slices.Sorted(maps.Keys(a.Env)) {
		args = append(args, "--env", k+"="+a.Env[k])
	}
	log = &lockedWriter{w: log} // act's stderr and its parsed stdout
	cmd := exec.CommandContext(ctx, a.Bin, args...)
	cmd.Dir = a.Dir
	cmd.Stderr = log
	out, err := cmd.StdoutPipe()
	if err != nil {
		return Run{}, err
	}
	if err := cmd.Start(); err != nil {
		return Run{}, fmt.Errorf("starting act: %w", err)
	}
	run, readErr := ReadLog(out, log)
	io.Copy(io.Discard, out)
	err = cmd.Wait()
	var exit *exec.ExitError
	switch {
	case readErr != nil:
		return run, fmt.Errorf("reading act's log for %s: %w", workflow, readErr)
	case err != nil && !errors.As(err, &exit):
		return run, fmt.Errorf("running act on %s: %w", workflow, err)
	case run.Job == "":
		return run, fmt.Errorf("act on %s reported no job result (%v)", workflow, err)
	case (err == nil) != (run.Job == "success"):
		return run, fmt.Errorf("act on %s: job %s but exit %v", workflow, run.Job, err)
	}
	return run, nil
}

// renameWorkflow copies a workflow file into dir with a name unique to this
// run: act names its containers after the workflow and job, and removes a
// container of the same name first, so two runs of one workflow on the same
// engine (two test runs at once) would otherwise stop each other.
func renameWorkflow(path, dir string) (string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	var wf yaml.Node
	if err := yaml.Unmarshal(data, &wf); err != nil || len(wf.Content) != 1 || wf.Content[0].Kind != yaml.MappingNode {
		return "", fmt.Errorf("workflow %s is not a YAML mapping (%v)", path, err)
	}
	name := strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	root := wf.Content[0]
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Value == "name" {
			name = root.Content[i+1].Value
			root.Content = slices.Delete(root.Content, i, i+2)
			break
		}
	}
	unique := fmt.Sprintf("%s-%s", name, rand.Text()[:8])
	root.Content = append([]*yaml.Node{
		{Kind: yaml.ScalarNode, Value: "name"},
		{Kind: yaml.ScalarNode, Value: unique},
	}, root.Content...)
	out, err := yaml.Marshal(&wf)
	if err != nil {
		return "", err
	}
	copied := filepath.Join(dir, filepath.Base(path))
	return copied, os.WriteFile(copied, out, 0o644)
}

// lockedWriter serializes writes from several goroutines.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// logLine is the part of one act --json log line ReadLog uses.
type logLine struct {
	Msg        string   `json:"msg"`
	Raw        bool     `json:"raw_output"`
	Stage      string   `json:"stage"`
	StepID     []string `json:"stepID"`
	StepResult string   `json:"stepResult"`
	JobResult  string   `json:"jobResult"`
	Command    string   `json:"command"`
	Name       string   `json:"name"`
	Arg        string   `json:"arg"`
	Content    string   `json:"content"`
}

// ReadLog reads act's --json log: the outputs, results and summaries of the
// steps (the main stage of each) and the job's result. It writes each message to text.
func ReadLog(r io.Reader, text io.Writer) (Run, error) {
	run := Run{Outputs: map[string]map[string]string{}, Steps: map[string]string{}, Summaries: map[string]string{}}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 16*1024*1024)
	for sc.Scan() {
		var l logLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			return run, fmt.Errorf("act log line %q: %w", sc.Text(), err)
		}
		msg := l.Msg
		if l.Raw {
			msg = "| " + strings.TrimSuffix(msg, "\n")
		}
		fmt.Fprintln(text, msg)
		if l.JobResult != "" {
			run.Job = l.JobResult
		}
		if len(l.StepID) != 1 || l.Stage != "Main" {
			continue
		}
		step := l.StepID[0]
		if l.StepResult != "" {
			run.Steps[step] = l.StepResult
		}
		switch l.Command {
		case "summary":
			run.Summaries[step] += l.Content
		case "set-output":
			if run.Outputs[step] == nil {
				run.Outputs[step] = map[string]string{}
			}
			run.Outputs[step][l.Name] = l.Arg
		}
	}
	return run, sc.Err()
}
