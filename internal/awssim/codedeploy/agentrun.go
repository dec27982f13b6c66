package codedeploy

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim"
)

// agentRun is an exec deployment's state on the host.
type agentRun struct {
	busy     bool           // a hook runs; the deployment waits for it
	diag     *cdDiagnostics // the last event's failure, if any
	prevRoot string         // the last successful install when the deployment began
}

// cdFleetSize is how many instances a new deployment group has: one for
// in-place groups without traffic control and wherever hooks run on this
// host (the one instance is this host), else two per Auto Scaling group.
func (s *Service) cdFleetSize(g *cdGroup) int {
	st := g.DeploymentStyle
	if s.Agent() != nil || st.DeploymentType != "BLUE_GREEN" && st.DeploymentOption != "WITH_TRAFFIC_CONTROL" {
		return 1
	}
	return 2 * max(len(g.asgs), 1)
}

// agentEvents are the events the exec agent performs; the others (the load
// balancer's AllowTraffic and BlockTraffic) stay simulated.
func agentEvent(name string) bool {
	return name != "AllowTraffic" && name != "BlockTraffic"
}

// execEvent runs an event on this host: it starts, the agent works in real
// time while the deployment waits, and the event ends as the agent says.
func (p *cdPlanner) execEvent(targets []*cdTarget, name string) {
	d, s := p.d, p.s
	p.begin(targets, name)
	p.add(0, func(time.Time) {
		if d.agent == nil {
			d.agent = &agentRun{prevRoot: s.Agent().LastInstall(d.group.id)}
		}
		if f, ok := s.cdLifecycleFault(d, name); ok {
			diag := d.diagnostics(f)
			d.agent.diag = &diag
			return
		}
		d.agent.busy, d.agent.diag = true, nil
		job := s.job(s.Agent(), d, name, targets[0].label == "Blue")
		go s.agentRun(d, job)
	})
	p.add(0, func(t time.Time) {
		if diag := d.agent.diag; diag != nil {
			p.fail(t, targets, name, *diag)
			return
		}
		for _, tg := range targets {
			ev := tg.event(name)
			ev.Status, ev.EndTime = "Succeeded", cdTimePtr(t)
		}
	})
}

// agentRun runs job without the lock, then hands its outcome to the engine.
// A deployment that ends meanwhile (stopped) cancels the job.
func (s *Service) agentRun(d *cdDeployment, job func(ctx context.Context) *cdDiagnostics) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
				s.Lock()
				over := d.terminal()
				s.Unlock()
				if over {
					cancel()
					return
				}
			}
		}
	}()
	diag := job(ctx)
	s.Lock()
	defer s.Unlock()
	d.agent.busy, d.agent.diag = false, diag
	d.last = s.Clock.Now()
}

// job returns the work of one lifecycle event, bound to what it needs from
// the sandbox's state (read now, under the lock). A blue instance has only
// the revision installed before the deployment.
func (s *Service) job(a awssim.HostAgent, d *cdDeployment, event string, blue bool) func(ctx context.Context) *cdDiagnostics {
	root := filepath.Join(a.Root(), d.group.id, d.id)
	switch event {
	case "DownloadBundle":
		msg := d.spec.bundleErr
		if d.revision == nil || d.revision.S3Location == nil {
			msg = "The exec agent downloads S3 revisions only; this deployment has none."
		}
		if msg != "" {
			diag := &cdDiagnostics{ErrorCode: "UnknownError", Message: msg}
			return func(context.Context) *cdDiagnostics { return diag }
		}
		loc := d.revision.S3Location
		bundle, _ := s.Peers.Objects.Object(loc.Bucket, loc.Key)
		return func(context.Context) *cdDiagnostics {
			return unknownError(a.Download(d.group.id, root, bundle, loc.BundleType))
		}
	case "Install":
		return func(context.Context) *cdDiagnostics {
			return unknownError(a.Install(d.group.id, root, d.fileExists))
		}
	}
	if hooksFromLastInstall(event) {
		if _, err := os.Stat(filepath.Join(root, "deployment-archive")); err != nil || blue {
			root = d.agent.prevRoot
		}
	}
	env := s.env(a, d, event)
	return func(ctx context.Context) *cdDiagnostics {
		return fromHook(a.RunHooks(ctx, root, event, env))
	}
}

// hooksFromLastInstall reports whether the agent takes an event's scripts
// from the last successful install when the deployment's own archive is
// not on the instance (the agent's "OldOrIgnore" events).
func hooksFromLastInstall(event string) bool {
	return event == "ApplicationStop" || event == "BeforeBlockTraffic" || event == "AfterBlockTraffic"
}

// env is the environment of a hook script: the sandbox's own, without its
// AWS settings, plus the agent's variables and the instance role's
// credentials, region and endpoint (the sandbox).
func (s *Service) env(a awssim.HostAgent, d *cdDeployment, event string) []string {
	keyID, secret, token := a.Credentials()
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") {
			env = append(env, kv)
		}
	}
	return append(env,
		"LIFECYCLE_EVENT="+event,
		"DEPLOYMENT_ID="+d.id,
		"APPLICATION_NAME="+d.app.ApplicationName,
		"DEPLOYMENT_GROUP_NAME="+d.group.DeploymentGroupName,
		"DEPLOYMENT_GROUP_ID="+d.group.id,
		"AWS_ENDPOINT_URL=http://"+s.HostLocked(),
		"AWS_REGION="+d.app.region,
		"AWS_DEFAULT_REGION="+d.app.region,
		"AWS_ACCESS_KEY_ID="+keyID,
		"AWS_SECRET_ACCESS_KEY="+secret,
		"AWS_SESSION_TOKEN="+token,
	)
}

// unknownError turns an agent error into an UnknownError diagnostic.
func unknownError(err error) *cdDiagnostics {
	if err == nil {
		return nil
	}
	return &cdDiagnostics{ErrorCode: "UnknownError", Message: err.Error()}
}

// fromHook turns the agent's failure into diagnostics.
func fromHook(f *awssim.HookFailure) *cdDiagnostics {
	if f == nil {
		return nil
	}
	return &cdDiagnostics{ErrorCode: f.ErrorCode, ScriptName: f.ScriptName, Message: f.Message, LogTail: f.LogTail}
}
