// Command demo is the README's main job: it starts the AWS sandbox, seeds it
// with testdata/sandbox/demo.yaml and runs the deploy step of
// testdata/workflows/server.yml (secrets, build testdata/app and push it to
// ECR, a blue/green deployment) with act when act and its job image are
// installed, else as the plain binary. As a binary the action renders for a
// terminal (a line per stage, the lifecycle events, a text summary) and
// writes its job summary as an HTML page that the demo names at the end;
// under act the demo prints the step's outputs and its Markdown job summary.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"

	"gopkg.in/yaml.v3"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim/sandbox"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/config"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/e2e"
)

const (
	scenarioFile = "testdata/sandbox/demo.yaml"
	workflowFile = "testdata/workflows/server.yml"
	stepID       = "deploy"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	mode := fs.String("mode", "auto", "how to run the action: act, binary, or auto (act when installed with its job image)")
	htmlPath := fs.String("summary-html", "", "where the binary writes the HTML job summary (default: a new file in the temp dir)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	root, err := e2e.RepoRoot()
	if err != nil {
		return err
	}
	if *mode == "auto" {
		*mode = "binary"
		if why := actMissing(); why != nil {
			fmt.Fprintf(stderr, "running the action as a binary: %v\n", why)
		} else {
			*mode = "act"
		}
	}

	env, stopSandbox, err := startSandbox(root)
	if err != nil {
		return err
	}
	defer stopSandbox()
	fmt.Fprintf(stderr, "AWS sandbox at %s, seeded with %s\n", env["AWS_ENDPOINT_URL"], scenarioFile)
	fmt.Fprintf(stderr, "The sandbox's clock runs %d× faster than the wall clock: CodeDeploy's durations are simulated.\n", awssim.DefaultTimeScale)

	var outputs map[string]string
	var summary string
	switch *mode {
	case "act":
		outputs, summary, err = runAct(ctx, root, env, stderr)
	case "binary":
		if *htmlPath == "" {
			if *htmlPath, err = tempHTML(); err != nil {
				return err
			}
		}
		env["BLUEGREEN_DEPLOY_SUMMARY_HTML"] = *htmlPath
		return runBinary(ctx, root, env, stdout, stderr)
	default:
		return fmt.Errorf("-mode %q: want act, binary or auto", *mode)
	}
	if outputs != nil {
		fmt.Fprintf(stdout, "\nOutputs of %s step %s (%s):\n", workflowFile, stepID, *mode)
		for _, name := range slices.Sorted(maps.Keys(outputs)) {
			fmt.Fprintf(stdout, "  %s=%s\n", name, outputs[name])
		}
	}
	if summary != "" {
		fmt.Fprintf(stdout, "\nJob summary:\n\n%s\n", summary)
	}
	return err
}

// actMissing says why act cannot run the demo, or returns nil.
func actMissing() error {
	if _, err := e2e.FindAct(); err != nil {
		return err
	}
	if err := exec.Command("docker", "image", "inspect", e2e.RunnerImage).Run(); err != nil {
		return fmt.Errorf("act's job image %s is not local (bash .ci/images.sh makes it)", e2e.RunnerImage)
	}
	return nil
}

// startSandbox serves a seeded sandbox on a loopback port and returns the
// environment that points the action at it.
func startSandbox(root string) (map[string]string, func(), error) {
	sc, err := awssim.LoadScenario(filepath.Join(root, scenarioFile))
	if err != nil {
		return nil, nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, nil, err
	}
	srv := sandbox.New(awssim.Options{Host: ln.Addr().String()})
	if err := srv.Apply(sc); err != nil {
		ln.Close()
		return nil, nil, fmt.Errorf("seeding the sandbox with %s: %w", scenarioFile, err)
	}
	hs := &http.Server{Handler: srv}
	go hs.Serve(ln)
	stop := func() {
		hs.Close()
		if err := srv.Close(); err != nil {
			fmt.Fprintln(os.Stderr, "demo:", err)
		}
		// The images the action built for the sandbox's registry.
		if err := e2e.RemoveImages(context.Background(), ln.Addr().String()+"/"); err != nil {
			fmt.Fprintln(os.Stderr, "demo:", err)
		}
	}
	env := map[string]string{
		"AWS_ENDPOINT_URL":      "http://" + ln.Addr().String(),
		"AWS_REGION":            "us-east-1",
		"AWS_ACCESS_KEY_ID":     "AKIASANDBOX",
		"AWS_SECRET_ACCESS_KEY": "sandbox-secret",
	}
	return env, stop, nil
}

// runAct builds the action's image and runs the workflow with act.
func runAct(ctx context.Context, root string, env map[string]string, log io.Writer) (map[string]string, string, error) {
	actBin, err := e2e.FindAct()
	if err != nil {
		return nil, "", err
	}
	image, err := e2e.ActionImage(root)
	if err != nil {
		return nil, "", err
	}
	fmt.Fprintf(log, "building %s from the Dockerfile\n", image)
	if err := e2e.BuildImage(ctx, root, image, log); err != nil {
		return nil, "", err
	}
	fmt.Fprintf(log, "running %s with act\n", workflowFile)
	act := e2e.Act{Bin: actBin, Dir: root, Env: env}
	run, err := act.Run(ctx, filepath.Join(root, workflowFile), log)
	if err != nil {
		return nil, "", err
	}
	if run.Job != "success" {
		err = fmt.Errorf("the workflow's job ended %s", run.Job)
	}
	return run.Outputs[stepID], run.Summaries[stepID], err
}

// runBinary builds the action and runs it with the workflow step's inputs as
// INPUT_* variables, as the runner would pass them, outside Actions: it
// prints for a terminal, to stdout.
func runBinary(ctx context.Context, root string, env map[string]string, stdout, log io.Writer) error {
	dir, err := os.MkdirTemp("", "bluegreen-deploy-demo-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	bin := filepath.Join(dir, "bluegreen-deploy")
	build := exec.CommandContext(ctx, "go", "build", "-o", bin, ".")
	build.Dir, build.Stdout, build.Stderr = root, log, log
	if err := build.Run(); err != nil {
		return fmt.Errorf("building the action: %w", err)
	}
	sha, err := exec.CommandContext(ctx, "git", "-C", root, "rev-parse", "HEAD").Output()
	if err != nil {
		return fmt.Errorf("reading the commit: %w", err)
	}
	inputs, err := stepInputs(filepath.Join(root, workflowFile), stepID, strings.TrimSpace(string(sha)))
	if err != nil {
		return err
	}
	vars := map[string]string{
		"GITHUB_WORKSPACE":  root,
		"GITHUB_SHA":        strings.TrimSpace(string(sha)),
		"GITHUB_REPOSITORY": "bluegreen-deploy/bluegreen-deploy",
	}
	maps.Copy(vars, env)
	maps.Copy(vars, inputs)
	cmd := exec.CommandContext(ctx, bin)
	cmd.Dir, cmd.Stdout, cmd.Stderr = root, stdout, log
	// The caller's own runner files and inputs (say, a workflow running the
	// demo) are not the demo step's, and the binary runs as outside Actions.
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "GITHUB_") && !strings.HasPrefix(kv, "INPUT_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	for k, v := range vars {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	fmt.Fprintf(log, "running %s's step %s as a plain binary\n\n", workflowFile, stepID)
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("the action failed: %w", err)
	}
	return nil
}

// tempHTML names a new file in the temp dir for the HTML job summary; it
// stays after the demo exits.
func tempHTML() (string, error) {
	f, err := os.CreateTemp("", "bluegreen-deploy-summary-*.html")
	if err != nil {
		return "", err
	}
	return f.Name(), f.Close()
}

// stepInputs reads a workflow step's with: as INPUT_* variables, expanding
// the one expression the demo workflow uses, ${{ github.sha }}.
func stepInputs(workflow, id, sha string) (map[string]string, error) {
	data, err := os.ReadFile(workflow)
	if err != nil {
		return nil, err
	}
	var wf struct {
		Jobs map[string]struct {
			Steps []struct {
				ID   string            `yaml:"id"`
				With map[string]string `yaml:"with"`
			} `yaml:"steps"`
		} `yaml:"jobs"`
	}
	if err := yaml.Unmarshal(data, &wf); err != nil {
		return nil, fmt.Errorf("parsing %s: %w", workflow, err)
	}
	for _, job := range wf.Jobs {
		for _, step := range job.Steps {
			if step.ID != id {
				continue
			}
			vars := map[string]string{}
			for name, value := range step.With {
				value = strings.ReplaceAll(value, "${{ github.sha }}", sha)
				if strings.Contains(value, "${{") {
					return nil, fmt.Errorf("%s: step %s input %s: only ${{ github.sha }} is expanded", workflow, id, name)
				}
				vars[config.InputKey(name)] = value
			}
			return vars, nil
		}
	}
	return nil, fmt.Errorf("%s has no step %s", workflow, id)
}
