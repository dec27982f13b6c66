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
	scenario := fs.String("scenario", "", "scenario file (YAML) to seed resources and set faults")
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
	srv := sandbox.New(awssim.Options{TimeScale: *scale, Host: ln.Addr().String()})
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
		srv.SetPolicy(p)
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
	hs := &http.Server{Handler: srv}
	go func() {
		<-ctx.Done()
		hs.Close()
	}()
	log.Printf("awssim listening on http://%s (time scale %g)", ln.Addr(), *scale)
	if err := hs.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
