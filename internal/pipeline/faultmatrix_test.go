package pipeline

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim/awssimtest"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/exitcode"
)

// matrixFaults are the faults the matrix injects, three calls in a row
// (the SDK's attempts at one call), one operation at a time.
var matrixFaults = map[string]awssim.Fault{
	"throttling": {Error: "ThrottlingException", Count: 3},
	"5xx":        {Error: "ServiceUnavailable", Status: 503, Count: 3},
	"reset":      {Reset: true, Count: 3},
	"latency":    {Latency: 300 * time.Millisecond, Count: 3},
}

// matrixPlatform is a deployment the matrix runs: a sandbox, the inputs,
// and how to read the deployments in the sandbox once it settled.
type matrixPlatform struct {
	name    string
	sandbox func(t *testing.T) *awssimtest.Sandbox
	inputs  func(image string) map[string]string
	// deployments clears the faults, lets the sandbox settle and returns
	// the deployment the run made ("" if none) and those left running.
	deployments func(t *testing.T, sb *awssimtest.Sandbox) (mine string, left []string)
}

var matrixPlatforms = []matrixPlatform{
	{"Server", func(t *testing.T) *awssimtest.Sandbox { return deploySandbox(t) },
		func(image string) map[string]string { return deployInputs(image, "bg") }, codeDeployments("web", "bg")},
	{"ECS", func(t *testing.T) *awssimtest.Sandbox { return ecsSandbox(t) },
		func(image string) map[string]string { return ecsInputs(image, "linear") }, codeDeployments("api", "linear")},
	// api-pause: the run continues its PAUSE hook (ContinueServiceDeployment).
	{"ECS-native", func(t *testing.T) *awssimtest.Sandbox { return nativeSandbox(t, awssim.DefaultTimeScale) },
		func(image string) map[string]string { return nativeInputs(image, "api-pause") }, nativeDeployments("api-pause")},
}

// codeDeployments reads the CodeDeploy deployments of a group: the run's
// is the last one not made by CodeDeploy's rollback.
func codeDeployments(app, group string) func(t *testing.T, sb *awssimtest.Sandbox) (string, []string) {
	return func(t *testing.T, sb *awssimtest.Sandbox) (string, []string) {
		all := settledDeployments(t, sb, app, group)
		mine := ""
		for _, d := range all {
			if d.Creator != "codeDeployRollback" {
				mine = d.ID
			}
		}
		var left []string
		for _, d := range leftRunning(all) {
			left = append(left, fmt.Sprintf("%s %s", d.ID, d.Status))
		}
		return mine, left
	}
}

// nativeDeployments reads the service deployments of an ECS service of
// cluster prod: the run's is the newest one.
func nativeDeployments(service string) func(t *testing.T, sb *awssimtest.Sandbox) (string, []string) {
	return func(t *testing.T, sb *awssimtest.Sandbox) (string, []string) {
		sb.ClearFaults()
		sb.Clock.Sleep(context.Background(), 15*time.Second)
		mine, left, createdAt := "", []string(nil), time.Time{}
		for _, d := range serviceDeployments(t, sb, service) {
			arn := aws.ToString(d.ServiceDeploymentArn)
			if mine == "" || aws.ToTime(d.CreatedAt).After(createdAt) {
				mine, createdAt = arn, aws.ToTime(d.CreatedAt)
			}
			switch d.Status {
			case ecstypes.ServiceDeploymentStatusSuccessful, ecstypes.ServiceDeploymentStatusStopped,
				ecstypes.ServiceDeploymentStatusRollbackSuccessful, ecstypes.ServiceDeploymentStatusRollbackFailed:
			default:
				left = append(left, fmt.Sprintf("%s %s", arn, d.Status))
			}
		}
		return mine, left
	}
}

// TestFaultMatrix injects each fault on each AWS operation a Server, an
// ECS and an ECS-native deploy call, one at a time, and checks that every run succeeds or
// fails cleanly (exit 1 with an error-code, the id of any deployment it
// made in deployment-id) with no deployment left running.
func TestFaultMatrix(t *testing.T) {
	if testing.Short() {
		t.Skip("the fault matrix runs about 100 deployments")
	}
	t.Parallel()
	cases, survived, failedClean, running := 0, 0, 0, 0
	for _, p := range matrixPlatforms {
		t.Run(p.name, func(t *testing.T) {
			ops := matrixOperations(t, p)
			type job struct {
				op, fault string
				sb        *awssimtest.Sandbox
				image     string
				code      int
				out       map[string]string
				log       string
			}
			var jobs []*job
			for _, op := range ops {
				for _, name := range sortedKeys(matrixFaults) {
					jobs = append(jobs, &job{op: op, fault: name})
				}
			}
			// Eight runs at a time, each starting as soon as one ends (a
			// run whose fault holds it in the SDK's real-time backoff
			// holds up no others).
			slots := make(chan struct{}, 8)
			var wg sync.WaitGroup
			for _, j := range jobs {
				slots <- struct{}{}
				svc, operation, _ := cut(j.op)
				f := matrixFaults[j.fault]
				f.Service, f.Operation = svc, operation
				j.sb = p.sandbox(t)
				j.image = j.sb.PushImage(t, "web")
				if err := j.sb.Apply(awssim.Scenario{Faults: []awssim.Fault{f}}); err != nil {
					t.Fatal(err)
				}
				wg.Add(1)
				go func() {
					defer func() { <-slots; wg.Done() }()
					inputs := p.inputs(j.image)
					inputs["timeout"] = "24h" // the SDK's backoff runs in real time, 600 times slower than the sandbox's
					j.code, j.out, j.log = runActionCtx(context.Background(), t, j.sb, inputs, runEnv(500, 1))
				}()
			}
			wg.Wait()
			for _, j := range jobs {
				cases++
				mine, left := p.deployments(t, j.sb)
				running += len(left)
				what := fmt.Sprintf("%s, %s on %s", p.name, j.fault, j.op)
				if len(left) > 0 {
					t.Errorf("%s: left running %v\n%s", what, left, j.log)
				}
				switch {
				case j.code == exitcode.OK && j.out["deployment-status"] == "Succeeded":
					survived++
				case j.code == exitcode.Failed && j.out["error-code"] != "" && j.out["deployment-id"] == mine:
					failedClean++
					t.Logf("%s: failed cleanly: %s", what, j.out["error-code"])
				default:
					t.Errorf("%s: exit %d, error-code %q, deployment-id %q (the sandbox has %q): neither a success nor a clean failure\n%s",
						what, j.code, j.out["error-code"], j.out["deployment-id"], mine, j.log)
				}
			}
		})
	}
	t.Logf("fault matrix: %d cases, %d faults survived, %d failed cleanly, %d deployments left running", cases, survived, failedClean, running)
	fmt.Printf("fault matrix: %d cases, %d faults survived, %d failed cleanly, %d deployments left running\n", cases, survived, failedClean, running)
}

// matrixOperations runs p once without faults and returns the AWS
// operations the action called, as "service/operation".
func matrixOperations(t *testing.T, p matrixPlatform) []string {
	t.Helper()
	sb := p.sandbox(t)
	image := sb.PushImage(t, "web")
	before := len(sb.Calls())
	code, _, log := runActionCtx(context.Background(), t, sb, p.inputs(image), runEnv(500, 1))
	if code != exitcode.OK {
		t.Fatalf("%s without faults: exit %d\n%s", p.name, code, log)
	}
	seen := map[string]bool{}
	for _, c := range sb.Calls()[before:] {
		seen[c.Service+"/"+c.Operation] = true
	}
	return sortedKeys(seen)
}

func cut(op string) (string, string, bool) {
	for i := range op {
		if op[i] == '/' {
			return op[:i], op[i+1:], true
		}
	}
	return op, "", false
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
