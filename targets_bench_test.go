package main

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim/awssimtest"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/exitcode"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/pipeline"
)

// Time scales of the targets benchmark.
//
// The timed run is in-process, its driver on the sandbox's clock, so its
// poll schedule (PollMin 1 s to PollMax 4 s, the termination wait slept
// through until due) scales with the sandbox: at 60 simulated seconds per
// wall second a Server blue/green deployment of group bg (182 s of
// provisioning and lifecycle events, then the 5-minute termination wait:
// 482 s) takes 8 s of wall time and its polls come 17 to 67 ms apart.
// Slower would only lengthen the run; faster would make each millisecond
// the machine spends creating a wave's deployments (S3 upload, revision,
// CreateDeployment, all at once on 2 cores) weigh more against the
// deployment's own time, and each round trip's delay more against the
// poll intervals.
//
// The built binary polls on the wall clock, not the sandbox's, and its
// schedule reads CodeDeploy's timestamps: once it sees the termination wait
// of a sandbox whose clock runs ahead of the wall, it sleeps a minute. Its
// runs are for peak RSS, at the sandbox's default 600 simulated seconds per
// wall second: the driver's first poll, just after CreateDeployment, sees
// the events (the first 0.3 s), and its second, 1 s later, the end (0.8 s),
// so each wave's pollers are alive together for that second, as in a real
// wave.
const (
	timedScale  = 60
	binaryScale = awssim.DefaultTimeScale
)

// pollSpread bounds an operation's calls per target against one target's:
// how many polls a deployment takes depends on where they fall in simulated
// time, and at timedScale each round trip's millisecond is 60 simulated
// ones. Two runs of one target alone made 77 and 82 GetDeployment calls.
// Pollers that shared what they should not would call many times more.
const pollSpread = 1.1

// targetsLayout is how many Server deployment groups a run deploys, in how
// many waves of equal size; one target is deployed with the single-target
// inputs, not targets.
type targetsLayout struct {
	targets, waves int
}

func (l targetsLayout) String() string {
	if l.targets == 1 {
		return "1 target"
	}
	waves := fmt.Sprintf("%d waves", l.waves)
	if l.waves == 1 {
		waves = "1 wave"
	}
	return fmt.Sprintf("%d targets, %s of %d", l.targets, waves, l.targets/l.waves)
}

// group is the deployment group of target i (0-based).
func (l targetsLayout) group(i int) string { return fmt.Sprintf("t%02d", i+1) }

// wave is the wave of target i (1 and up).
func (l targetsLayout) wave(i int) int { return i/(l.targets/l.waves) + 1 }

// inputs are the run's inputs, deploying image.
func (l targetsLayout) inputs(image string) map[string]string {
	in := map[string]string{"image": image, "s3-bucket": "web-bundles", "container-port": "8080", "health-check-path": "/healthz"}
	if l.targets == 1 {
		in["codedeploy-application"], in["codedeploy-deployment-group"] = "web", l.group(0)
		return in
	}
	var entries strings.Builder
	for i := range l.targets {
		fmt.Fprintf(&entries, "- {wave: %d, codedeploy-application: web, codedeploy-deployment-group: %s}\n", l.wave(i), l.group(i))
	}
	in["targets"] = entries.String()
	return in
}

// targetsFigures are what one run of a layout measured.
type targetsFigures struct {
	wall  time.Duration  // the in-process run, start to exit
	calls map[string]int // its API calls by service:operation
	waves []waveSpan     // simulated time, from the sandbox's deployments
	rss   int64          // the binary's peak resident set, KiB
	// binWall is the binary's run, start to exit: a second a wave (the
	// second poll), and the work around it.
	binWall time.Duration
}

// waveSpan is a wave's span, from its first deployment's creation to its
// last one's completion, and the longest of its deployments' own times.
type waveSpan struct {
	span, slowest time.Duration
}

func (w waveSpan) ratio() float64 { return w.span.Seconds() / w.slowest.Seconds() }

// BenchmarkTargets deploys one Server deployment group alone, then 20
// (copies of group bg) in 4 waves of 5 and in 1 wave of 20, each in-process
// against the sandbox (wall time, each wave's span against its slowest
// deployment's own time, API calls per target) and with the built binary
// (peak RSS). It fails a wave whose span is over 1.1 times its slowest
// deployment's, a peak RSS over 80 MiB, or a CodeDeploy or S3 operation
// called more often per target than pollSpread times for one target alone.
// Run it with make bench-targets.
func BenchmarkTargets(b *testing.B) {
	bin := buildBinary(b)
	ws, err := filepath.Abs(".")
	if err != nil {
		b.Fatal(err)
	}
	layouts := []targetsLayout{{1, 1}, {20, 4}, {20, 1}}
	for range b.N {
		figs := make([]targetsFigures, len(layouts))
		for i, l := range layouts { // one at a time: each has the machine to itself
			figs[i] = timedRun(b, ws, l)
			figs[i].rss, figs[i].binWall = binaryRun(b, bin, ws, l)
		}
		printTargets(b, layouts, figs)
	}
}

// timedRun deploys l in-process on a sandbox at timedScale.
func timedRun(b *testing.B, ws string, l targetsLayout) targetsFigures {
	sb := targetsSandbox(b, l, timedScale)
	log := filepath.Join(b.TempDir(), "log")
	out, err := os.Create(log) // the run's goroutines write at once: a file takes that
	if err != nil {
		b.Fatal(err)
	}
	defer out.Close()
	env := map[string]string{}
	for _, kv := range runEnv(ws, sb, l.inputs(sb.PushImage(b, "web")), 1) {
		k, v, _ := strings.Cut(kv, "=")
		env[k] = v
	}
	before := len(sb.Calls())
	start := time.Now()
	code := pipeline.Run(context.Background(), pipeline.Env{Getenv: func(k string) string { return env[k] }, Stdout: out, Clock: sb.Clock})
	f := targetsFigures{wall: time.Since(start), calls: map[string]int{}}
	if code != exitcode.OK {
		text, _ := os.ReadFile(log)
		b.Fatalf("%s: exit %d\n%s", l, code, text)
	}
	for _, c := range sb.Calls()[before:] {
		f.calls[c.Service+":"+c.Operation]++
	}
	f.waves = waveSpans(b, sb, l)
	return f
}

// binaryRun deploys l with the built binary on a sandbox at binaryScale and
// returns the binary's peak RSS in KiB and its wall time.
func binaryRun(b *testing.B, bin, ws string, l targetsLayout) (int64, time.Duration) {
	sb := targetsSandbox(b, l, binaryScale)
	cmd := exec.Command(bin)
	cmd.Env = runEnv(ws, sb, l.inputs(sb.PushImage(b, "web")), 2)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	peak, err := peakRSS(cmd)
	if err != nil {
		b.Fatalf("%s, the binary: %v\n%s", l, err, out.String())
	}
	return peak, time.Since(start)
}

// peakRSS runs cmd to its end and returns the peak resident set of the
// program it runs, in KiB: the highest VmHWM /proc/<pid>/status showed
// while it ran, read every 2 ms. Not the rusage's Maxrss: os/exec starts
// the child with vfork, and at the exec Linux keeps the high-water mark of
// the memory the child shared, the test's and its sandbox's, as the
// child's.
func peakRSS(cmd *exec.Cmd) (int64, error) {
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	status := fmt.Sprintf("/proc/%d/status", cmd.Process.Pid)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var peak int64
	tick := time.NewTicker(2 * time.Millisecond)
	defer tick.Stop()
	for {
		if data, err := os.ReadFile(status); err == nil {
			for line := range strings.Lines(string(data)) {
				var kib int64
				if _, err := fmt.Sscanf(line, "VmHWM: %d kB", &kib); err == nil {
					peak = max(peak, kib)
				}
			}
		}
		select {
		case err := <-done:
			return peak, err
		case <-tick.C:
		}
	}
}

// targetsSandbox starts a sandbox at scale seeded with
// testdata/sandbox/server.yaml and l's deployment groups, each group bg's
// seed under another name, with an Auto Scaling group and target group of
// its own.
func targetsSandbox(b *testing.B, l targetsLayout, scale float64) *awssimtest.Sandbox {
	sb := awssimtest.Start(b, awssim.Options{TimeScale: scale})
	sc, err := awssim.LoadScenario("testdata/sandbox/server.yaml")
	if err != nil {
		b.Fatal(err)
	}
	i := slices.IndexFunc(sc.Seed, func(c awssim.SeedCall) bool { return c.Input["deploymentGroupName"] == "bg" })
	if i < 0 {
		b.Fatal("testdata/sandbox/server.yaml has no group bg")
	}
	bg := sc.Seed[i]
	for t := range l.targets {
		g := bg
		g.Input = maps.Clone(bg.Input)
		name := l.group(t)
		g.Input["deploymentGroupName"] = name
		g.Input["autoScalingGroups"] = []any{name + "-asg"}
		g.Input["loadBalancerInfo"] = map[string]any{"targetGroupInfoList": []any{map[string]any{"name": name + "-tg"}}}
		sc.Seed = append(sc.Seed, g)
	}
	if err := sb.Apply(sc); err != nil {
		b.Fatal(err)
	}
	return sb
}

// waveSpans reads l's deployments from the sandbox, by wave.
func waveSpans(b *testing.B, sb *awssimtest.Sandbox, l targetsLayout) []waveSpan {
	ctx := context.Background()
	api := codedeploy.NewFromConfig(sb.Config())
	list, err := api.ListDeployments(ctx, &codedeploy.ListDeploymentsInput{ApplicationName: aws.String("web")})
	if err != nil {
		b.Fatal(err)
	}
	if len(list.Deployments) != l.targets {
		b.Fatalf("%s: %d deployments, want %d", l, len(list.Deployments), l.targets)
	}
	first, last := make([]time.Time, l.waves), make([]time.Time, l.waves)
	spans := make([]waveSpan, l.waves)
	for _, id := range list.Deployments {
		d, err := api.GetDeployment(ctx, &codedeploy.GetDeploymentInput{DeploymentId: aws.String(id)})
		if err != nil {
			b.Fatal(err)
		}
		info := d.DeploymentInfo
		if info.CompleteTime == nil {
			b.Fatalf("%s: deployment %s is %s, not complete", l, id, info.Status)
		}
		var t int
		if _, err := fmt.Sscanf(aws.ToString(info.DeploymentGroupName), "t%d", &t); err != nil {
			b.Fatalf("deployment %s of group %s: %v", id, aws.ToString(info.DeploymentGroupName), err)
		}
		w := l.wave(t-1) - 1
		created, completed := aws.ToTime(info.CreateTime), aws.ToTime(info.CompleteTime)
		if first[w].IsZero() || created.Before(first[w]) {
			first[w] = created
		}
		if completed.After(last[w]) {
			last[w] = completed
		}
		spans[w].slowest = max(spans[w].slowest, completed.Sub(created))
	}
	for w := range spans {
		spans[w].span = last[w].Sub(first[w])
	}
	return spans
}

// printTargets prints the layouts' figures side by side, reports the
// metrics and fails the bounds.
func printTargets(b *testing.B, layouts []targetsLayout, figs []targetsFigures) {
	one := figs[0]
	oneSlowest := one.waves[0].slowest
	fmt.Printf("Server blue/green deployments of copies of group bg; in-process at %d sim-s per wall-s, the binary at %d\n", timedScale, binaryScale)
	fmt.Printf("%-26s %9s %12s %22s  %s\n", "", "wall", "wall/(waves", "binary: peak RSS, wall", "per wave: span / slowest deployment's own time (simulated)")
	fmt.Printf("%-26s %9s %12s\n", "", "", "x 1 target)")
	for i, l := range layouts {
		f := figs[i]
		var waves []string
		for w, s := range f.waves {
			waves = append(waves, fmt.Sprintf("%d: %.0fs/%.0fs=%.3f", w+1, s.span.Seconds(), s.slowest.Seconds(), s.ratio()))
		}
		fmt.Printf("%-26s %8.2fs %12.2f %14.1f MiB, %4.1fs  %s\n", l, f.wall.Seconds(), f.wall.Seconds()/(float64(l.waves)*one.wall.Seconds()),
			float64(f.rss)/1024, f.binWall.Seconds(), strings.Join(waves, "  "))
	}
	fmt.Printf("(one target's deployment alone: %.0f simulated s)\n\n", oneSlowest.Seconds())

	// Calls per target, against one target alone.
	ops := map[string]bool{}
	for _, f := range figs {
		for op := range f.calls {
			ops[op] = true
		}
	}
	fmt.Printf("%-44s %10s", "API calls per target", "1 target")
	for _, l := range layouts[1:] {
		fmt.Printf(" %26s", l)
	}
	fmt.Println()
	for _, op := range slices.Sorted(maps.Keys(ops)) {
		fmt.Printf("%-44s %10d", op, one.calls[op])
		shared := true
		for i, l := range layouts[1:] {
			n := figs[i+1].calls[op]
			fmt.Printf(" %26.2f", float64(n)/float64(l.targets))
			shared = shared && n == one.calls[op]
		}
		if shared {
			fmt.Print("  (per run)")
		}
		fmt.Println()
	}

	// The bounds, and the metrics.
	var worstRatio, worstRSS, worstCalls float64
	for i, l := range layouts {
		f := figs[i]
		for w, s := range f.waves {
			worstRatio = max(worstRatio, s.ratio())
			if s.ratio() > 1.1 {
				b.Errorf("%s, wave %d: span %s is %.3f times its slowest deployment's %s (bound 1.1)", l, w+1, s.span, s.ratio(), s.slowest)
			}
		}
		worstRSS = max(worstRSS, float64(f.rss)/1024)
		if f.rss > 80*1024 {
			b.Errorf("%s: the binary's peak RSS %.1f MiB, over 80 MiB", l, float64(f.rss)/1024)
		}
		if l.targets == 1 {
			continue
		}
		for op, n := range f.calls {
			service, _, _ := strings.Cut(op, ":")
			if service != "codedeploy" && service != "s3" {
				continue // per run, or per region
			}
			perTarget := float64(n) / float64(l.targets)
			worstCalls = max(worstCalls, perTarget/float64(max(one.calls[op], 1)))
			if perTarget > pollSpread*float64(one.calls[op]) {
				b.Errorf("%s: %.2f %s calls per target, %d for one target alone (bound: %g times)", l, perTarget, op, one.calls[op], pollSpread)
			}
		}
	}
	b.ReportMetric(worstRatio, "worst-wave-ratio")
	b.ReportMetric(worstRSS, "peak-RSS-MiB")
	b.ReportMetric(worstCalls, "calls/target-vs-1")
	b.ReportMetric(calls(figs[0], "codedeploy"), "cd-calls-1")
	b.ReportMetric(calls(figs[1], "codedeploy")/float64(layouts[1].targets), "cd-calls/target-20x4")
}

// calls counts f's calls to service.
func calls(f targetsFigures, service string) float64 {
	n := 0
	for op, c := range f.calls {
		if strings.HasPrefix(op, service+":") {
			n += c
		}
	}
	return float64(n)
}
