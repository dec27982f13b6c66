// Command awssim runs the AWS sandbox: one HTTP server emulating the AWS
// services bluegreen-deploy uses. See package awssim for the scenario schema.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim/sandbox"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "awssim:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("awssim", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:4566", "host:port to listen on")
	regions := fs.String("regions", "", "comma-separated regions (e.g. us-east-1,eu-west-1), each a sandbox of its own: -addr routes API calls by the region they are signed for, the first region answers the rest, the others listen on ephemeral ports of the -addr host (default: one sandbox for every region)")
	scenario := fs.String("scenario", "", "scenario file (YAML) to seed resources and set faults (in the first region)")
	scale := fs.Float64("time-scale", awssim.DefaultTimeScale, "simulated seconds per wall-clock second")
	agent := fs.String("agent", awssim.AgentSimulated, "how Server lifecycle hooks happen: simulated, or exec (run on this host)")
	agentRoot := fs.String("agent-root", "", "exec agent's deployment root (default: a new temporary folder)")
	keepRoot := fs.Bool("keep-agent-root", false, "keep what the exec agent made under its deployment root on exit (default: remove it)")
	policy := fs.String("iam-policy", "", "IAM policy document (JSON) that every call is authorized against")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	defer ln.Close()
	front, sandboxes, err := assemble(ln, *regions, *scale)
	if err != nil {
		return err
	}
	for _, r := range sandboxes[1:] {
		defer r.ln.Close()
	}
	srv := sandboxes[0].sb
	if err := srv.SetAgent(*agent, *agentRoot); err != nil {
		return err
	}
	if !*keepRoot {
		defer func() {
			if err := srv.Close(); err != nil {
				log.Printf("awssim: removing the exec agent's deployments: %v", err)
			}
		}()
	}
	if *policy != "" {
		p, err := awssim.LoadPolicy(*policy)
		if err != nil {
			return err
		}
		for _, r := range sandboxes {
			r.sb.SetPolicy(p)
		}
	}
	if *scenario != "" {
		sc, err := awssim.LoadScenario(*scenario)
		if err != nil {
			return err
		}
		if sc.AgentRoot == "" {
			sc.AgentRoot = *agentRoot // for the scenario's agent: exec
		}
		if err := srv.Apply(sc); err != nil {
			return fmt.Errorf("applying %s: %w", *scenario, err)
		}
	}
	if root := srv.AgentRoot(); root != "" {
		log.Printf("awssim exec agent: Server hooks run on this host, deployment root %s", root)
	}
	servers := []*http.Server{{Handler: front}}
	for _, r := range sandboxes[1:] {
		hs := &http.Server{Handler: r.sb}
		servers = append(servers, hs)
		go hs.Serve(r.ln)
	}
	go func() {
		<-ctx.Done()
		for _, hs := range servers {
			hs.Close()
		}
	}()
	log.Printf("awssim listening on http://%s (time scale %g)", ln.Addr(), *scale)
	if *regions != "" {
		for i, r := range sandboxes {
			role := "its registry and API calls"
			if i == 0 {
				role = "the default region: the front above"
			}
			log.Printf("awssim region %s at http://%s (%s)", r.sb.Region(), r.ln.Addr(), role)
		}
	}
	if err := servers[0].Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// region is one region's sandbox and the listener of its registry.
type region struct {
	sb *sandbox.Sandbox
	ln net.Listener
}

// assemble returns the handler for ln and the sandboxes, the default first:
// with no regions, one sandbox on ln; else a sandbox per region, the first
// on ln behind the front, each other on a new listener of ln's host.
func assemble(ln net.Listener, regions string, scale float64) (http.Handler, []region, error) {
	if regions == "" {
		sb := sandbox.New(awssim.Options{TimeScale: scale, Host: ln.Addr().String()})
		return sb, []region{{sb, ln}}, nil
	}
	rs, err := sandbox.NewRegions(awssim.Options{TimeScale: scale}, strings.Split(regions, ",")...)
	if err != nil {
		return nil, nil, fmt.Errorf("-regions %q: %w", regions, err)
	}
	host, _, _ := net.SplitHostPort(ln.Addr().String())
	out := []region{{rs.Default(), ln}}
	for _, name := range rs.Names()[1:] {
		l, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
		if err != nil {
			for _, r := range out[1:] {
				r.ln.Close()
			}
			return nil, nil, fmt.Errorf("listening for region %s: %w", name, err)
		}
		out = append(out, region{rs.Sandbox(name), l})
	}
	for _, r := range out {
		r.sb.SetHost(r.ln.Addr().String())
	}
	return rs, out, nil
}
