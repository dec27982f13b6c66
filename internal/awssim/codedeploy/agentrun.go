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
	// recentRoot is, for a blue/green rollback, the rolled-back
	// deployment's root: the replacement instances' most recent install.
	recentRoot string
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
	run := awssim.HookRun{Event: event, Root: root, Revision: d.hookRevision(root, event, blue), Env: s.env(a, d, event)}
	return func(ctx context.Context) *cdDiagnostics {
		return fromHook(a.RunHooks(ctx, run))
	}
}

// hookRevision returns the deployment root whose revision's scripts an
// event runs, as the agent's HookExecutor chooses it
// (select_correct_deployment_root_dir): the deployment's own, unless its
// archive is not on the instance, then for ApplicationStop and the
// BlockTraffic events the last successful install (LastSuccessfulOrIgnore)
// and, in a blue/green rollback, the most recent install for the
// BlockTraffic events (MostRecentOrIgnore) and the last successful one for
// the AllowTraffic events. On this host the deployment's archive is there
// for every target, so a blue (original) instance's is taken as absent,
// and a replacement instance that copies the Auto Scaling group is new: it
// has no last install, so its ApplicationStop runs nothing ("" ).
func (d *cdDeployment) hookRevision(root, event string, blue bool) string {
	if _, err := os.Stat(filepath.Join(root, "deployment-archive")); err == nil && !blue {
		return root
	}
	blueGreen := d.style.DeploymentType == "BLUE_GREEN"
	block := event == "BeforeBlockTraffic" || event == "AfterBlockTraffic"
	allow := event == "BeforeAllowTraffic" || event == "AfterAllowTraffic"
	switch {
	case blueGreen && d.creator == cdRollbackCreator && block:
		return d.agent.recentRoot
	case blueGreen && d.creator == cdRollbackCreator && allow:
		return d.agent.prevRoot
	case event == "ApplicationStop" && blueGreen && !blue && d.blueGreen.copiesASG():
		return ""
	case event == "ApplicationStop" || block:
		return d.agent.prevRoot
	}
	return root
}

// env is the environment of a hook script as the agent gives it
// (HookExecutor's child_envs and CommandExecutor's get_s3_envs, added to
// the agent's own environment): LIFECYCLE_EVENT, DEPLOYMENT_ID,
// APPLICATION_NAME, DEPLOYMENT_GROUP_NAME, DEPLOYMENT_GROUP_ID and, for an
// S3 revision, BUNDLE_BUCKET, BUNDLE_KEY and BUNDLE_VERSION and BUNDLE_ETAG
// when the revision names them (the agent unsets a nil value). The agent's
// own environment is the sandbox's without its AWS settings, and HOME is
// the agent's home, whose AWS config points the AWS CLI and SDKs at the
// sandbox and its instance metadata service (see awssim.HostAgent.Home and ServeMetadata):
// no region, keys or endpoint variables, as on EC2.
func (s *Service) env(a awssim.HostAgent, d *cdDeployment, event string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") && !strings.HasPrefix(kv, "HOME=") {
			env = append(env, kv)
		}
	}
	env = append(env,
		"HOME="+a.Home("http://"+s.HostLocked(), d.app.region),
		"LIFECYCLE_EVENT="+event,
		"DEPLOYMENT_ID="+d.id,
		"APPLICATION_NAME="+d.app.ApplicationName,
		"DEPLOYMENT_GROUP_NAME="+d.group.DeploymentGroupName,
		"DEPLOYMENT_GROUP_ID="+d.group.id,
	)
	if d.revision != nil && d.revision.S3Location != nil {
		loc := d.revision.S3Location
		env = append(env, "BUNDLE_BUCKET="+loc.Bucket, "BUNDLE_KEY="+loc.Key)
		if loc.Version != "" {
			env = append(env, "BUNDLE_VERSION="+loc.Version)
		}
		if loc.ETag != "" {
			env = append(env, "BUNDLE_ETAG="+loc.ETag)
		}
	}
	return env
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
