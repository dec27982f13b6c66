package taskdiff

import (
	"encoding/json"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

const (
	repo      = "123456789012.dkr.ecr.us-east-1.amazonaws.com/shop"
	liveImage = repo + "@sha256:1111111111111111111111111111111111111111111111111111111111111111"
	nextImage = repo + "@sha256:2222222222222222222222222222222222222222222222222222222222222222"
)

// live is the task definition as DescribeTaskDefinition gives it: the
// read-only fields, ECS's defaults filled in, environment in another order.
func live(image string) *types.TaskDefinition {
	at := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	return &types.TaskDefinition{
		TaskDefinitionArn:       aws.String("arn:aws:ecs:us-east-1:123456789012:task-definition/shop-web:7"),
		Family:                  aws.String("shop-web"),
		Revision:                7,
		Status:                  types.TaskDefinitionStatusActive,
		RegisteredAt:            &at,
		RegisteredBy:            aws.String("arn:aws:sts::123456789012:assumed-role/deploy/gha"),
		Compatibilities:         []types.Compatibility{types.CompatibilityEc2, types.CompatibilityFargate},
		RequiresAttributes:      []types.Attribute{{Name: aws.String("com.amazonaws.ecs.capability.docker-remote-api.1.18")}},
		RequiresCompatibilities: []types.Compatibility{types.CompatibilityFargate},
		ExecutionRoleArn:        aws.String("arn:aws:iam::123456789012:role/ecsTaskExecutionRole"),
		NetworkMode:             types.NetworkModeAwsvpc,
		Cpu:                     aws.String("256"),
		Memory:                  aws.String("512"),
		ContainerDefinitions: []types.ContainerDefinition{{
			Name: aws.String("web"), Image: aws.String(image), Essential: aws.Bool(true), Cpu: 0,
			PortMappings: []types.PortMapping{{ContainerPort: aws.Int32(8080), HostPort: aws.Int32(8080), Protocol: types.TransportProtocolTcp}},
			Environment: []types.KeyValuePair{
				{Name: aws.String("MODE"), Value: aws.String("prod")},
				{Name: aws.String("LOG_LEVEL"), Value: aws.String("info")},
			},
			Secrets:     []types.Secret{{Name: aws.String("DB_URL"), ValueFrom: aws.String("arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-AbCdEf")}},
			MountPoints: []types.MountPoint{}, VolumesFrom: []types.VolumeFrom{},
			LogConfiguration: &types.LogConfiguration{LogDriver: types.LogDriverAwslogs, Options: map[string]string{
				"awslogs-group": "/ecs/shop", "awslogs-region": "us-east-1", "awslogs-stream-prefix": "web",
			}},
		}},
	}
}

// register is what a deploy would register: the live task definition
// without its read-only fields, image replaced.
func register(td *types.TaskDefinition, image string) *ecs.RegisterTaskDefinitionInput {
	in := &ecs.RegisterTaskDefinitionInput{
		Family: td.Family, ContainerDefinitions: append([]types.ContainerDefinition(nil), td.ContainerDefinitions...),
		RequiresCompatibilities: td.RequiresCompatibilities, ExecutionRoleArn: td.ExecutionRoleArn,
		NetworkMode: td.NetworkMode, Cpu: td.Cpu, Memory: td.Memory,
	}
	in.ContainerDefinitions[0].Image = aws.String(image)
	return in
}

func TestDiff(t *testing.T) {
	t.Parallel()
	var fromFile ecs.RegisterTaskDefinitionInput
	data, err := os.ReadFile("testdata/taskdef.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &fromFile); err != nil {
		t.Fatal(err)
	}
	tests := map[string]struct {
		live, next     any
		images         map[string]string
		removed, added []string
	}{
		"same task definition, new image: only the image line": {
			live: live(liveImage), next: register(live(liveImage), nextImage),
			removed: []string{`      "image": "` + liveImage + `",`},
			added:   []string{`      "image": "` + nextImage + `",`},
		},
		"the file adds an environment variable": {
			live: live(liveImage), next: &fromFile,
			removed: []string{`      "image": "` + liveImage + `",`},
			added: []string{
				`        {"name": "FEATURE_X", "value": "on"},`,
				`      "image": "` + nextImage + `",`,
			},
		},
		"a live image by tag is named by its digest": {
			live: live(repo + ":v1"), next: register(live(liveImage), liveImage),
			images: map[string]string{repo + ":v1": liveImage},
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			diff := Diff(tt.live, tt.next, tt.images)
			removed, added := Changed(diff)
			if !reflect.DeepEqual(removed, tt.removed) || !reflect.DeepEqual(added, tt.added) {
				t.Errorf("Diff removed %q and added %q, want %q and %q; the diff:\n%s", removed, added, tt.removed, tt.added, diff)
			}
			if tt.added == nil && diff != "" {
				t.Errorf("Diff = %q, want none", diff)
			}
			if diff != "" && !strings.HasPrefix(diff, "--- "+LiveLabel+"\n+++ "+NextLabel+"\n@@ ") {
				t.Errorf("Diff does not start as a unified diff of %q and %q:\n%s", LiveLabel, NextLabel, diff)
			}
		})
	}
}

func TestRender(t *testing.T) {
	t.Parallel()
	got := Render(live(liveImage+"&x<y>"), nil)
	for _, noise := range []string{"taskDefinitionArn", "revision", "registeredAt", "registeredBy", "compatibilities", "requiresAttributes", `"status"`, "essential", "hostPort", "tcp", "mountPoints"} {
		if strings.Contains(got, noise) {
			t.Errorf("Render has %s:\n%s", noise, got)
		}
	}
	for _, want := range []string{
		`  "family": "shop-web",`,
		`  "requiresCompatibilities": ["FARGATE"]` + "\n}",
		`        {"containerPort": 8080}`,
		`        {"name": "LOG_LEVEL", "value": "info"},` + "\n" + `        {"name": "MODE", "value": "prod"}`,
		`"awslogs-stream-prefix": "web"`,
		`&x<y>"`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("Render lacks %q:\n%s", want, got)
		}
	}
}
