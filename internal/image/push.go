package image

import (
	"context"
	"fmt"
	"io"
	"regexp"
	"time"
)

// pushBackoff is the wait before each new push attempt: up to four
// attempts, about 7 s in all, like crane's 1 s backoff growing per step.
var pushBackoff = []time.Duration{1 * time.Second, 2 * time.Second, 4 * time.Second}

// transientPush matches the engine's errors for registry answers a new
// attempt may not get: a 5xx or 429 status and dropped connections. Refusals
// (401 unauthorized, 403 denied, 404 name unknown, manifest or tag invalid)
// do not match: they would only be refused again.
var transientPush = regexp.MustCompile(`unexpected HTTP status: (5\d\d|429)|toomanyrequests|connection reset|broken pipe|unexpected EOF|i/o timeout|TLS handshake timeout`)

// Push pushes ref (repository:tag) from the engine's image store to its
// registry with auth, writing progress to w, and returns the pushed
// manifest's digest.
//
// The engine retries each layer upload itself (max-upload-attempts, 5 by
// default, 5 s apart and growing), but not the manifest, so one 5xx answer
// to the manifest's PUT fails its push. Push tries again after a transient
// error (layers already in the registry are not sent again), unless the
// engine gave up on a layer after its own retries.
func (e *Engine) Push(ctx context.Context, ref string, auth Auth, w io.Writer) (string, error) {
	for attempt := 1; ; attempt++ {
		digest, engineGaveUp, err := e.pushOnce(ctx, ref, auth, w)
		switch {
		case err == nil:
			return digest, nil
		case engineGaveUp:
			return "", fmt.Errorf("pushing %s: %w (the engine retried the layer upload and gave up)", ref, err)
		case !transientPush.MatchString(err.Error()) || attempt > len(pushBackoff):
			if attempt > 1 {
				return "", fmt.Errorf("pushing %s: %w (attempt %d of %d)", ref, err, attempt, len(pushBackoff)+1)
			}
			return "", fmt.Errorf("pushing %s: %w", ref, err)
		}
		wait := pushBackoff[attempt-1]
		fmt.Fprintf(w, "Push failed (%v); trying again in %s\n", err, wait)
		select {
		case <-ctx.Done():
			return "", fmt.Errorf("pushing %s: %w (then %w)", ref, err, context.Cause(ctx))
		case <-time.After(wait):
		}
	}
}
