package main

import (
	"context"
	"errors"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/smithy-go"
)

func TestIAMPolicyFlag(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte(`{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "*"}}`), 0o600)
	if err := run(context.Background(), []string{"-addr", "127.0.0.1:0", "-iam-policy", bad}); err == nil || !strings.Contains(err.Error(), bad) {
		t.Errorf("bad policy: got %v, want an error naming %s", err, bad)
	}

	good := filepath.Join(dir, "policy.json")
	os.WriteFile(good, []byte(`{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "ecr:CreateRepository", "Resource": "*"}]}`), 0o600)
	addr, ctx := serve(t, "-iam-policy", good), context.Background()
	client := ecr.NewFromConfig(aws.Config{
		Region: "us-east-1", BaseEndpoint: aws.String("http://" + addr),
		Credentials: credentials.NewStaticCredentialsProvider("AKIASANDBOX", "sandbox-secret", ""),
	})
	if _, err := client.CreateRepository(ctx, &ecr.CreateRepositoryInput{RepositoryName: aws.String("app")}); err != nil {
		t.Errorf("allowed CreateRepository: %v", err)
	}
	_, err := client.GetAuthorizationToken(ctx, &ecr.GetAuthorizationTokenInput{})
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "AccessDeniedException" {
		t.Errorf("GetAuthorizationToken outside the policy: got %v, want AccessDeniedException", err)
	}
}

// TestAgentRootOnExit runs the sandbox with -agent exec until its context
// ends: the agent's deployment root goes with it, unless -keep-agent-root;
// a root that was there before keeps what it held.
func TestAgentRootOnExit(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name     string
		existing bool
		keep     bool
		scenario bool     // agent: exec from a scenario instead of -agent exec
		want     []string // the root's entries after the exit; nil: no root
	}{
		{name: "new root removed"},
		{name: "new root kept", keep: true, want: []string{"deployment-instructions"}},
		{name: "existing root keeps its own files", existing: true, want: []string{"mine.txt"}},
		{name: "existing root kept", existing: true, keep: true, want: []string{"deployment-instructions", "mine.txt"}},
		{name: "scenario's exec agent uses -agent-root", scenario: true, keep: true, want: []string{"deployment-instructions"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			root := filepath.Join(t.TempDir(), "root")
			if tt.existing {
				if err := os.MkdirAll(root, 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(root, "mine.txt"), []byte("x"), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			args := []string{"-addr", "127.0.0.1:0", "-agent", "exec", "-agent-root", root}
			if tt.scenario {
				sc := filepath.Join(t.TempDir(), "exec.yaml")
				if err := os.WriteFile(sc, []byte("agent: exec\n"), 0o600); err != nil {
					t.Fatal(err)
				}
				args = []string{"-addr", "127.0.0.1:0", "-scenario", sc, "-agent-root", root}
			}
			if tt.keep {
				args = append(args, "-keep-agent-root")
			}
			ctx, cancel := context.WithCancel(context.Background())
			cancel() // serve nothing: start, then exit at once
			if err := run(ctx, args); err != nil {
				t.Fatal(err)
			}
			entries, err := os.ReadDir(root)
			if tt.want == nil {
				if !errors.Is(err, os.ErrNotExist) {
					t.Errorf("agent root after exit: got %v (err %v), want it removed", entries, err)
				}
				return
			}
			var got []string
			for _, e := range entries {
				got = append(got, e.Name())
			}
			if strings.Join(got, ",") != strings.Join(tt.want, ",") {
				t.Errorf("agent root after exit holds %v, want %v", got, tt.want)
			}
		})
	}
}

// TestRegionsFlag: with -regions, -addr routes each call by the region it
// is signed for and the other regions' registries have ports of their own.
func TestRegionsFlag(t *testing.T) {
	t.Parallel()
	if err := run(context.Background(), []string{"-addr", "127.0.0.1:0", "-regions", "us-east-1,eu_west"}); err == nil || !strings.Contains(err.Error(), `-regions "us-east-1,eu_west"`) {
		t.Errorf("bad -regions: got %v, want an error naming the flag", err)
	}
	addr := serve(t, "-regions", "us-east-1,eu-west-1")
	ctx := context.Background()
	uri := func(region string) string {
		client := ecr.NewFromConfig(aws.Config{
			Region: region, BaseEndpoint: aws.String("http://" + addr),
			Credentials: credentials.NewStaticCredentialsProvider("AKIASANDBOX", "sandbox-secret", ""),
		})
		out, err := client.CreateRepository(ctx, &ecr.CreateRepositoryInput{RepositoryName: aws.String("app")})
		if err != nil {
			t.Fatalf("CreateRepository in %s: %v", region, err)
		}
		return aws.ToString(out.Repository.RepositoryUri)
	}
	us, eu := uri("us-east-1"), uri("eu-west-1") // the same name twice: two registries
	if us != addr+"/app" || eu == us || !strings.HasPrefix(eu, "127.0.0.1:") {
		t.Errorf("repositoryUri us-east-1 %s, eu-west-1 %s: want %s/app and another port of 127.0.0.1", us, eu, addr)
	}
}

// serve runs awssim with args on a free loopback address until the test
// ends, and returns the address once it answers.
func serve(t *testing.T, args ...string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx, append([]string{"-addr", addr}, args...)) }()
	t.Cleanup(func() { cancel(); <-done })
	for i := 0; ; i++ {
		if resp, err := http.Get("http://" + addr + "/_awssim/health"); err == nil {
			resp.Body.Close()
			return addr
		}
		if i == 100 {
			t.Fatal("awssim did not start")
		}
		time.Sleep(20 * time.Millisecond)
	}
}
