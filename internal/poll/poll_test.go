package poll

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/aws/smithy-go"
)

// fakeClock jumps to the end of each sleep, and logs it.
type fakeClock struct {
	now time.Time
	log *[]string
}

func (c *fakeClock) Now() time.Time { return c.now }

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) bool {
	*c.log = append(*c.log, fmt.Sprintf("sleep %s", d))
	c.now = c.now.Add(d)
	return ctx.Err() == nil
}

var (
	throttled = &smithy.GenericAPIError{Code: "ThrottlingException"}
	fault     = &smithy.GenericAPIError{Code: "InternalFailure", Fault: smithy.FaultServer}
	refused   = &smithy.GenericAPIError{Code: "AccessDeniedException", Fault: smithy.FaultClient}
)

func TestFollow(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		reads   []error // each poll's error; past the last, the deployment ends
		acts    []error // each act's error; Act tries while there are some
		limit   time.Duration
		want    End
		wantErr error
		wantLog []string
	}{
		{name: "ends", reads: []error{nil}, want: Terminal, wantLog: []string{"next false", "sleep 1s"}},
		{
			name: "throttled", reads: []error{throttled, throttled, throttled, nil}, want: Terminal,
			wantLog: []string{
				"Svc is throttling: polling every 4s", "sleep 4s",
				"Svc is throttling: polling every 8s", "sleep 8s",
				"Svc is throttling: polling every 16s", "sleep 16s",
				"next false", "sleep 1s",
			},
		},
		{
			name: "transient", reads: []error{fault, fault, nil, fault}, want: Terminal,
			wantLog: []string{
				"retrying until the timeout: " + fault.Error(), "sleep 4s", "sleep 4s",
				"next false", "sleep 1s",
				"retrying until the timeout: " + fault.Error(), "sleep 4s",
			},
		},
		{name: "refused", reads: []error{nil, refused}, want: Terminal, wantErr: refused, wantLog: []string{"next false", "sleep 1s"}},
		{name: "timeout", reads: []error{nil, nil, nil}, limit: 1500 * time.Millisecond, want: Timeout, wantLog: []string{"next false", "sleep 1s", "next false", "sleep 500ms"}},
		{name: "acted", reads: []error{nil, nil}, acts: []error{nil, fault}, want: Terminal, wantLog: []string{"next true", "sleep 1s", "next true", "sleep 1s"}},
		{name: "act refused", reads: []error{nil}, acts: []error{refused}, want: Terminal, wantErr: refused},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var log []string
			reads, acts, ended := tt.reads, tt.acts, false
			end, err := Loop{
				Clock: &fakeClock{now: time.Unix(0, 0), log: &log}, Min: time.Second, Max: 4 * time.Second, Service: "Svc",
				Note: func(msg string) { log = append(log, msg) },
				Read: func(context.Context) (bool, error) {
					if len(reads) == 0 {
						ended = true
						return true, nil
					}
					err := reads[0]
					reads = reads[1:]
					return false, err
				},
				Ended: func() (End, bool) { return Terminal, ended },
				Act: func(context.Context) (bool, error) {
					if len(acts) == 0 {
						return false, nil
					}
					err := acts[0]
					acts = acts[1:]
					return true, err
				},
				Next: func(_ time.Time, changed bool) time.Duration {
					log = append(log, fmt.Sprintf("next %v", changed))
					return time.Second
				},
			}.Follow(context.Background(), tt.limit)
			if end != tt.want || err != tt.wantErr {
				t.Errorf("Follow = %v, %v; want %v, %v", end, err, tt.want, tt.wantErr)
			}
			if !slices.Equal(log, tt.wantLog) {
				t.Errorf("log:\n%q\nwant:\n%q", log, tt.wantLog)
			}
		})
	}
}

func TestFollowCancelled(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	var log []string
	end, err := Loop{
		Clock: &fakeClock{now: time.Unix(0, 0), log: &log}, Min: time.Second, Max: 4 * time.Second,
		Read: func(context.Context) (bool, error) {
			cancel()
			return false, fault // the error of a call cut short
		},
	}.Follow(ctx, 0)
	if end != Cancelled || err != nil || len(log) > 0 {
		t.Errorf("Follow = %v, %v after %q; want Cancelled, nil at once", end, err, log)
	}
}

func TestRetry(t *testing.T) {
	t.Parallel()
	var log []string
	errs := []error{throttled, fault, refused, nil}
	err := Retry(context.Background(), &fakeClock{log: &log}, time.Second, func(context.Context) error {
		err := errs[0]
		errs = errs[1:]
		return err
	})
	if err != refused || !slices.Equal(log, []string{"sleep 1s", "sleep 1s"}) {
		t.Errorf("Retry = %v after %q; want %v after two sleeps", err, log, refused)
	}
}
