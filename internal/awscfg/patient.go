package awscfg

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// ReadRetryLimit bounds how long a read made before the action changes
// anything (the deployment group's discovery) retries transient errors.
const ReadRetryLimit = 2 * time.Minute

// Patient returns a retryer for one read made before the action changes
// anything: it retries what r retries (throttling, 5xx answers, network
// errors), with r's backoff and retry quota, until limit has passed since
// Patient was called, instead of r's few attempts, so that a short outage
// at the start does not fail a deploy. What r does not retry (AccessDenied,
// not found, validation) fails at once. Set it per call, where the call's
// time starts:
//
//	func(o *codedeploy.Options) { o.Retryer = awscfg.Patient(o.Retryer, awscfg.ReadRetryLimit) }
func Patient(r aws.Retryer, limit time.Duration) aws.Retryer {
	return &patient{Retryer: r, deadline: time.Now().Add(limit)}
}

// patient is Patient's retryer.
type patient struct {
	aws.Retryer
	deadline time.Time
}

// MaxAttempts is 0, no limit: the deadline bounds the attempts.
func (p *patient) MaxAttempts() int { return 0 }

func (p *patient) IsErrorRetryable(err error) bool {
	return time.Now().Before(p.deadline) && p.Retryer.IsErrorRetryable(err)
}

// RetryDelay is r's, cut at the deadline.
func (p *patient) RetryDelay(attempt int, err error) (time.Duration, error) {
	d, derr := p.Retryer.RetryDelay(attempt, err)
	return min(d, time.Until(p.deadline)), derr
}

// GetAttemptToken is r's (a RetryerV2, as the SDK's retryers are), or its
// initial token.
func (p *patient) GetAttemptToken(ctx context.Context) (func(error) error, error) {
	if v2, ok := p.Retryer.(aws.RetryerV2); ok {
		return v2.GetAttemptToken(ctx)
	}
	return p.Retryer.GetInitialToken(), nil
}
