package agent

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim"
)

// Agent modes: how the lifecycle events of Server deployments happen.
const (
	AgentSimulated = "simulated" // the engine decides every event (the default)
	AgentExec      = "exec"      // this host is the instance: hooks run for real
)

// execAgent is the CodeDeploy agent of the sandbox's one instance, this host.
// It keeps the agent's layout under root: <group-id>/<deployment-id>/
// deployment-archive and logs/scripts.log, and deployment-instructions/
// <group-id>_last_successful_install (and _most_recent_install, _cleanup).
type execAgent struct {
	root  string
	creds agentCreds
}

// agentCreds are the instance profile's temporary credentials.
type agentCreds struct{ keyID, secret, token string }

// agentRun is an exec deployment's state on the host.
type agentRun struct {
	busy     bool           // a hook runs; the deployment waits for it
	diag     *cdDiagnostics // the last event's failure, if any
	prevRoot string         // the last successful install when the deployment began
}

// newExecAgent returns the agent for mode, or nil when hooks are simulated.
func newExecAgent(mode, root string) (*execAgent, error) {
	switch mode {
	case "", AgentSimulated:
		return nil, nil
	case AgentExec:
	default:
		return nil, fmt.Errorf("agent %q: want %s or %s", mode, AgentSimulated, AgentExec)
	}
	if root == "" {
		dir, err := os.MkdirTemp("", "awssim-agent-")
		if err != nil {
			return nil, fmt.Errorf("creating the agent's deployment root: %w", err)
		}
		root = dir
	}
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("agent root %q: %w", root, err)
	}
	if err := os.MkdirAll(filepath.Join(abs, "deployment-instructions"), 0o755); err != nil {
		return nil, fmt.Errorf("creating the agent's deployment root: %w", err)
	}
	return &execAgent{root: abs, creds: agentCreds{
		keyID:  "ASIA" + strings.ToUpper(awssim.RandomAlnum(16)),
		secret: awssim.RandomAlnum(40),
		token:  awssim.RandomAlnum(200),
	}}, nil
}

// SetAgent switches the lifecycle engine between AgentSimulated and AgentExec;
// root is the exec agent's deployment root (empty: a new temporary folder).
// It affects deployments created afterwards.
func (s *Service) SetAgent(mode, root string) error {
	a, err := newExecAgent(mode, root)
	if err != nil {
		return err
	}
	s.Lock()
	defer s.Unlock()
	s.agent = a
	return nil
}

// AgentRoot returns the exec agent's deployment root, or "" when hooks are
// simulated.
func (s *Service) AgentRoot() string {
	s.Lock()
	defer s.Unlock()
	if s.agent == nil {
		return ""
	}
	return s.agent.root
}

// cdFleetSize is how many instances a new deployment group has: one for
// in-place groups without traffic control and wherever hooks run on this
// host (the one instance is this host), else two per Auto Scaling group.
func (s *Service) cdFleetSize(g *cdGroup) int {
	st := g.DeploymentStyle
	if s.agent != nil || st.DeploymentType != "BLUE_GREEN" && st.DeploymentOption != "WITH_TRAFFIC_CONTROL" {
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
			d.agent = &agentRun{prevRoot: s.agent.lastInstall(d.group.id)}
		}
		if f, ok := s.cdLifecycleFault(d, name); ok {
			diag := d.diagnostics(f)
			d.agent.diag = &diag
			return
		}
		d.agent.busy, d.agent.diag = true, nil
		job := s.agent.job(s, d, name, targets[0].label == "Blue")
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
func (a *execAgent) job(s *Server, d *cdDeployment, event string, blue bool) func(ctx context.Context) *cdDiagnostics {
	root := a.deploymentRoot(d)
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
		bundle, _ := s.s3Object(loc.Bucket, loc.Key)
		return func(context.Context) *cdDiagnostics {
			return unknownError(a.download(d.group.id, root, bundle, loc.BundleType))
		}
	case "Install":
		return func(context.Context) *cdDiagnostics {
			return unknownError(a.install(d.group.id, root, d.fileExists))
		}
	}
	if hooksFromLastInstall(event) {
		if _, err := os.Stat(filepath.Join(root, "deployment-archive")); err != nil || blue {
			root = d.agent.prevRoot
		}
	}
	env := a.env(s, d, event)
	return func(ctx context.Context) *cdDiagnostics {
		return runHooks(ctx, root, event, env)
	}
}

// hooksFromLastInstall reports whether the agent takes an event's scripts
// from the last successful install when the deployment's own archive is
// not on the instance (the agent's "OldOrIgnore" events).
func hooksFromLastInstall(event string) bool {
	return event == "ApplicationStop" || event == "BeforeBlockTraffic" || event == "AfterBlockTraffic"
}

// deploymentRoot is <root>/<group-id>/<deployment-id>.
func (a *execAgent) deploymentRoot(d *cdDeployment) string {
	return filepath.Join(a.root, d.group.id, d.id)
}

// env is the environment of a hook script: the sandbox's own, without its
// AWS settings, plus the agent's variables and the instance role's
// credentials, region and endpoint (the sandbox).
func (a *execAgent) env(s *Server, d *cdDeployment, event string) []string {
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
		"AWS_ENDPOINT_URL=http://"+s.host,
		"AWS_REGION="+d.app.region,
		"AWS_DEFAULT_REGION="+d.app.region,
		"AWS_ACCESS_KEY_ID="+a.creds.keyID,
		"AWS_SECRET_ACCESS_KEY="+a.creds.secret,
		"AWS_SESSION_TOKEN="+a.creds.token,
	)
}

// unknownError turns an agent error into an UnknownError diagnostic.
func unknownError(err error) *cdDiagnostics {
	if err == nil {
		return nil
	}
	return &cdDiagnostics{ErrorCode: "UnknownError", Message: err.Error()}
}
