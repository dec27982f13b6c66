package pipeline

import (
	"context"
	"crypto/sha256"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim/awssimtest"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/config"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/exitcode"
)

// lambdaSandbox starts a sandbox seeded with testdata/sandbox/lambda.yaml
// at scale simulated seconds a second, with images fn:v1 and fn:v2 pushed
// and the function web on fn:v1 as version 1, with the alias live on it.
// It returns fn:v2's URI by digest.
func lambdaSandbox(t *testing.T, scale float64, useCLI bool, extra ...awssim.Scenario) (*awssimtest.Sandbox, string) {
	t.Helper()
	sb := seededSandbox(t, "lambda.yaml", scale, extra...)
	v1 := pushManifest(t, sb, "v1")
	v2 := pushManifest(t, sb, "v2")
	if useCLI {
		lambdaCLI(t, sb, v1)
	} else {
		ctx := context.Background()
		api := lambda.NewFromConfig(sb.Config())
		_, err := api.CreateFunction(ctx, &lambda.CreateFunctionInput{
			FunctionName: aws.String("web"), PackageType: lambdatypes.PackageTypeImage,
			Role: aws.String("arn:aws:iam::123456789012:role/web"), Code: &lambdatypes.FunctionCode{ImageUri: aws.String(v1)},
		})
		if err == nil {
			err = lambda.NewFunctionActiveV2Waiter(api, func(o *lambda.FunctionActiveV2WaiterOptions) { o.MinDelay = 50 * time.Millisecond }).
				Wait(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("web")}, 10*time.Second)
		}
		if err == nil {
			_, err = api.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String("web")})
		}
		if err == nil {
			_, err = api.CreateAlias(ctx, &lambda.CreateAliasInput{FunctionName: aws.String("web"), Name: aws.String("live"), FunctionVersion: aws.String("1")})
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	return sb, v2
}

// lambdaCLI sets the function up with the AWS CLI, as a user would.
func lambdaCLI(t *testing.T, sb *awssimtest.Sandbox, image string) {
	t.Helper()
	if _, err := exec.LookPath("aws"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("the AWS CLI is required in CI")
		}
		t.Skip("aws not found")
	}
	dir := t.TempDir()
	env := append(os.Environ(), "AWS_PAGER=", "AWS_DEFAULT_REGION=us-east-1", "AWS_CONFIG_FILE="+filepath.Join(dir, "config"), "AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(dir, "credentials"))
	for k, v := range sb.Env() {
		env = append(env, k+"="+v)
	}
	for _, args := range [][]string{
		{"lambda", "create-function", "--function-name", "web", "--package-type", "Image", "--code", "ImageUri=" + image, "--role", "arn:aws:iam::123456789012:role/web"},
		{"lambda", "wait", "function-active-v2", "--function-name", "web"},
		{"lambda", "publish-version", "--function-name", "web"},
		{"lambda", "create-alias", "--function-name", "web", "--name", "live", "--function-version", "1"},
	} {
		cmd := exec.Command("aws", args...)
		cmd.Env = env
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("aws %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
}

// pushManifest pushes a one-config image whose config names tag as fn:tag
// and returns its URI by digest.
func pushManifest(t *testing.T, sb *awssimtest.Sandbox, tag string) string {
	t.Helper()
	cfg := []byte(fmt.Sprintf(`{"architecture":"amd64","os":"linux","config":{"Labels":{"tag":%q}},"rootfs":{"type":"layers","diff_ids":[]}}`, tag))
	cfgDigest := sb.PushBlob(t, "fn", cfg)
	manifest := fmt.Sprintf(`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",`+
		`"config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":%q,"size":%d},"layers":[]}`, cfgDigest, len(cfg))
	return sb.PutManifest(t, "fn", tag, "application/vnd.oci.image.manifest.v1+json", []byte(manifest))
}

// pushIndex pushes an image index of two images as fn:tag, as BuildKit's
// provenance attestations make one, and returns its URI by tag.
func pushIndex(t *testing.T, sb *awssimtest.Sandbox, tag string) string {
	t.Helper()
	var kids []string
	for _, arch := range []string{"amd64", "arm64"} {
		uri := pushManifest(t, sb, tag+"-"+arch)
		_, digest, _ := strings.Cut(uri, "@")
		kids = append(kids, fmt.Sprintf(`{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":%q,"size":%d,"platform":{"os":"linux","architecture":%q}}`,
			digest, manifestSize(tag+"-"+arch), arch))
	}
	index := `{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[` + strings.Join(kids, ",") + `]}`
	sb.PutManifest(t, "fn", tag, "application/vnd.oci.image.index.v1+json", []byte(index))
	return sb.Host + "/fn:" + tag
}

// manifestSize is the size of pushManifest's manifest for tag.
func manifestSize(tag string) int {
	cfg := fmt.Sprintf(`{"architecture":"amd64","os":"linux","config":{"Labels":{"tag":%q}},"rootfs":{"type":"layers","diff_ids":[]}}`, tag)
	d := fmt.Sprintf("sha256:%x", sha256.Sum256([]byte(cfg)))
	return len(fmt.Sprintf(`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",`+
		`"config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":%q,"size":%d},"layers":[]}`, d, len(cfg)))
}

// lambdaInputs are the inputs of a deployment of image to group of
// application fn, function web.
func lambdaInputs(image, group string) map[string]string {
	return map[string]string{"image": image, "codedeploy-application": "fn", "codedeploy-deployment-group": group, "lambda-function": "web"}
}

// alias reads the alias live of web: its version and its routing.
func alias(t *testing.T, sb *awssimtest.Sandbox) (string, map[string]float64) {
	t.Helper()
	out, err := lambda.NewFromConfig(sb.Config()).GetAlias(context.Background(), &lambda.GetAliasInput{FunctionName: aws.String("web"), Name: aws.String("live")})
	if err != nil {
		t.Fatal(err)
	}
	var weights map[string]float64
	if rc := out.RoutingConfig; rc != nil {
		weights = rc.AdditionalVersionWeights
	}
	return aws.ToString(out.FunctionVersion), weights
}

func TestDeployLambdaSucceeds(t *testing.T) {
	t.Parallel()
	sb, image := lambdaSandbox(t, awssim.DefaultTimeScale, true)
	code, out, log := runAction(t, sb, lambdaInputs(image, "live"))
	if code != exitcode.OK {
		t.Fatalf("exit %d, want 0; log:\n%s", code, log)
	}
	for k, want := range map[string]string{"deployment-status": "Succeeded", "lambda-version": "2", "image-uri": image} {
		if out[k] != want {
			t.Errorf("output %s = %q, want %q", k, out[k], want)
		}
	}
	if v, w := alias(t, sb); v != "2" || len(w) != 0 {
		t.Errorf("alias live on version %s with routing %v, want 2 with none (weight 100)", v, w)
	}
	if !strings.Contains(log, "alias live: version 2 100%") {
		t.Errorf("the log does not show version 2 at 100%%:\n%s", log)
	}
	got, err := lambda.NewFromConfig(sb.Config()).GetFunction(context.Background(), &lambda.GetFunctionInput{FunctionName: aws.String("web"), Qualifier: aws.String("2")})
	if err != nil {
		t.Fatal(err)
	}
	if r := aws.ToString(got.Code.ResolvedImageUri); r != image {
		t.Errorf("version 2 runs %s, want the pushed %s", r, image)
	}
}

func TestDeployLambdaCanaryWeights(t *testing.T) {
	t.Parallel()
	// At 60 simulated seconds a second the canary's 5 minutes at 10% take
	// 5 s: the driver's polls see them.
	sb, image := lambdaSandbox(t, 60, false)
	code, out, log := runAction(t, sb, lambdaInputs(image, "canary"))
	if code != exitcode.OK || out["deployment-status"] != "Succeeded" {
		t.Fatalf("exit %d, status %q; want 0, Succeeded; log:\n%s", code, out["deployment-status"], log)
	}
	i10, i100 := strings.Index(log, "alias live: version 2 10%"), strings.Index(log, "alias live: version 2 100%")
	if i10 < 0 || i100 < i10 {
		t.Errorf("the log does not show version 2 at 10%% then 100%%:\n%s", log)
	}
	if v, _ := alias(t, sb); v != "2" {
		t.Errorf("alias live on version %s, want 2", v)
	}
}

func TestDeployLambdaHookFailure(t *testing.T) {
	t.Parallel()
	sb, image := lambdaSandbox(t, awssim.DefaultTimeScale, false, awssim.Scenario{Lifecycle: []awssim.LifecycleFault{{
		Application: "fn", DeploymentGroup: "live", Event: "BeforeAllowTraffic", Message: "smoke test: GET / returned 500",
	}}})
	inputs := lambdaInputs(image, "live")
	inputs["appspec"] = "testdata/appspecs/lambda-hooks.yaml"
	code, out, log := runAction(t, sb, inputs)
	if code != exitcode.Failed {
		t.Fatalf("exit %d, want %d; log:\n%s", code, exitcode.Failed, log)
	}
	if out["error-code"] != "HOOK_EXECUTION_FAILURE" || out["rollback-deployment-id"] == "" {
		t.Errorf("error-code %q, rollback-deployment-id %q; want HOOK_EXECUTION_FAILURE and a rollback", out["error-code"], out["rollback-deployment-id"])
	}
	if !strings.Contains(log, "CheckBeforeTraffic") {
		t.Errorf("the log does not name the hook function:\n%s", log)
	}
	if v, w := alias(t, sb); v != "1" || len(w) != 0 {
		t.Errorf("alias live on version %s with routing %v, want back on 1", v, w)
	}
}

func TestDeployLambdaImageIndex(t *testing.T) {
	t.Parallel()
	sb, _ := lambdaSandbox(t, awssim.DefaultTimeScale, false)
	code, out, log := runAction(t, sb, lambdaInputs(pushIndex(t, sb, "multi"), "live"))
	if code != exitcode.Failed {
		t.Fatalf("exit %d, want %d; log:\n%s", code, exitcode.Failed, log)
	}
	if msg := out["error-message"]; out["error-code"] != "InvalidParameterValueException" || !strings.Contains(msg, `function "web"`) || !strings.Contains(msg, "image index") || !strings.Contains(msg, "--provenance=false") {
		t.Errorf("error-code %q, error-message %q; want Lambda's refusal InvalidParameterValueException, naming the function, with a word on image indexes and the fix", out["error-code"], msg)
	}
	if n := countCalls(sb, "codedeploy", "CreateDeployment"); n != 0 {
		t.Errorf("%d CreateDeployment calls, want none", n)
	}
	if v, _ := alias(t, sb); v != "1" {
		t.Errorf("alias live on version %s, want 1", v)
	}
}

// TestDeployLambdaRepositoryPolicy: when the image's repository policy no
// longer lets Lambda pull (here deleted) and the deploy role has the
// README's permissions only, Lambda refuses UpdateFunctionCode with 403
// (AWS Lambda Developer Guide, Amazon ECR permissions), and the action's
// error names the repository, the statement to add and the alternative
// permissions; nothing is published or deployed.
func TestDeployLambdaRepositoryPolicy(t *testing.T) {
	t.Parallel()
	sb, image := lambdaSandbox(t, awssim.DefaultTimeScale, false)
	if _, err := ecr.NewFromConfig(sb.Config()).DeleteRepositoryPolicy(context.Background(), &ecr.DeleteRepositoryPolicyInput{RepositoryName: aws.String("fn")}); err != nil {
		t.Fatal(err)
	}
	sb.SetPolicy(readmePolicy(t, readmePermissions(t), []string{"image", "deploy", "deploy, Lambda"}, withValues(map[string][]string{
		"repository": {"fn"}, "application": {"fn"}, "group": {"canary"}, "function": {"web"},
	}), ""))
	code, out, log := runAction(t, sb, lambdaInputs(image, "canary"))
	if code != exitcode.Failed {
		t.Fatalf("exit %d, want %d; log:\n%s", code, exitcode.Failed, log)
	}
	msg := out["error-message"]
	for _, want := range []string{`function "web"`, "Lambda does not have permission to access the ECR image", `ECR repository "fn"`, `"Service": "lambda.amazonaws.com"`, "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:GetRepositoryPolicy and ecr:SetRepositoryPolicy"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error-message %q does not say %q", msg, want)
		}
	}
	if out["error-code"] != "AccessDeniedException" {
		t.Errorf("error-code %q, want AccessDeniedException", out["error-code"])
	}
	if n := countCalls(sb, "codedeploy", "CreateDeployment"); n != 0 {
		t.Errorf("%d CreateDeployment calls, want none", n)
	}
	if v, _ := alias(t, sb); v != "1" {
		t.Errorf("alias live on version %s, want 1", v)
	}
}

func TestDeployLambdaCancelMidShift(t *testing.T) {
	t.Parallel()
	sb, image := lambdaSandbox(t, 60, false)
	env := sb.Env()
	env["GITHUB_WORKSPACE"] = workspace(t)
	maps.Copy(env, map[string]string{"GITHUB_REPOSITORY": "octo/app", "GITHUB_SHA": "0123456789abcdef0123456789abcdef01234567"})
	for k, v := range lambdaInputs(image, "canary") {
		env[config.InputKey(k)] = v
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out syncBuffer
	done := make(chan int)
	go func() {
		done <- Run(ctx, Env{Getenv: func(k string) string { return env[k] }, Stdout: &out, Clock: sb.Clock})
	}()
	deadline := time.After(30 * time.Second)
	for !strings.Contains(out.String(), "alias live: version 2 10%") {
		select {
		case <-deadline:
			t.Fatalf("no 10%% shift within 30 s; log:\n%s", out.String())
		case <-time.After(50 * time.Millisecond):
		}
	}
	cancel()
	code := <-done
	outputs := parseOutputs(out.String())
	if code != exitcode.Failed || outputs["error-code"] != "CANCELLED" {
		t.Fatalf("exit %d, error-code %q; want %d, CANCELLED; log:\n%s", code, outputs["error-code"], exitcode.Failed, out.String())
	}
	// StopDeployment is asynchronous: the deployment ends Stopped and the
	// alias moves back soon after the run ends.
	var status string
	var version string
	var weights map[string]float64
	for range 100 {
		status = string(deploymentInfo(t, sb, outputs["deployment-id"]).DeploymentInfo.Status)
		if version, weights = alias(t, sb); status == "Stopped" && version == "1" && len(weights) == 0 {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Errorf("deployment %s, alias live on version %s with routing %v; want Stopped, back on 1", status, version, weights)
}

func TestDeployLambdaInputs(t *testing.T) {
	t.Parallel()
	sb, image := lambdaSandbox(t, awssim.DefaultTimeScale, false)
	tests := []struct {
		name    string
		change  map[string]string
		wantErr string
	}{
		{"no function", map[string]string{"lambda-function": ""}, `input "lambda-function": is required for deployment group "live"`},
		{"pause", map[string]string{"on-ready": "pause"}, `input "on-ready": pause does not apply`},
		{"zip function", map[string]string{"lambda-function": "zipfn"}, "only container-image functions are supported for now"},
	}
	_, err := lambda.NewFromConfig(sb.Config()).CreateFunction(context.Background(), &lambda.CreateFunctionInput{
		FunctionName: aws.String("zipfn"), Runtime: lambdatypes.RuntimePython312, Handler: aws.String("app.handler"),
		Role: aws.String("arn:aws:iam::123456789012:role/web"), Code: &lambdatypes.FunctionCode{ZipFile: []byte("PK\x05\x06" + strings.Repeat("\x00", 18))},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inputs := lambdaInputs(image, "live")
			maps.Copy(inputs, tt.change)
			code, out, log := runAction(t, sb, inputs)
			if code == exitcode.OK || !strings.Contains(out["error-message"], tt.wantErr) {
				t.Errorf("exit %d, error-message %q; want a failure with %q; log:\n%s", code, out["error-message"], tt.wantErr, log)
			}
		})
	}
	if n := countCalls(sb, "lambda", "UpdateFunctionCode"); n != 0 {
		t.Errorf("%d UpdateFunctionCode calls, want none", n)
	}
}
