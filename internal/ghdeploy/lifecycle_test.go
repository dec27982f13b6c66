package ghdeploy

import (
	"context"
	"testing"
	"time"
)

func TestWithGrace(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	cleanup, stop := WithGrace(ctx, 200*time.Millisecond)
	defer stop()
	cancel()
	start := time.Now()
	select {
	case <-cleanup.Done():
		t.Fatal("the clean-up context ended with the run's")
	case <-time.After(100 * time.Millisecond):
	}
	<-cleanup.Done()
	if waited := time.Since(start); waited < 200*time.Millisecond || waited > 2*time.Second {
		t.Errorf("the clean-up context ended %s after the cancel, want about 200ms", waited)
	}
}
