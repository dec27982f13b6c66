package awscfg

import (
	"context"
	"errors"
	"regexp"

	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// Throttled reports whether AWS refused a call for its rate.
func Throttled(err error) bool {
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		return false
	}
	switch ae.ErrorCode() {
	case "ThrottlingException", "Throttling", "ThrottledException", "RequestLimitExceeded", "TooManyRequestsException", "RequestThrottled":
		return true
	}
	return false
}

// Transient reports whether a call may succeed when repeated: a server
// fault (a 5xx answer, whatever its error code) or a network error; never
// a cancelled or expired context.
func Transient(err error) bool {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	var re *smithyhttp.ResponseError
	if errors.As(err, &re) && re.HTTPStatusCode() >= 500 {
		return true
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorFault() == smithy.FaultServer
	}
	return true
}

// deniedPattern finds the IAM action in AWS's AccessDenied message ("User: …
// is not authorized to perform: <action> on resource: …").
var deniedPattern = regexp.MustCompile(`is not authorized to perform: ([a-z0-9-]+:[A-Za-z0-9]+)`)

// DeniedAction is the IAM action an AccessDenied error says the caller may
// not perform, or "" for any other error.
func DeniedAction(err error) string {
	if err == nil {
		return ""
	}
	if m := deniedPattern.FindStringSubmatch(err.Error()); m != nil {
		return m[1]
	}
	return ""
}
