package pipeline

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awscfg"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/config"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/ghdeploy"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/platform"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/report"
)

// member is one deployment target of a run with several (input targets):
// its own configuration, region's clients, reporter and result.
type member struct {
	spec    config.Target
	cfg     *config.Config
	clients *awscfg.Clients
	rep     *report.Reporter
	res     *report.TargetResult
	target  Target
	image   string // the image in the member's region, by digest
}

// fleet is the state of a run's members.
type fleet struct {
	members []*member
	gh      []fleetGitHub // the GitHub deployments, one per environment

	mu  sync.Mutex
	ids map[string]string // deployment ids by member name, as they appear
}

// fleetGitHub is a GitHub deployment and the members it mirrors.
type fleetGitHub struct {
	gh      *ghdeploy.Deployment
	members []*member
}

// newFleet makes one member per target, with the clients of its region
// (and role), loaded once per region.
func (r *run) newFleet(ctx context.Context) error {
	f := &fleet{ids: map[string]string{}}
	clients := map[[2]string]*awscfg.Clients{{r.cfg.AWS.Region, r.cfg.AWS.RoleToAssume}: r.clients}
	for _, t := range r.cfg.Targets {
		m := &member{spec: t, cfg: r.cfg.Target(t)}
		key := [2]string{m.cfg.AWS.Region, m.cfg.AWS.RoleToAssume}
		if clients[key] == nil && r.cfg.NeedsAWS() {
			c, err := awscfg.Load(ctx, m.cfg.AWS, r.env.Getenv)
			if err != nil {
				return fmt.Errorf("target %s: %w", t.Name, err)
			}
			clients[key] = c
		}
		m.clients = clients[key]
		m.res = &report.TargetResult{Name: t.Name, Wave: t.Wave, Region: m.cfg.AWS.Region, Environment: m.cfg.GitHub.Environment, Result: &report.Result{}}
		m.rep = r.rep.For(t.Name, f.output(r.rep, t.Name))
		m.target = platforms[chosen(m.cfg)].new(platform.Env{Config: m.cfg, Clients: m.clients, Report: m.rep, Result: m.res.Result, Clock: r.env.Clock})
		f.members = append(f.members, m)
		r.result.Targets = append(r.result.Targets, m.res)
	}
	r.fleet = f
	return nil
}

// output is a member's step outputs: its deployment id joins the run's
// deployment-id object the moment it exists; the rest waits for the end,
// when the run's outputs are set from every member's result.
func (f *fleet) output(rep *report.Reporter, name string) func(output, value string) {
	return func(output, value string) {
		if output != "deployment-id" {
			return
		}
		f.mu.Lock()
		defer f.mu.Unlock()
		if f.ids[name] == value {
			return
		}
		f.ids[name] = value
		rep.Output("deployment-id", report.DeploymentIDs(f.ids))
	}
}

// each runs fn on every member at once and joins the errors, each named
// with its member.
func (f *fleet) each(members []*member, fn func(*member) error) error {
	errs := make([]error, len(members))
	var wg sync.WaitGroup
	for i, m := range members {
		wg.Go(func() {
			if err := fn(m); err != nil {
				errs[i] = fmt.Errorf("target %s: %w", m.spec.Name, neededByTarget(m.target, err))
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// waves groups the members by wave, in wave order.
func (f *fleet) waves() [][]*member {
	byWave := map[int][]*member{}
	for _, m := range f.members {
		byWave[m.spec.Wave] = append(byWave[m.spec.Wave], m)
	}
	var waves [][]*member
	for _, n := range slices.Sorted(maps.Keys(byWave)) {
		waves = append(waves, byWave[n])
	}
	return waves
}

// regions are the members' regions, each once, in the members' order.
func (f *fleet) regions() []string {
	var rs []string
	for _, m := range f.members {
		if !slices.Contains(rs, m.cfg.AWS.Region) {
			rs = append(rs, m.cfg.AWS.Region)
		}
	}
	return rs
}

// names lists members' names.
func names(ms []*member) string {
	var ns []string
	for _, m := range ms {
		ns = append(ns, m.spec.Name)
	}
	return strings.Join(ns, ", ")
}

// worst is the member whose outcome the run reports: the first that did
// not succeed, else the first.
func worst(ms []*member) *member {
	return slices.MinFunc(ms, func(a, b *member) int {
		return cmp.Compare(rank(a.res.Result.Outcome), rank(b.res.Result.Outcome))
	})
}

// rank orders outcomes from the one a run reports first: failures, then a
// pause, then success.
func rank(o report.Outcome) int {
	switch {
	case o == "":
		return 3 // not started
	case !o.OK():
		return 0
	case o == report.OutcomePaused:
		return 1
	}
	return 2
}

// clientsIn are the clients of a member in region.
func (f *fleet) clientsIn(region string) *awscfg.Clients {
	for _, m := range f.members {
		if m.cfg.AWS.Region == region {
			return m.clients
		}
	}
	return nil
}

// environments are the members' GitHub environments, each once, in the
// members' order; none when no member has one.
func (f *fleet) environments() []string {
	var envs []string
	for _, m := range f.members {
		if env := m.cfg.GitHub.Environment; env != "" && !slices.Contains(envs, env) {
			envs = append(envs, env)
		}
	}
	return envs
}

// inEnvironment are the members whose GitHub environment is env.
func (f *fleet) inEnvironment(env string) []*member {
	var ms []*member
	for _, m := range f.members {
		if m.cfg.GitHub.Environment == env {
			ms = append(ms, m)
		}
	}
	return ms
}
