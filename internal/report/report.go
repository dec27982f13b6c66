// Package report talks to the runner: step outputs, masks, log groups,
// annotations, the job summary and exported env. Outside Actions, where the
// runner's files are not set, outputs are printed to stdout instead.
package report

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"
	"sync"

	"github.com/sethvargo/go-githubactions"
)

// Reporter writes workflow commands and the runner's files. A run with
// several targets gives each target its own Reporter (For), sharing the
// run's; all of them may be used at once.
type Reporter struct {
	run    *runState // shared by a run's Reporter and its targets'
	gha    *githubactions.Action
	out    io.Writer
	getenv func(string) string

	term     *terminal // set by ForTerminal, outside the runner
	htmlPath string    // where Finish writes the HTML summary at a terminal

	prefix string                   // a target's: "eu-west-1/api: ", before its log lines and annotations
	output func(name, value string) // a target's: takes its Output calls instead of the step outputs
	target bool                     // made by For
}

// runState is what a run's Reporters share.
type runState struct {
	mu      sync.Mutex
	outputs map[string]string
	masked  []string
	runner  bool // under the Actions runner, which reads ::add-mask::
}

// New returns a Reporter writing commands to out and files named by getenv.
func New(getenv func(string) string, out io.Writer) *Reporter {
	w := &lockedWriter{w: out}
	return &Reporter{
		run:    &runState{outputs: map[string]string{}},
		gha:    githubactions.New(githubactions.WithGetenv(getenv), githubactions.WithWriter(w)),
		out:    w,
		getenv: getenv,
	}
}

// For returns the Reporter of one target of a run with several, to be used
// alongside r's and other targets': its log lines, annotations, log
// groups' titles and lifecycle events start with the target's name ("name:
// "), after any workflow command, which must start its line; it shares r's
// masks (Mask hides a value for the whole run, Scrub uses every mask), its
// writer and terminal (call For after ForTerminal), and its job summary;
// Output and OutputResult hand each output to output rather than set a
// step output (nil drops them). Log groups do not nest: targets that run
// at once should not open groups.
func (r *Reporter) For(name string, output func(name, value string)) *Reporter {
	t := *r
	t.prefix = r.prefix + name + ": "
	t.output, t.target = output, true
	return &t
}

// lockedWriter serializes writes, so that targets logging at once write
// whole lines: go-githubactions writes each command and log line in one
// Write.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// UnderRunner says whether the Actions runner reads the commands written
// (GITHUB_ACTIONS=true): only then does Mask print ::add-mask:: lines.
func (r *Reporter) UnderRunner(on bool) {
	r.run.mu.Lock()
	r.run.runner = on
	r.run.mu.Unlock()
}

// Output sets a step output as soon as it is known, exactly as given: outputs
// are ids, URIs, names and text the action scrubbed already (Result.Scrub),
// and a later step must be able to use them. Setting it again to the same
// value writes nothing. Outside Actions it prints "name=value" instead.
func (r *Reporter) Output(name, value string) {
	if !slices.Contains(Outputs, name) {
		panic("report: undeclared output " + name)
	}
	value = clip(value, maxOutput, "\n", "lines")
	if r.target {
		if r.output != nil {
			r.output(name, value)
		}
		return
	}
	r.run.mu.Lock()
	defer r.run.mu.Unlock()
	if old, ok := r.run.outputs[name]; ok && old == value {
		return
	}
	r.run.outputs[name] = value
	if r.getenv("GITHUB_OUTPUT") == "" {
		fmt.Fprintf(r.out, "output %s=%s\n", name, value)
		return
	}
	if err := appendFileCommand(r.getenv("GITHUB_OUTPUT"), name, value); err != nil {
		r.gha.Warningf("setting output %s: %v", name, err)
	}
}

// Outputs returns the step outputs set so far (a target's Reporter sets
// none).
func (r *Reporter) Outputs() map[string]string {
	r.run.mu.Lock()
	defer r.run.mu.Unlock()
	return maps.Clone(r.run.outputs)
}

// Mask tells the runner to hide value in every later log line (the runner
// masks the job summary too), and keeps it for Scrub. Outside the runner
// nothing would read the ::add-mask:: line and it would print the value, so
// it prints nothing: see Masked.
func (r *Reporter) Mask(value string) {
	if value == "" {
		return
	}
	r.run.mu.Lock()
	runner := r.run.runner
	r.run.masked = append(r.run.masked, value)
	r.run.mu.Unlock()
	if runner {
		r.gha.AddMask(value)
	}
}

// Scrub replaces the masked values in free text the action did not write
// (an AWS error message, a hook's log tail) with ***: long values wherever
// they occur, short ones ("1", "true") only as whole tokens.
func (r *Reporter) Scrub(s string) string {
	return scrub(s, r.masks())
}

// masks returns the run's masked values.
func (r *Reporter) masks() []string {
	r.run.mu.Lock()
	defer r.run.mu.Unlock()
	return slices.Clone(r.run.masked)
}

// ExportEnv writes a variable to GITHUB_ENV for later steps and reports
// whether it could: outside Actions there is no later step.
func (r *Reporter) ExportEnv(name, value string) bool {
	path := r.getenv("GITHUB_ENV")
	if path == "" {
		return false
	}
	if err := appendFileCommand(path, name, value); err != nil {
		r.gha.Warningf("exporting %s: %v", name, err)
		return false
	}
	return true
}

// appendFileCommand appends name<<DELIMITER value DELIMITER to a runner file
// (GITHUB_OUTPUT, GITHUB_ENV) with a random delimiter, as @actions/core does:
// go-githubactions uses a fixed one, which a value containing it could use
// to set other variables.
func appendFileCommand(path, name, value string) error {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return err
	}
	delim := "ghadelimiter_" + hex.EncodeToString(b[:])
	if strings.Contains(name, delim) || strings.Contains(value, delim) {
		return fmt.Errorf("the value contains the delimiter %s", delim)
	}
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(f, "%s<<%s\n%s\n%s\n", name, delim, value, delim)
	return errors.Join(err, f.Close())
}

// Summary appends markdown to the job summary, when the runner provides one.
// The markdown is rendered from a scrubbed Result (Result.Scrub): it holds
// no secret value by construction, and rewriting it here would mangle the
// ids and numbers in it.
func (r *Reporter) Summary(markdown string) {
	if r.getenv("GITHUB_STEP_SUMMARY") == "" {
		return
	}
	r.gha.AddStepSummary(clip(markdown, maxSummary, "\n", "lines"))
}

// Group starts a collapsible log group; EndGroup ends it.
func (r *Reporter) Group(title string) { r.gha.Group(r.prefix + title) }

// EndGroup ends the current log group.
func (r *Reporter) EndGroup() { r.gha.EndGroup() }

// Infof prints a log line.
func (r *Reporter) Infof(format string, args ...any) { r.gha.Infof("%s", r.sprintf(format, args)) }

// Noticef prints a notice annotation.
func (r *Reporter) Noticef(format string, args ...any) { r.gha.Noticef("%s", r.sprintf(format, args)) }

// Warningf prints a warning annotation.
func (r *Reporter) Warningf(format string, args ...any) {
	r.gha.Warningf("%s", r.sprintf(format, args))
}

// Errorf prints an error annotation.
func (r *Reporter) Errorf(format string, args ...any) { r.gha.Errorf("%s", r.sprintf(format, args)) }

// FileErrorf prints an error annotation pointing at a file and line (line 0: the file).
func (r *Reporter) FileErrorf(file string, line int, format string, args ...any) {
	fields := map[string]string{"file": file}
	if line > 0 {
		fields["line"] = fmt.Sprint(line)
	}
	r.gha.WithFieldsMap(fields).Errorf("%s", r.sprintf(format, args))
}

// sprintf formats a message, after the target's name for a target's Reporter.
func (r *Reporter) sprintf(format string, args []any) string {
	return r.prefix + fmt.Sprintf(format, args...)
}

// InvalidInput reports inputs that failed validation: one error annotation
// per problem, a job summary listing them, and the error outputs.
func (r *Reporter) InvalidInput(err error) {
	errs := []error{err}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	}
	summary := "### bluegreen-deploy: invalid inputs, nothing was sent to AWS\n\n"
	for _, e := range errs {
		r.Errorf("%v", e)
		summary += "- " + e.Error() + "\n"
	}
	r.Summary(summary)
	r.Output("error-code", "INVALID_INPUT")
	r.Output("error-message", err.Error())
}
