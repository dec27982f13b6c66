package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	cdtypes "github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim/awssimtest"
)

// The runner's budget after its SIGTERM, and how long after the exit no
// deployment the run created may still be running.
const (
	exitBudget   = 7 * time.Second
	settleWindow = 10 * time.Second
)

// BenchmarkSIGTERM sends SIGTERM to the built action at moments spread over
// a Server, an ECS, a Lambda and an in-place deploy that builds and pushes
// its image: discovery, build, push, revision upload and creation (each
// short one held open by a latency fault), the deployment just created, and
// its lifecycle events (the deployment hanging at one, a scenario's hang)
// and traffic shifting and termination wait (at a slower time scale). For
// each it measures the time from the signal to the exit and, with the
// sandbox's clock frozen at the exit and then moved on settleWindow, the
// deployments left running. It prints the figures per platform and fails a
// moment over exitBudget or with a deployment left running (every run has
// rollback-on-cancel: true, the default). Run it with
// go test -run '^$' -bench '^BenchmarkSIGTERM$' -benchtime 1x .
func BenchmarkSIGTERM(b *testing.B) {
	if err := exec.Command("docker", "info").Run(); err != nil {
		if os.Getenv("CI") == "true" {
			b.Fatalf("CI needs the Docker engine: %v", err)
		}
		b.Skipf("no Docker engine: %v", err)
	}
	bin := buildBinary(b)
	ws, err := filepath.Abs(".")
	if err != nil {
		b.Fatal(err)
	}
	for range b.N {
		results := make([][]moment, len(signalPlatforms))
		for i, p := range signalPlatforms {
			results[i] = p.moments(b, bin, ws) // one at a time: the exit times are not the machine's contention
		}
		var worst time.Duration
		left := 0
		for i, p := range signalPlatforms {
			pw, pl, signalled := time.Duration(0), 0, 0
			for _, m := range results[i] {
				if m.phase == "ended before the signal" {
					b.Logf("%s: the run ended before its signal (exit %d)", p.name, m.code)
					continue
				}
				signalled, pw, pl = signalled+1, max(pw, m.exit), pl+m.left
				if m.exit > exitBudget || m.left > 0 {
					b.Errorf("%s, %s: exit %s after SIGTERM (code %d), %d deployments left running\n%s", p.name, m.phase, m.exit.Round(time.Millisecond), m.code, m.left, m.log)
				}
			}
			worst, left = max(worst, pw), left+pl
			fmt.Printf("%s: %d moments, worst exit %s after SIGTERM, %d deployments left running %s later\n", p.name, signalled, pw.Round(time.Millisecond), pl, settleWindow)
			for _, m := range results[i] {
				fmt.Printf("    %-58s exit %-7s code %d, left running %d, rollbacks running %d\n", m.phase, m.exit.Round(time.Millisecond), m.code, m.left, m.rollbacks)
			}
		}
		b.ReportMetric(worst.Seconds(), "worst-exit-s")
		b.ReportMetric(float64(left), "left-running")
	}
}

// moment is one SIGTERM and what followed.
type moment struct {
	phase     string        // where the run was when the signal came
	exit      time.Duration // from the signal to the exit
	code      int
	left      int // the run's deployments still running settleWindow after the exit
	rollbacks int // CodeDeploy's rollbacks still running then
	log       string
}

// signalPlatform is a deploy the benchmark interrupts.
type signalPlatform struct {
	name, scenario, app string
	groups              []string // the groups a moment's hang applies to
	// revisionCall is the call that uploads or registers the revision.
	revisionCall awssim.Fault
	// setup readies the sandbox and returns the inputs.
	setup func(b *testing.B, sb *awssimtest.Sandbox) map[string]string
	// lifecycle are the moments in the deployment: the lifecycle events
	// it hangs at (deterministic), and states it passes through at
	// lifecycleScale (traffic shifting, the termination wait).
	lifecycle []trigger
}

// hangAt is a moment in lifecycle event event, which the deployment then
// never leaves unless stopped.
func hangAt(event string) trigger {
	return trigger{name: event, hang: event, scale: fastScale, until: func(s deploymentState) bool {
		return s.events[event] == cdtypes.LifecycleEventStatusInProgress
	}}
}

// shifting is a moment while traffic shifts, the replacement's weight in (from, to).
func shifting(from, to float64) trigger {
	return trigger{name: fmt.Sprintf("AllowTraffic, weight in (%g, %g)", from, to), scale: lifecycleScale, until: func(s deploymentState) bool {
		return s.events["AllowTraffic"] == cdtypes.LifecycleEventStatusInProgress && s.weight > from && s.weight < to
	}}
}

// terminationWait is a moment in the termination wait, traffic moved.
var terminationWait = trigger{name: "termination wait", scale: lifecycleScale, until: func(s deploymentState) bool {
	return s.info.InstanceTerminationWaitTimeStarted
}}

var signalPlatforms = []signalPlatform{
	{"Server", "server.yaml", "web", []string{"bg"}, awssim.Fault{Service: "s3", Operation: "PutObject"}, func(b *testing.B, sb *awssimtest.Sandbox) map[string]string {
		return map[string]string{"codedeploy-application": "web", "codedeploy-deployment-group": "bg", "ecr-repository": "web", "create-repository": "true",
			"s3-bucket": "web-bundles", "container-port": "8080", "health-check-path": "/healthz"}
	}, []trigger{hangAt("BeforeInstall"), hangAt("AfterInstall"), hangAt("ValidateService"), hangAt("AllowTraffic"), hangAt("AfterAllowTraffic"), terminationWait}},
	{"Server, targets: 2 in wave 1, 1 in wave 2", "server.yaml", "web", []string{"bg", "bg2"}, awssim.Fault{Service: "s3", Operation: "PutObject"}, func(b *testing.B, sb *awssimtest.Sandbox) map[string]string {
		copyGroup(b, sb, "bg", "bg2")
		return map[string]string{"ecr-repository": "web", "create-repository": "true", "s3-bucket": "web-bundles", "container-port": "8080", "health-check-path": "/healthz",
			"targets": "- {codedeploy-application: web, codedeploy-deployment-group: bg}\n- {codedeploy-application: web, codedeploy-deployment-group: bg2}\n" +
				"- {wave: 2, codedeploy-application: web, codedeploy-deployment-group: ready}"}
	}, []trigger{hangAt("BeforeInstall"), hangAt("AfterInstall"), hangAt("ValidateService"), hangAt("AllowTraffic"), hangAt("AfterAllowTraffic")}},
	{"ECS", "ecs.yaml", "api", []string{"linear"}, awssim.Fault{Service: "ecs", Operation: "RegisterTaskDefinition"}, func(b *testing.B, sb *awssimtest.Sandbox) map[string]string {
		return map[string]string{"codedeploy-application": "api", "codedeploy-deployment-group": "linear", "ecr-repository": "api", "create-repository": "true"}
	}, []trigger{hangAt("Install"), hangAt("AfterInstall"), hangAt("AllowTestTraffic"), hangAt("BeforeAllowTraffic"), shifting(0, 50), hangAt("AfterAllowTraffic")}},
	{"Lambda", "lambda.yaml", "fn", []string{"linear"}, awssim.Fault{Service: "lambda", Operation: "UpdateFunctionCode"}, func(b *testing.B, sb *awssimtest.Sandbox) map[string]string {
		createFunction(b, sb, sb.PushImageTag(b, "fn", "v1"))
		return map[string]string{"codedeploy-application": "fn", "codedeploy-deployment-group": "linear", "ecr-repository": "fn", "lambda-function": "web",
			"appspec": "testdata/appspecs/lambda-hooks.yaml"} // hook functions, so that the hook events can hang
	}, []trigger{hangAt("BeforeAllowTraffic"), hangAt("AllowTraffic"), shifting(0, 50), shifting(50, 100), hangAt("AfterAllowTraffic")}},
	{"in-place", "server.yaml", "web", []string{"inplace"}, awssim.Fault{Service: "s3", Operation: "PutObject"}, func(b *testing.B, sb *awssimtest.Sandbox) map[string]string {
		return map[string]string{"codedeploy-application": "web", "codedeploy-deployment-group": "inplace", "ecr-repository": "web", "create-repository": "true",
			"s3-bucket": "web-bundles", "container-port": "8080", "health-check-path": "/healthz", "proxy-image": "registry.example.com/caddy:2.11"}
	}, []trigger{hangAt("ApplicationStop"), hangAt("BeforeInstall"), hangAt("Install"), hangAt("AfterInstall"), hangAt("ApplicationStart"), hangAt("ValidateService")}},
}

// Time scales: the pre-deployment moments keep the sandbox's usual speed;
// the lifecycle ones slow it so that a deploy spans seconds of polls.
const (
	fastScale      = awssim.DefaultTimeScale
	lifecycleScale = 60
	holdOpen       = 1500 * time.Millisecond // a latency fault's hold on a short phase
)

// trigger is when a moment's signal is sent: delay after the first output
// line containing after ("": the start), with fault holding the phase
// open; or, in the deployment, once the sandbox's state of it satisfies
// until, with the deployment hanging at event hang ("": none).
type trigger struct {
	name  string
	after string
	delay time.Duration
	fault *awssim.Fault
	scale float64
	hang  string
	until func(deploymentState) bool
}

// moments runs the platform's moments, one sandbox each.
func (p signalPlatform) moments(b *testing.B, bin, ws string) []moment {
	hold := func(f awssim.Fault) *awssim.Fault { f.Latency, f.Count = holdOpen, 1; return &f }
	triggers := []trigger{
		{after: "", delay: 400 * time.Millisecond, fault: hold(awssim.Fault{Service: "codedeploy", Operation: "GetDeploymentGroup"}), scale: fastScale},
		{after: "::group::Building", delay: 50 * time.Millisecond, scale: fastScale},
		{after: "::group::Pushing", delay: 300 * time.Millisecond, fault: hold(awssim.Fault{Service: "registry", Operation: "PutManifest"}), scale: fastScale},
		{after: "Pushed ", delay: 300 * time.Millisecond, fault: hold(p.revisionCall), scale: fastScale},
		{after: "Revision ", delay: 300 * time.Millisecond, fault: hold(awssim.Fault{Service: "codedeploy", Operation: "CreateDeployment"}), scale: fastScale},
		{after: "Deployment d-", scale: fastScale}, // at once when created
	}
	var out []moment
	for i, tr := range append(triggers, p.lifecycle...) {
		out = append(out, p.run(b, bin, ws, tr, i+1))
	}
	return out
}

// run deploys once on a new sandbox and sends SIGTERM per tr; n is 0 for
// the signal-free run, whose moment's exit is the time from the deployment's
// creation to the exit.
func (p signalPlatform) run(b *testing.B, bin, ws string, tr trigger, n int) moment {
	sb := awssimtest.Start(b, awssim.Options{TimeScale: tr.scale})
	seed, err := awssim.LoadScenario("testdata/sandbox/" + p.scenario)
	if err != nil {
		b.Fatal(err)
	}
	if err := sb.Apply(seed); err != nil {
		b.Fatal(err)
	}
	inputs := p.setup(b, sb)
	inputs["context"] = "testdata/app"
	var sc awssim.Scenario
	if tr.fault != nil {
		sc.Faults = []awssim.Fault{*tr.fault}
	}
	if tr.hang != "" {
		for _, g := range p.groups {
			sc.Hangs = append(sc.Hangs, awssim.Hang{Application: p.app, DeploymentGroup: g, Event: tr.hang})
		}
	}
	if err := sb.Apply(sc); err != nil {
		b.Fatal(err)
	}
	cmd := exec.Command(bin)
	cmd.Env = runEnv(ws, sb, inputs, n)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	lines := make(chan line, 1024)
	var mu sync.Mutex
	var log strings.Builder
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	started := time.Now()
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			mu.Lock()
			log.WriteString(sc.Text() + "\n")
			mu.Unlock()
			lines <- line{time.Now(), sc.Text()}
		}
	}()
	// Wait for the trigger line, keeping what was printed before it.
	var seen []string
	at, exited := started, false
	if tr.after != "" {
		found := false
		for l := range lines {
			seen = append(seen, l.text)
			if strings.Contains(l.text, tr.after) {
				at, found = l.at, true
				break
			}
		}
		exited = !found
	}
	var m moment
	if tr.until != nil {
		exited = !waitForState(sb, p.app, tr.until, lines, &seen)
		if !exited {
			m.phase = "lifecycle: " + tr.name
		}
	}
	if !exited {
		time.Sleep(time.Until(at.Add(tr.delay)))
		// Lines printed by now tell the phase; the sandbox tells the
		// lifecycle event.
		for drained := false; !drained; {
			select {
			case l, ok := <-lines:
				if !ok {
					exited, drained = true, true
					break
				}
				seen = append(seen, l.text)
			default:
				drained = true
			}
		}
	}
	if exited {
		cmd.Wait()
		mu.Lock()
		defer mu.Unlock()
		return moment{phase: "ended before the signal", code: cmd.ProcessState.ExitCode(), log: log.String()}
	}
	if m.phase == "" {
		m.phase = phaseOf(seen)
	}
	if m.phase == "lifecycle" {
		m.phase = "lifecycle: just created, " + stateOf(sb, p.app).String()
	}
	sent := time.Now()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		b.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		for range lines {
		}
		cmd.Wait()
		close(done)
	}()
	select {
	case <-done:
		m.exit = time.Since(sent)
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		<-done
		m.exit = time.Since(sent)
	}
	m.code = cmd.ProcessState.ExitCode()
	// Freeze the sandbox's time at the exit, then let settleWindow pass.
	sb.Clock.SetScale(0)
	sb.Clock.Advance(settleWindow)
	m.left, m.rollbacks = stillRunning(b, sb, p.app)
	mu.Lock()
	m.log = log.String()
	mu.Unlock()
	return m
}

// line is a line the run printed and when.
type line struct {
	at   time.Time
	text string
}

// phaseMarkers are the lines that open each phase, in order.
var phaseMarkers = []struct{ line, phase string }{
	{"::group::Building", "build"},
	{"::group::Pushing", "push"},
	{"Pushed ", "revision upload"},
	{"Revision ", "creation"},
	{"Deployment d-", "lifecycle"},
}

// phaseOf names the phase the lines printed so far are in.
func phaseOf(lines []string) string {
	phase := "discovery"
	for _, l := range lines {
		for _, m := range phaseMarkers {
			if strings.HasPrefix(l, m.line) || strings.Contains(l, ": "+m.line) { // or a target's line
				phase = m.phase
			}
		}
	}
	return phase
}

// deploymentState is the run's deployment as the sandbox holds it.
type deploymentState struct {
	info   *cdtypes.DeploymentInfo
	events map[string]cdtypes.LifecycleEventStatus
	weight float64 // the replacement's share of traffic (ECS, Lambda)
}

func (s deploymentState) String() string {
	if s.info == nil {
		return "no deployment yet"
	}
	var running []string
	for e, st := range s.events {
		if st == cdtypes.LifecycleEventStatusInProgress {
			running = append(running, e)
		}
	}
	sort.Strings(running)
	return fmt.Sprintf("%s %s", s.info.Status, strings.Join(running, "+"))
}

// stateOf reads app's deployment (the run's, not a rollback), its targets'
// lifecycle events and traffic weight.
func stateOf(sb *awssimtest.Sandbox, app string) deploymentState {
	ctx := context.Background()
	api := codedeploy.NewFromConfig(sb.Config())
	s := deploymentState{events: map[string]cdtypes.LifecycleEventStatus{}}
	list, err := api.ListDeployments(ctx, &codedeploy.ListDeploymentsInput{ApplicationName: aws.String(app)})
	if err != nil {
		return s
	}
	for _, id := range list.Deployments {
		d, err := api.GetDeployment(ctx, &codedeploy.GetDeploymentInput{DeploymentId: aws.String(id)})
		if err != nil || d.DeploymentInfo.Creator == cdtypes.DeploymentCreatorCodeDeployRollback {
			continue
		}
		s.info = d.DeploymentInfo
		ids, err := api.ListDeploymentTargets(ctx, &codedeploy.ListDeploymentTargetsInput{DeploymentId: aws.String(id)})
		if err != nil || len(ids.TargetIds) == 0 {
			return s
		}
		targets, err := api.BatchGetDeploymentTargets(ctx, &codedeploy.BatchGetDeploymentTargetsInput{DeploymentId: aws.String(id), TargetIds: ids.TargetIds})
		if err != nil {
			return s
		}
		for _, t := range targets.DeploymentTargets {
			var evs []cdtypes.LifecycleEvent
			switch {
			case t.InstanceTarget != nil:
				evs = t.InstanceTarget.LifecycleEvents
			case t.EcsTarget != nil:
				evs = t.EcsTarget.LifecycleEvents
				for _, ts := range t.EcsTarget.TaskSetsInfo {
					if ts.TaskSetLabel == cdtypes.TargetLabelGreen {
						s.weight = ts.TrafficWeight
					}
				}
			case t.LambdaTarget != nil:
				evs = t.LambdaTarget.LifecycleEvents
				if f := t.LambdaTarget.LambdaFunctionInfo; f != nil {
					s.weight = f.TargetVersionWeight
				}
			}
			for _, e := range evs {
				name := aws.ToString(e.LifecycleEventName)
				if s.events[name] != cdtypes.LifecycleEventStatusInProgress {
					s.events[name] = e.Status
				}
			}
		}
		return s
	}
	return s
}

// waitForState polls the sandbox until app's deployment satisfies until,
// keeping the lines the run prints meanwhile; false when the run ended
// first.
func waitForState(sb *awssimtest.Sandbox, app string, until func(deploymentState) bool, lines <-chan line, seen *[]string) bool {
	for {
		if s := stateOf(sb, app); s.info != nil && until(s) {
			return true
		}
		select {
		case l, ok := <-lines:
			if !ok {
				return false
			}
			*seen = append(*seen, l.text)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// stillRunning counts app's deployments that are not in a terminal status:
// those the run created, and CodeDeploy's rollbacks.
func stillRunning(b *testing.B, sb *awssimtest.Sandbox, app string) (int, int) {
	ctx := context.Background()
	api := codedeploy.NewFromConfig(sb.Config())
	list, err := api.ListDeployments(ctx, &codedeploy.ListDeploymentsInput{ApplicationName: aws.String(app), IncludeOnlyStatuses: []cdtypes.DeploymentStatus{
		cdtypes.DeploymentStatusCreated, cdtypes.DeploymentStatusQueued, cdtypes.DeploymentStatusInProgress,
		cdtypes.DeploymentStatusBaking, cdtypes.DeploymentStatusReady,
	}})
	if err != nil {
		b.Fatal(err)
	}
	runs, rollbacks := 0, 0
	for _, id := range list.Deployments {
		d, err := api.GetDeployment(ctx, &codedeploy.GetDeploymentInput{DeploymentId: aws.String(id)})
		if err != nil {
			b.Fatal(err)
		}
		if d.DeploymentInfo.Creator == cdtypes.DeploymentCreatorCodeDeployRollback {
			rollbacks++
		} else {
			runs++
		}
	}
	return runs, rollbacks
}

// createFunction creates the Lambda function web on image, version 1 and
// its alias live.
func createFunction(b *testing.B, sb *awssimtest.Sandbox, image string) {
	ctx := context.Background()
	api := lambda.NewFromConfig(sb.Config())
	_, err := api.CreateFunction(ctx, &lambda.CreateFunctionInput{
		FunctionName: aws.String("web"), PackageType: lambdatypes.PackageTypeImage,
		Role: aws.String("arn:aws:iam::123456789012:role/web"), Code: &lambdatypes.FunctionCode{ImageUri: aws.String(image)},
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
		b.Fatal(err)
	}
}

// copyGroup creates deployment group to of application web as a copy of
// from, with Auto Scaling group to-asg.
func copyGroup(b *testing.B, sb *awssimtest.Sandbox, from, to string) {
	ctx := context.Background()
	api := codedeploy.NewFromConfig(sb.Config())
	g, err := api.GetDeploymentGroup(ctx, &codedeploy.GetDeploymentGroupInput{ApplicationName: aws.String("web"), DeploymentGroupName: aws.String(from)})
	if err != nil {
		b.Fatal(err)
	}
	info := g.DeploymentGroupInfo
	_, err = api.CreateDeploymentGroup(ctx, &codedeploy.CreateDeploymentGroupInput{
		ApplicationName: aws.String("web"), DeploymentGroupName: aws.String(to), ServiceRoleArn: info.ServiceRoleArn,
		DeploymentConfigName: info.DeploymentConfigName, AutoScalingGroups: []string{to + "-asg"}, DeploymentStyle: info.DeploymentStyle,
		LoadBalancerInfo: info.LoadBalancerInfo, AutoRollbackConfiguration: info.AutoRollbackConfiguration,
		BlueGreenDeploymentConfiguration: info.BlueGreenDeploymentConfiguration,
	})
	if err != nil {
		b.Fatal(err)
	}
}
