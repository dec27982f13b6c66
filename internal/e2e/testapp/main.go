// Command testapp is the app image of the end-to-end tests: it answers its
// version (APP_VERSION) on / and "ok" on its health path (HEALTH_PATH,
// default /health), listening on :$PORT (default 8080). HEALTHY=false makes
// the health path answer 503, so a test can ship a version that fails its
// health check. On SIGTERM it finishes in-flight requests, then exits.
// .ci/images.sh builds it statically into bluegreen-deploy/testapp:local.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Getenv, os.Stdout); err != nil {
		log.Fatal(err)
	}
}

func run(ctx context.Context, getenv func(string) string, out io.Writer) error {
	port := cmp(getenv("PORT"), "8080")
	srv := &http.Server{Addr: ":" + port, Handler: handler(getenv, out), ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprintf(out, "testapp %s listening on :%s\n", cmp(getenv("APP_VERSION"), "dev"), port)
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	fmt.Fprintln(out, "testapp stopped")
	return nil
}

// handler answers the version on / and the health check on its path.
func handler(getenv func(string) string, out io.Writer) http.Handler {
	version := cmp(getenv("APP_VERSION"), "dev")
	healthy := getenv("HEALTHY") != "false"
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+cmp(getenv("HEALTH_PATH"), "/health"), func(w http.ResponseWriter, _ *http.Request) {
		if !healthy {
			fmt.Fprintf(out, "testapp %s: health check failed (HEALTHY=false)\n", version)
			http.Error(w, "unhealthy", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintln(w, version)
	})
	return mux
}

// cmp returns v, or def when v is empty.
func cmp(v, def string) string {
	if v == "" {
		return def
	}
	return v
}
