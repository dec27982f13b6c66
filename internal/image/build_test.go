package image

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// runnerCommands reads log as the runner does and returns the workflow
// commands it would run, and whether stop-commands was resumed at the end.
func runnerCommands(log string) (commands []string, resumed bool) {
	resume := ""
	for line := range strings.Lines(log) {
		line = strings.TrimSpace(line)
		if !strings.HasPrefix(line, "::") {
			continue
		}
		name, _, _ := strings.Cut(line[2:], "::")
		name, arg, _ := strings.Cut(name, " ")
		switch {
		case resume != "" && name != resume:
			continue
		case resume != "":
			resume = ""
		case name == "stop-commands":
			_, resume, _ = strings.Cut(line[2:], "::")
		}
		commands = append(commands, strings.TrimSpace(name+" "+arg))
	}
	return commands, resume == ""
}

func TestReadBuildStreamWithoutCommands(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, stream, wantID, wantErr, wantLog string
	}{
		{
			name: "built",
			stream: `{"stream":"Step 1/2 : FROM scratch\n"}
{"stream":"::error::from a RUN step\n"}
{"stream":"  ::add-mask::x\n"}
{"stream":"no newline"}
{"aux":{"ID":"sha256:abc"}}
`,
			wantID:  "sha256:abc",
			wantLog: "Step 1/2 : FROM scratch\n::error::from a RUN step\n  ::add-mask::x\nno newline\n",
		},
		{
			name:    "failed",
			stream:  `{"stream":"::set-output name=x::y"}` + "\n" + `{"errorDetail":{"message":"boom"},"error":"boom"}`,
			wantErr: "boom",
			wantLog: "::set-output name=x::y\n",
		},
	}
	tokens := map[string]bool{}
	for _, tt := range tests {
		var log strings.Builder
		var id string
		err := withoutCommands(&log, func(w io.Writer) (err error) {
			id, err = readBuildStream(strings.NewReader(tt.stream), w)
			return err
		})
		if (err == nil) != (tt.wantErr == "") || err != nil && !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("%s: error = %v, want %q", tt.name, err, tt.wantErr)
		}
		if id != tt.wantID {
			t.Errorf("%s: ID = %q, want %q", tt.name, id, tt.wantID)
		}
		first, rest, _ := strings.Cut(log.String(), "\n")
		token, ok := strings.CutPrefix(first, "::stop-commands::")
		if !ok || len(token) < 16 || tokens[token] {
			t.Fatalf("%s: log starts with %q, want ::stop-commands:: and a fresh random token", tt.name, first)
		}
		tokens[token] = true
		if want := tt.wantLog + "::" + token + "::\n"; rest != want {
			t.Errorf("%s: log after the stop line = %q, want %q", tt.name, rest, want)
		}
	}
}

// TestBuildOutputIsNotCommands builds with each builder a Dockerfile whose
// RUN step prints workflow commands, and reads the log as the runner would.
func TestBuildOutputIsNotCommands(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	dockerfile := filepath.Join(dir, "Dockerfile")
	run := `RUN echo '::error::from the build'; echo '::add-mask::build'; printf '::warning::no newline'`
	if err := os.WriteFile(dockerfile, []byte("FROM "+shellImage+"\n"+run+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, buildKit := range []bool{true, false} {
		name := map[bool]string{true: "BuildKit", false: "classic"}[buildKit]
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			e := connect(t)
			shellBase(t, e)
			if !buildKit {
				e.bk, e.NoBuildKit = nil, errors.New("disabled by the test")
			}
			ref := "bluegreen-test/commands:" + randomHex(t)
			removeImages(t, e, ref)
			var log bytes.Buffer
			if _, err := e.Build(context.Background(), BuildSpec{Context: dir, Dockerfile: dockerfile, NoCache: true, Names: []string{ref}}, &log); err != nil {
				t.Fatalf("Build: %v\n%s", err, log.String())
			}
			if !strings.Contains(log.String(), "::error::from the build") {
				t.Fatalf("the log lacks the RUN step's output:\n%s", log.String())
			}
			commands, resumed := runnerCommands(log.String())
			if len(commands) != 2 || !strings.HasPrefix(commands[0], "stop-commands") || !resumed {
				t.Errorf("the runner would run %q (resumed: %v), want stop-commands and its resume only; log:\n%s", commands, resumed, log.String())
			}
		})
	}
}
