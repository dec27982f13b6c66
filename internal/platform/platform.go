// Package platform is what the pipeline hands a deployment platform: the
// run's inputs, its AWS clients, its report and its clock. Each platform is
// a package under it with a New(Env) and its config.Platform.
package platform

import (
	"context"
	"time"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awscfg"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/config"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/report"
)

// Env is what a platform is made from.
type Env struct {
	Config  *config.Config
	Clients *awscfg.Clients
	Report  *report.Reporter
	Result  *report.Result // the platform fills Result.Deploy and, when it decides it, Result.Outcome
	Clock   Clock          // nil: the real time
}

// Clock is a platform's time: poll intervals, backoff and timeouts run on
// it. The sandbox's simulated clock is one, so tests need not wait in real
// time.
type Clock interface {
	Now() time.Time
	// Sleep waits d, or reports false when ctx ends first.
	Sleep(ctx context.Context, d time.Duration) bool
}
