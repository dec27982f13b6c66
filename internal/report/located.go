package report

import (
	"errors"
	"strings"
)

// Located is an error a file is to blame for (appspec.yml, an ECS task
// definition or appspec template, the Dockerfile): the run's error
// annotation points at its file and line (0: the whole file).
type Located interface {
	error
	Location() (file string, line int)
}

// Relative names a located error's file as rel gives it (relative to the
// workspace), in its location and its message; other errors are returned
// as they are.
func Relative(err error, rel func(string) string) error {
	var loc Located
	if !errors.As(err, &loc) {
		return err
	}
	file, line := loc.Location()
	if r := rel(file); r != file {
		return &relativeError{err: err, abs: file, file: r, line: line}
	}
	return err
}

// relativeError is a located error as the workspace shows it.
type relativeError struct {
	err       error
	abs, file string
	line      int
}

func (e *relativeError) Error() string           { return strings.ReplaceAll(e.err.Error(), e.abs, e.file) }
func (e *relativeError) Unwrap() error           { return e.err }
func (e *relativeError) Location() (string, int) { return e.file, e.line }
