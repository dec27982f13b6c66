package awscfg

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	"github.com/aws/smithy-go"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/config"
)

// codeDeployAnswering is the run's CodeDeploy client (Load's retryer)
// against a server that answers each GetDeploymentGroup with answer(n),
// n counting from 1: an HTTP status and an AWS error code ("" for a group).
func codeDeployAnswering(t *testing.T, answer func(n int64) (int, string)) (*codedeploy.Client, *atomic.Int64) {
	t.Helper()
	var calls atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		status, code := answer(calls.Add(1))
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.WriteHeader(status)
		if code != "" {
			w.Write([]byte(`{"__type":"` + code + `","message":"` + code + `"}`))
			return
		}
		w.Write([]byte(`{"deploymentGroupInfo":{"deploymentGroupName":"bg"}}`))
	}))
	t.Cleanup(srv.Close)
	env := map[string]string{"AWS_ACCESS_KEY_ID": "AKIDTEST", "AWS_SECRET_ACCESS_KEY": "secret", "AWS_ENDPOINT_URL": srv.URL}
	clients, err := Load(context.Background(), config.AWS{Region: "us-east-1"}, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	return clients.CodeDeploy, &calls
}

func readGroup(api *codedeploy.Client, limit time.Duration) error {
	_, err := api.GetDeploymentGroup(context.Background(), &codedeploy.GetDeploymentGroupInput{
		ApplicationName: aws.String("web"), DeploymentGroupName: aws.String("bg"),
	}, func(o *codedeploy.Options) { o.Retryer = Patient(o.Retryer, limit) })
	return err
}

// TestPatientOutlastsFourServerFaults: four 503s in a row, more than the
// SDK's three attempts, then an answer.
func TestPatientOutlastsFourServerFaults(t *testing.T) {
	t.Parallel()
	api, calls := codeDeployAnswering(t, func(n int64) (int, string) {
		if n <= 4 {
			return http.StatusServiceUnavailable, "ServiceUnavailable"
		}
		return http.StatusOK, ""
	})
	if err := readGroup(api, ReadRetryLimit); err != nil || calls.Load() != 5 {
		t.Fatalf("GetDeploymentGroup: %v after %d calls; want an answer at the 5th", err, calls.Load())
	}
}

// TestPatientIsBounded: a service that answers 503 forever is given up on
// once the limit has passed, not before, and not long after.
func TestPatientIsBounded(t *testing.T) {
	t.Parallel()
	api, calls := codeDeployAnswering(t, func(int64) (int, string) { return http.StatusServiceUnavailable, "ServiceUnavailable" })
	const limit = 1500 * time.Millisecond
	start := time.Now()
	err := readGroup(api, limit)
	took := time.Since(start)
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "ServiceUnavailable" {
		t.Fatalf("GetDeploymentGroup: %v; want the last ServiceUnavailable", err)
	}
	if took < limit || took > limit+time.Second || calls.Load() <= 3 {
		t.Errorf("gave up after %s and %d calls; want after %s (+ one attempt) and more than the SDK's 3", took, calls.Load(), limit)
	}
	t.Logf("gave up after %s, %d calls", took.Round(time.Millisecond), calls.Load())
}

// TestPatientRefusalFailsAtOnce: AccessDenied, not found and validation
// errors are not retried.
func TestPatientRefusalFailsAtOnce(t *testing.T) {
	t.Parallel()
	for _, code := range []string{"AccessDeniedException", "DeploymentGroupDoesNotExistException", "ValidationException"} {
		api, calls := codeDeployAnswering(t, func(int64) (int, string) { return http.StatusBadRequest, code })
		start := time.Now()
		err := readGroup(api, ReadRetryLimit)
		var ae smithy.APIError
		if !errors.As(err, &ae) || ae.ErrorCode() != code || calls.Load() != 1 || time.Since(start) > time.Second {
			t.Errorf("%s: %v after %d calls and %s; want it at once", code, err, calls.Load(), time.Since(start))
		}
	}
}
