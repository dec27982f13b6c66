package main

import (
	"bufio"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim/awssimtest"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/config"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/exitcode"
)

// TestDeploySIGTERM runs the built action, sends it SIGTERM in the middle of
// a deployment and checks that it stops the deployment with rollback and
// exits within the runner's 7 s.
func TestDeploySIGTERM(t *testing.T) {
	t.Parallel()
	sb := awssimtest.Start(t, awssim.Options{TimeScale: awssim.DefaultTimeScale})
	seed, err := awssim.LoadScenario("testdata/sandbox/server.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []awssim.Scenario{seed, {Hangs: []awssim.Hang{{DeploymentGroup: "bg", Event: "AfterInstall"}}}} {
		if err := sb.Apply(s); err != nil {
			t.Fatal(err)
		}
	}
	image := sb.PushImage(t, "web")
	ws, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	bin := buildBinary(t)
	cmd := exec.Command(bin)
	cmd.Env = []string{"GITHUB_WORKSPACE=" + ws, "PATH=" + os.Getenv("PATH")}
	for k, v := range sb.Env() {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	for k, v := range map[string]string{
		"image": image, "codedeploy-application": "web", "codedeploy-deployment-group": "bg",
		"s3-bucket": "web-bundles", "container-port": "8080", "health-check-path": "/healthz",
	} {
		cmd.Env = append(cmd.Env, config.InputKey(k)+"="+v)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var log strings.Builder
	var id string
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		line := sc.Text()
		log.WriteString(line + "\n")
		if strings.Contains(line, "AfterInstall InProgress") {
			break // mid-deployment
		}
		if v, ok := strings.CutPrefix(line, "output deployment-id="); ok {
			id = v
		}
	}
	if id == "" {
		cmd.Process.Kill()
		t.Fatalf("no deployment-id before AfterInstall; log:\n%s", log.String())
	}
	sent := time.Now()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	rest, _ := io.ReadAll(stdout)
	log.Write(rest)
	err = cmd.Wait()
	took := time.Since(sent)
	t.Logf("exited %s after SIGTERM (%v)", took.Round(time.Millisecond), err)
	if took > 7*time.Second {
		t.Errorf("exited %s after SIGTERM, want within 7 s", took)
	}
	if cmd.ProcessState.ExitCode() != exitcode.Failed {
		t.Errorf("exit code %d, want %d; log:\n%s", cmd.ProcessState.ExitCode(), exitcode.Failed, log.String())
	}
	got, err := codedeploy.NewFromConfig(sb.Config()).GetDeployment(context.Background(), &codedeploy.GetDeploymentInput{DeploymentId: aws.String(id)})
	if err != nil {
		t.Fatal(err)
	}
	info := got.DeploymentInfo
	if info.Status != "Stopped" || info.RollbackInfo == nil || aws.ToString(info.RollbackInfo.RollbackDeploymentId) == "" {
		t.Errorf("deployment %s is %s, rollback %+v; want Stopped with a rollback", id, info.Status, info.RollbackInfo)
	}
	if !strings.Contains(log.String(), "output error-code=CANCELLED") {
		t.Errorf("no error-code CANCELLED; log:\n%s", log.String())
	}
}
