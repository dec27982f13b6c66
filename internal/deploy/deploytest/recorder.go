// Package deploytest holds what the driver's and the platforms' tests share:
// an Observer that records what it hears.
package deploytest

import (
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/deploy"
)

// Recorder is a deploy.Observer that keeps what it hears as lines.
type Recorder struct {
	mu    sync.Mutex
	lines []string
}

func (r *Recorder) add(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lines = append(r.lines, fmt.Sprintf(format, args...))
}

func (r *Recorder) Created(id string)                   { r.add("created %s", id) }
func (r *Recorder) Phase(id, phase string, _ time.Time) { r.add("phase %s %s", id, phase) }
func (r *Recorder) Event(id string, t deploy.Target, e deploy.Event) {
	r.add("event %s %s %s %s", t.Label, t.ID, e.Name, e.Status)
}
func (r *Recorder) Weights(id string, t deploy.Target) { r.add("weights %s", t.ID) }
func (r *Recorder) Rollback(id, rb string)             { r.add("rollback %s %s", id, rb) }
func (r *Recorder) Note(id, msg string)                { r.add("note %s %s", id, msg) }

// Has reports whether a recorded line starts with prefix.
func (r *Recorder) Has(prefix string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, l := range r.lines {
		if strings.HasPrefix(l, prefix) {
			return true
		}
	}
	return false
}

func (r *Recorder) String() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return strings.Join(r.lines, "\n")
}
