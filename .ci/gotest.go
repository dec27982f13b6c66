// Command gotest runs go test with its arguments, prints what go test
// prints without -v (package results, and the output of failing tests), then
// the slowest tests and the tests that skipped, each with its reason, and
// exits with go test's status. The Makefile's test target runs it:
//
//	go run .ci/gotest.go -race -shuffle=on ./...
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sort"
	"strings"
)

// event is one line of go test -json (cmd/test2json).
type event struct {
	Action  string
	Package string
	Test    string
	Output  string
	Elapsed float64 // seconds, on a test's pass or fail
}

// slowest is how many of the longest-running tests are listed.
const slowest = 20

// timing is how long one top-level test took.
type timing struct {
	test    string
	seconds float64
}

func main() {
	cmd := exec.Command("go", append([]string{"test", "-json"}, os.Args[1:]...)...)
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		fmt.Fprintln(os.Stderr, "gotest:", err)
		os.Exit(1)
	}
	if err := cmd.Start(); err != nil {
		fmt.Fprintln(os.Stderr, "gotest:", err)
		os.Exit(1)
	}
	skips, times := summarize(stdout, os.Stdout)
	err = cmd.Wait()
	if len(times) > 0 {
		sort.Slice(times, func(i, j int) bool { return times[i].seconds > times[j].seconds })
		times = times[:min(slowest, len(times))]
		fmt.Printf("\nthe %d slowest tests:\n", len(times))
		for _, t := range times {
			fmt.Printf("  %7.1fs  %s\n", t.seconds, t.test)
		}
	}
	if len(skips) > 0 {
		fmt.Printf("\n%d tests skipped:\n", len(skips))
		for _, s := range skips {
			fmt.Println("  " + s)
		}
	}
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		os.Exit(exit.ExitCode())
	case err != nil:
		fmt.Fprintln(os.Stderr, "gotest:", err)
		os.Exit(1)
	}
}

// summarize prints the events from r as go test would without -v and
// returns the skipped tests, "package Test: reason", and how long each
// top-level test that ended took (at least its longest subtest).
func summarize(r io.Reader, w io.Writer) ([]string, []timing) {
	var skips []string
	var times []timing
	logs := map[string][]string{}   // a running test's output, by package and name
	longest := map[string]float64{} // a running top-level test's longest subtest so far
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<26)
	for sc.Scan() {
		var e event
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil || e.Action == "" {
			fmt.Fprintln(w, sc.Text()) // not test2json: pass it on
			continue
		}
		key := e.Package + " " + e.Test
		if (e.Action == "pass" || e.Action == "fail") && e.Test != "" {
			// A test whose subtests run in parallel reports only its own
			// body's time: it took at least as long as its longest subtest.
			top, _, sub := strings.Cut(e.Test, "/")
			topKey := e.Package + " " + top
			if sub {
				longest[topKey] = max(longest[topKey], e.Elapsed)
			} else {
				times = append(times, timing{e.Package[strings.LastIndex(e.Package, "/")+1:] + " " + e.Test, max(e.Elapsed, longest[topKey])})
				delete(longest, topKey)
			}
		}
		switch {
		case e.Test == "" && e.Action == "output" || e.Action == "build-output":
			if !strings.HasPrefix(e.Output, "PASS\n") && !strings.HasPrefix(e.Output, "FAIL\n") {
				fmt.Fprint(w, e.Output)
			}
		case e.Action == "output":
			logs[key] = append(logs[key], e.Output)
		case e.Action == "fail" && e.Test != "":
			fmt.Fprint(w, strings.Join(logs[key], ""))
			delete(logs, key)
		case e.Action == "skip" && e.Test != "":
			skips = append(skips, fmt.Sprintf("%s %s: %s", e.Package, e.Test, reason(logs[key])))
			delete(logs, key)
		case e.Action == "pass":
			delete(logs, key)
		case e.Action == "fail": // the package: the output of tests it ended (a timeout's panic)
			for k, l := range logs {
				if strings.HasPrefix(k, e.Package+" ") {
					fmt.Fprint(w, strings.Join(l, ""))
					delete(logs, k)
				}
			}
		}
	}
	return skips, times
}

// reason is what a skipped test logged, on one line.
func reason(lines []string) string {
	var parts []string
	for _, l := range lines {
		l = strings.TrimSpace(l)
		if l == "" || strings.HasPrefix(l, "=== ") || strings.HasPrefix(l, "--- SKIP") {
			continue
		}
		parts = append(parts, l)
	}
	if len(parts) == 0 {
		return "(no reason given)"
	}
	return strings.Join(parts, " ")
}
