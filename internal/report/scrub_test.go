package report

import (
	"errors"
	"fmt"
	"testing"
)

func TestScrub(t *testing.T) {
	t.Parallel()
	values := []string{"1", "true", "d", "hunter2-long-value", "p@ss"}
	tests := []struct{ in, want string }{
		{"deployment d-U2CL9YW7X Succeeded", "deployment d-U2CL9YW7X Succeeded"},
		{"us-east-1 took 1.5s, 11 targets", "us-east-1 took ***.5s, 11 targets"},
		{"DEBUG=true\nflag true; truest", "DEBUG=***\nflag ***; truest"},
		{"token=xhunter2-long-valuex", "token=x***x"},
		{"d", "***"},
		{"user:p@ss@host", "user:***@host"},
		{"", ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			if got := scrub(tt.in, values); got != tt.want {
				t.Errorf("scrub(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

// apiError is an AWS API error as smithy's APIError shows it.
type apiError struct{ msg string }

func (e apiError) Error() string        { return "api error Bad: " + e.msg }
func (e apiError) ErrorMessage() string { return e.msg }

func TestResultScrub(t *testing.T) {
	t.Parallel()
	clean := func(s string) string { return scrub(s, []string{"true", "1", "app"}) }
	cause := &FileError{File: "appspec.yml", Line: 3, Err: fmt.Errorf("container app, app id 1: %w", apiError{"value true is not app"})}
	res := &Result{
		Err: cause,
		Deploy: &Deployment{
			ID:           "d-TRUE1",
			ErrorMessage: "script failed: true",
			Failure:      &Diagnostics{Event: "ApplicationStart", Message: "exit 1", LogTail: "echo true\ntrue"},
		},
	}
	res.Scrub(clean)
	// The action's own words (container app, id 1) stay; AWS's text is scrubbed.
	if got, want := res.Err.Error(), "appspec.yml:3: container app, app id 1: api error Bad: value *** is not ***"; got != want {
		t.Errorf("Err = %q, want %q", got, want)
	}
	var fe *FileError
	if !errors.As(res.Err, &fe) || fe != cause {
		t.Errorf("errors.As(Err, *FileError) lost the cause")
	}
	d := res.Deploy
	if d.ID != "d-TRUE1" || d.ErrorMessage != "script failed: ***" || d.Failure.Message != "exit ***" || d.Failure.LogTail != "echo ***\n***" {
		t.Errorf("scrubbed deployment = %+v, failure %+v", d, d.Failure)
	}
}
