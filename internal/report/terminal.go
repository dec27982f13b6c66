package report

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/sethvargo/go-githubactions"
)

// logTail is how many lines of a log group a terminal shows when the
// group's step did not fail.
const logTail = 3

// ForTerminal switches r to render the run for a person at a terminal, for
// runs outside the runner: every workflow command r would write becomes
// what it means (a log group becomes one line with its duration and the
// tail of its log; an annotation, a "warning:" line; a mask, nothing), and
// Finish prints a text summary instead of the Markdown one, and writes the
// HTML summary to htmlPath unless it is "". When the writer given to New is
// a terminal, the lifecycle events are a live line. It returns the writer
// for the run's logs, such as the image build's.
func (r *Reporter) ForTerminal(htmlPath string) io.Writer {
	w := r.out
	if l, ok := w.(*lockedWriter); ok { // the terminal serializes writes itself
		w = l.w
	}
	t := &terminal{w: w, live: isTTY(w)}
	r.term, r.htmlPath, r.out = t, htmlPath, t
	r.gha = githubactions.New(githubactions.WithGetenv(r.getenv), githubactions.WithWriter(t))
	return t
}

// isTTY reports whether w is a terminal (a character device).
func isTTY(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// LifecycleEvent reports that a target's lifecycle event changed status:
// who is the target ("Green i-0abc"), detail explains a failure ("" if
// none).
func (r *Reporter) LifecycleEvent(deployment, who, event, status, detail string) {
	if r.term != nil {
		r.term.event(r.prefix+who, event, status, detail)
		return
	}
	line := fmt.Sprintf("%s: %s %s %s", deployment, who, event, status)
	if detail != "" {
		line += " " + detail
	}
	r.Infof("%s", line)
}

// Finish reports the run's end: the job summary, and at a terminal a text
// summary and the HTML summary's file.
func (r *Reporter) Finish(res *Result) {
	r.Summary(Markdown(res))
	if r.term == nil {
		return
	}
	r.term.printf("\n%s", r.Scrub(Text(res)))
	if r.htmlPath == "" {
		return
	}
	if err := os.WriteFile(r.htmlPath, []byte(r.redactHTML(HTML(res))), 0o644); err != nil {
		r.term.printf("warning: writing the HTML summary: %v\n", err)
		return
	}
	r.term.printf("Summary with its timeline: %s\n", r.htmlPath)
}

// terminal is an io.Writer that reads the workflow commands and logs the
// Reporter writes, and prints them for a person.
type terminal struct {
	mu      sync.Mutex
	w       io.Writer
	live    bool // w is a terminal: a live line shows the current lifecycle event
	partial []byte

	token      string // the stop-commands token while workflow commands are off
	group      string // the open log group's title
	groupStart time.Time
	log        []string // the open group's log
	held       []string // the closed group's log, shown whole if an error follows, else its tail
	run        *eventRun
	liveShown  bool
}

// eventRun is a run of a target's lifecycle events that succeeded in a
// row, printed as one line.
type eventRun struct {
	who, first, last string
	n                int
}

func (t *terminal) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.partial = append(t.partial, p...)
	for {
		i := bytes.IndexByte(t.partial, '\n')
		if i < 0 {
			break
		}
		t.line(strings.TrimSuffix(string(t.partial[:i]), "\r"))
		t.partial = t.partial[i+1:]
	}
	return len(p), nil
}

// printf prints text that is not a log line.
func (t *terminal) printf(format string, args ...any) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.settle(tailLog)
	fmt.Fprintf(t.w, format, args...)
}

// line handles one line written to the terminal.
func (t *terminal) line(s string) {
	if t.token != "" {
		if s == "::"+t.token+"::" {
			t.token = ""
		} else {
			t.log = append(t.log, s)
		}
		return
	}
	cmd, props, msg, ok := parseCommand(s)
	if !ok {
		if t.group != "" {
			t.log = append(t.log, s)
			return
		}
		how := tailLog
		if strings.HasPrefix(s, "output ") {
			how = keepLog
		}
		t.settle(how)
		fmt.Fprintln(t.w, s)
		return
	}
	switch cmd {
	case "group":
		t.settle(tailLog)
		t.group, t.groupStart, t.log = msg, time.Now(), nil
	case "endgroup":
		fmt.Fprintf(t.w, "%s (%s)\n", t.group, formatDuration(time.Since(t.groupStart)))
		t.group, t.held = "", t.log
	case "stop-commands":
		t.token = msg
	case "error", "warning", "notice":
		how := tailLog
		if cmd == "error" {
			how = wholeLog
		}
		t.settle(how)
		where := props["file"]
		if where != "" && props["line"] != "" {
			where += ":" + props["line"]
		}
		if where != "" {
			where += ": "
		}
		fmt.Fprintf(t.w, "%s: %s%s\n", strings.Replace(cmd, "notice", "note", 1), where, msg)
	}
	// add-mask and the rest mean nothing at a terminal.
}

// What settle does with the last log group's log.
const (
	keepLog  = iota // keep it for a later line to decide
	tailLog         // show its last lines
	wholeLog        // show it whole: an error follows
)

// settle prints what waits for the next line: the live line goes, a run of
// events is printed, and the last group's log is shown as how says.
func (t *terminal) settle(how int) {
	if t.liveShown {
		fmt.Fprint(t.w, "\r\033[K")
		t.liveShown = false
	}
	if t.run != nil {
		fmt.Fprintln(t.w, t.run.String())
		t.run = nil
	}
	if len(t.held) == 0 || how == keepLog {
		return
	}
	lines := t.held
	if how == tailLog {
		lines = lines[max(len(lines)-logTail, 0):]
		if n := len(t.held) - len(lines); n > 0 {
			fmt.Fprintf(t.w, "  │ … %d lines\n", n)
		}
	}
	for _, l := range lines {
		fmt.Fprintln(t.w, "  │ "+l)
	}
	t.held = nil
}

// event shows a target's lifecycle event: events that succeed in a row on
// one target share a line; others get their own, but for one in progress,
// which at a live terminal stays until the next line.
func (t *terminal) event(who, event, status, detail string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if status == "Succeeded" && t.run != nil && t.run.who == who {
		t.run.last, t.run.n = event, t.run.n+1
	} else {
		t.settle(tailLog)
		switch status {
		case "Succeeded":
			t.run = &eventRun{who: who, first: event, last: event, n: 1}
		case "Pending", "InProgress":
			if !t.live {
				fmt.Fprintf(t.w, "  %s: %s %s\n", who, event, status)
				return
			}
			fmt.Fprintf(t.w, "  %s: %s %s", who, event, status)
			t.liveShown = true
			return
		default:
			line := fmt.Sprintf("  %s: %s %s", who, event, status)
			if detail != "" {
				line += " " + detail
			}
			fmt.Fprintln(t.w, line)
			return
		}
	}
	if t.live {
		fmt.Fprintf(t.w, "\r\033[K%s", t.run.String())
		t.liveShown = true
	}
}

func (e *eventRun) String() string {
	if e.n == 1 {
		return fmt.Sprintf("  %s: %s Succeeded", e.who, e.first)
	}
	return fmt.Sprintf("  %s: %s … %s Succeeded (%d events)", e.who, e.first, e.last, e.n)
}

// parseCommand reads a workflow command line, ::name props::message, with
// go-githubactions' escapes undone.
func parseCommand(s string) (name string, props map[string]string, msg string, ok bool) {
	if !strings.HasPrefix(s, "::") {
		return "", nil, "", false
	}
	head, msg, ok := strings.Cut(s[2:], "::")
	if !ok {
		return "", nil, "", false
	}
	name, rest, _ := strings.Cut(head, " ")
	props = map[string]string{}
	for _, kv := range strings.Split(rest, ",") {
		if k, v, ok := strings.Cut(kv, "="); ok {
			props[k] = unescapeProperty(v)
		}
	}
	return name, props, unescapeData(msg), true
}

var (
	dataUnescaper     = strings.NewReplacer("%0D", "\r", "%0A", "\n", "%25", "%")
	propertyUnescaper = strings.NewReplacer("%0D", "\r", "%0A", "\n", "%3A", ":", "%2C", ",", "%25", "%")
)

func unescapeData(s string) string     { return dataUnescaper.Replace(s) }
func unescapeProperty(s string) string { return propertyUnescaper.Replace(s) }
