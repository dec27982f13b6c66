package stopcause

import (
	"context"
	"testing"
)

func TestOf(t *testing.T) {
	run, cancelRun := context.WithCancel(context.Background())
	defer cancelRun()

	ctx, stop := WithStop(run)
	if _, _, ok := Of(ctx); ok {
		t.Error("Of says stopped before anything was")
	}
	stop("target eu-west-1/api failed")
	got, why, ok := Of(ctx)
	if !ok || why != "target eu-west-1/api failed" || got != run || got.Err() != nil {
		t.Errorf("after stop: Of = %v, %q, %v; want the run's live context and the reason", got, why, ok)
	}

	other, _ := WithStop(run)
	cancelRun()
	if _, _, ok := Of(other); ok || other.Err() == nil {
		t.Errorf("the run's own cancel: Of ok = %v, err %v; want not stopped, and cancelled", ok, other.Err())
	}
}

func TestFollow(t *testing.T) {
	run, cancelRun := context.WithCancel(context.Background())
	defer cancelRun()
	ctx, stop := WithStop(run)
	if Follow(ctx) != ctx {
		t.Error("Follow before a stop is not the target's context")
	}
	stop("target eu-west-1/api failed")
	if Follow(ctx) != run {
		t.Error("Follow after a stop is not the run's context")
	}
}
