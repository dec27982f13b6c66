package outcome

import (
	"errors"
	"testing"
)

func TestStop(t *testing.T) {
	t.Parallel()
	for want, stop := range map[string]Stop{
		"stop refused: denied; it is in an unknown state and still needs a stop": {Err: errors.New("denied"), Requested: true},
		"no stop was requested; it is InProgress":                                {Status: "InProgress"},
		"stopped": {Requested: true, Status: "Stopped", Ended: "stopped"},
		"stop requested and pending (it is InProgress)": {Requested: true, Status: "InProgress"},
	} {
		if got := stop.String(); got != want {
			t.Errorf("%+v: got %q, want %q", stop, got, want)
		}
	}
}

func TestError(t *testing.T) {
	t.Parallel()
	a, b := errors.New("a"), errors.New("b")
	err := Error("deployment d-1 ended Failed", []error{a, b})
	if err.Error() != "deployment d-1 ended Failed" || !errors.Is(err, a) || !errors.Is(err, b) {
		t.Errorf("got %q, want its own message wrapping a and b", err)
	}
}
