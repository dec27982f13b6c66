package ecsnative_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/platform/ecsnative"
)

func TestClearActive(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		policy ecsnative.OnActive
		ended  types.ServiceDeploymentStatus // the active deployment's end; "": left running
	}{
		{ecsnative.ActiveWait, types.ServiceDeploymentStatusSuccessful},
		{ecsnative.ActiveStop, types.ServiceDeploymentStatusRollbackSuccessful},
		{ecsnative.ActiveFail, ""},
	} {
		t.Run(string(tt.policy), func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			s, active := f.start(t, "api-native", false)
			err := f.drv.Clear(context.Background(), s, tt.policy, time.Hour)
			if tt.ended == "" {
				if !errors.Is(err, ecsnative.ErrActive) || f.describe(t, active).Status != types.ServiceDeploymentStatusPending {
					t.Fatalf("fail: %v, the active deployment is %s", err, f.describe(t, active).Status)
				}
				return
			}
			if err != nil {
				t.Fatalf("%v\n%s", err, f.log)
			}
			if got := f.describe(t, active).Status; got != tt.ended {
				t.Errorf("the active deployment ended %s, want %s", got, tt.ended)
			}
			if err := f.drv.Clear(context.Background(), s, ecsnative.ActiveFail, time.Hour); err != nil {
				t.Errorf("after clearing: %v", err)
			}
			f.sent.checkRequests(t)
		})
	}
}

func TestDefaultTimeout(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	for service, want := range map[string]time.Duration{
		"api-native": 35 * time.Minute, // 30 + bake 5
		"api-linear": 36 * time.Minute, // 30 + bake 1 + 5 steps of 1
		"api-canary": 33 * time.Minute, // 30 + bake 1 + canary 2
	} {
		s, err := f.drv.Discover(context.Background(), "prod", service, false)
		if err != nil {
			t.Fatal(err)
		}
		if got := s.DefaultTimeout(); got != want {
			t.Errorf("%s: %s, want %s", service, got, want)
		}
	}
}
