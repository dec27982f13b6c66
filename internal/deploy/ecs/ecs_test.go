package ecs

import (
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/deploy"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/appspecs")

const (
	taskDefs = "../../../testdata/taskdefs"
	appSpecs = "../../../testdata/appspecs"
)

func TestParseTaskDefinition(t *testing.T) {
	t.Parallel()
	tests := []struct {
		file    string
		wantErr string // "": parses
	}{
		{file: "api.json"},
		{file: "described.json"},
		{file: "cli-skeleton.json"}, // every field aws ecs register-task-definition takes (aws-cli 1.45)
		{file: "unknown-field.json", wantErr: `unknown-field.json:9:7: unknown field "memoryReservaton"`},
		{file: "bad-json.json", wantErr: `bad-json.json:7:7: not valid JSON: invalid character '"' after object key:value pair`},
		{file: "wrong-type.json", wantErr: `wrong-type.json:8:48: containerDefinitions.portMappings.containerPort: a JSON string where a whole number is expected`},
		{file: "wrong-case.json", wantErr: `wrong-case.json:2:3: unknown field "Family" (did you mean "family"?)`},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			file := filepath.Join(taskDefs, tt.file)
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			// The skeleton's values are empty; give it a family.
			data = []byte(strings.Replace(string(data), `"family": ""`, `"family": "api"`, 1))
			got, err := ParseTaskDefinition(file, data)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				if len(got.ContainerDefinitions) == 0 || aws.ToString(got.Family) == "" {
					t.Errorf("got %+v, want a family and containers", got)
				}
				return
			}
			var te *TaskDefinitionError
			if !errors.As(err, &te) || te.Line == 0 {
				t.Fatalf("got error %v (%T), want a *TaskDefinitionError with a line", err, err)
			}
			if got := strings.TrimPrefix(err.Error(), taskDefs+"/"); got != tt.wantErr {
				t.Errorf("got  %s\nwant %s", got, tt.wantErr)
			}
		})
	}
}

func TestParseTaskDefinitionWholeFileErrors(t *testing.T) {
	t.Parallel()
	tests := []struct{ data, want string }{
		{"", "td.json: is empty: expected a JSON object like register-task-definition's input"},
		{"[]", "td.json:1:2: expected a JSON object like register-task-definition's input"},
		{`{"family": "api"}`, "td.json: has no containerDefinitions"},
		{`{"containerDefinitions": [{"name": "app"}]}`, "td.json: has no family"},
		{`{"family": "api", "containerDefinitions": [{"name": "app"}]} {}`, "td.json:1:63: unexpected data after the task definition's closing brace"},
		{`{"family": "api", "containerDefinitions": [`, "td.json: not valid JSON: the file ends inside a value"},
	}
	for _, tt := range tests {
		_, err := ParseTaskDefinition("td.json", []byte(tt.data))
		if err == nil || err.Error() != tt.want {
			t.Errorf("%q: got error %v, want %s", tt.data, err, tt.want)
		}
	}
}

// FuzzParseTaskDefinition checks that any input gives a task definition
// with a family and containers, or a *TaskDefinitionError.
func FuzzParseTaskDefinition(f *testing.F) {
	for _, name := range []string{"api.json", "described.json", "bad-json.json", "unknown-field.json", "wrong-type.json"} {
		data, err := os.ReadFile(filepath.Join(taskDefs, name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		td, err := ParseTaskDefinition("td.json", data)
		var te *TaskDefinitionError
		switch {
		case err != nil && !errors.As(err, &te):
			t.Fatalf("error %v is a %T, want *TaskDefinitionError", err, err)
		case err != nil && te.Line > 0 && te.Line > strings.Count(string(data), "\n")+1:
			t.Fatalf("error at line %d of a %d-line file", te.Line, strings.Count(string(data), "\n")+1)
		case err == nil && (aws.ToString(td.Family) == "" || len(td.ContainerDefinitions) == 0):
			t.Fatalf("no error, but family %q and %d containers", aws.ToString(td.Family), len(td.ContainerDefinitions))
		}
	})
}

// TestRegisterInputCopiesEveryField fails when the SDK grows a task
// definition field that registerInput does not carry over, or a read-only
// one it should know about.
func TestRegisterInputCopiesEveryField(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile(filepath.Join(taskDefs, "cli-skeleton.json"))
	if err != nil {
		t.Fatal(err)
	}
	var described types.TaskDefinition
	var want ecs.RegisterTaskDefinitionInput
	if err := json.Unmarshal(data, &described); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &want); err != nil {
		t.Fatal(err)
	}
	got := registerInput(&described)
	in, td := reflect.TypeFor[ecs.RegisterTaskDefinitionInput](), reflect.TypeFor[types.TaskDefinition]()
	notCarried := map[string]bool{
		"Tags":                  true, // not part of a described task definition
		"InferenceAccelerators": true, // deprecated: Elastic Inference is no longer available
	}
	for f := range in.Fields() {
		if !f.IsExported() || notCarried[f.Name] {
			continue
		}
		if _, ok := td.FieldByName(f.Name); !ok {
			t.Errorf("RegisterTaskDefinitionInput.%s has no TaskDefinition counterpart: decide whether to carry it", f.Name)
			continue
		}
		g, w := reflect.ValueOf(got).Elem().FieldByName(f.Name), reflect.ValueOf(&want).Elem().FieldByName(f.Name)
		if !reflect.DeepEqual(g.Interface(), w.Interface()) {
			t.Errorf("%s: got %v, want %v", f.Name, g, w)
		}
	}
	var readOnly []string
	for f := range td.Fields() {
		if _, ok := in.FieldByName(f.Name); f.IsExported() && !ok {
			readOnly = append(readOnly, lowerFirst(f.Name))
		}
	}
	for _, name := range readOnly {
		if !readOnlyTaskDefinitionFields[name] {
			t.Errorf("TaskDefinition.%s is not in register-task-definition's input and not known as read-only", name)
		}
	}
	if len(readOnly) != len(readOnlyTaskDefinitionFields) {
		t.Errorf("read-only fields of TaskDefinition: %v, want %d", readOnly, len(readOnlyTaskDefinitionFields))
	}
}

const (
	digestImage = "123456789012.dkr.ecr.us-east-1.amazonaws.com/api@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	dbARN       = "arn:aws:secretsmanager:us-east-1:123456789012:secret:api/db-AbCdEf"
)

func TestSetContainer(t *testing.T) {
	t.Parallel()
	existing := types.Secret{Name: aws.String("DATADOG_API_KEY"), ValueFrom: aws.String("arn:aws:secretsmanager:us-east-1:123456789012:secret:datadog-Xy12Ab")}
	base := func() *ecs.RegisterTaskDefinitionInput {
		return &ecs.RegisterTaskDefinitionInput{
			Family:           aws.String("api"),
			ExecutionRoleArn: aws.String("arn:aws:iam::123456789012:role/exec"),
			ContainerDefinitions: []types.ContainerDefinition{
				{Name: aws.String("app"), Image: aws.String("old"), Secrets: []types.Secret{existing},
					Environment: []types.KeyValuePair{{Name: aws.String("LOG_LEVEL"), Value: aws.String("info")}}},
				{Name: aws.String("envoy"), Image: aws.String("envoy:1")},
			},
		}
	}
	tests := []struct {
		name        string
		container   string
		secrets     []deploy.SecretRef
		change      func(*ecs.RegisterTaskDefinitionInput)
		wantSecrets []string // name=valueFrom of the container's secrets
		wantErr     string
	}{
		{name: "image only", container: "app", wantSecrets: []string{"DATADOG_API_KEY=" + aws.ToString(existing.ValueFrom)}},
		{name: "secrets added, JSON key form kept", container: "app",
			secrets:     []deploy.SecretRef{{Name: "DB_PASSWORD", ValueFrom: dbARN + ":password::"}, {Name: "API_TOKEN", ValueFrom: dbARN}},
			wantSecrets: []string{"DATADOG_API_KEY=" + aws.ToString(existing.ValueFrom), "DB_PASSWORD=" + dbARN + ":password::", "API_TOKEN=" + dbARN}},
		{name: "same name replaced", container: "app",
			secrets:     []deploy.SecretRef{{Name: "DATADOG_API_KEY", ValueFrom: dbARN}},
			wantSecrets: []string{"DATADOG_API_KEY=" + dbARN}},
		{name: "sidecar", container: "envoy", secrets: []deploy.SecretRef{{Name: "X", ValueFrom: dbARN}}, wantSecrets: []string{"X=" + dbARN}},
		{name: "missing container", container: "worker",
			wantErr: `task definition "api" has no container "worker" (its containers: "app", "envoy"); set container-name`},
		{name: "secret shadows environment", container: "app", secrets: []deploy.SecretRef{{Name: "LOG_LEVEL", ValueFrom: dbARN}},
			wantErr: `container "app" of task definition "api" sets LOG_LEVEL in its environment, and LOG_LEVEL is also a secret: remove one`},
		{name: "value instead of ARN", container: "app", secrets: []deploy.SecretRef{{Name: "DB", ValueFrom: "hunter2"}},
			wantErr: `secret reference DB: "hunter2" is not an ARN`},
		{name: "bad env name", container: "app", secrets: []deploy.SecretRef{{Name: "db-password", ValueFrom: dbARN}},
			wantErr: `secret reference "db-password": the name is not an env variable name`},
		{name: "no execution role", container: "envoy", secrets: []deploy.SecretRef{{Name: "X", ValueFrom: dbARN}},
			change:  func(td *ecs.RegisterTaskDefinitionInput) { td.ExecutionRoleArn = nil },
			wantErr: `task definition "api" has no executionRoleArn: ECS reads container "envoy"'s secrets with the task execution role, so one is required`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			td := base()
			if tt.change != nil {
				tt.change(td)
			}
			err := setContainer(td, tt.container, digestImage, tt.secrets)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("got error %v\nwant %s", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range td.ContainerDefinitions {
				name, image := aws.ToString(c.Name), aws.ToString(c.Image)
				if name != tt.container {
					if want := aws.ToString(base().ContainerDefinitions[slices.IndexFunc(base().ContainerDefinitions, func(x types.ContainerDefinition) bool { return aws.ToString(x.Name) == name })].Image); image != want {
						t.Errorf("container %s: image %q, want it untouched (%q)", name, image, want)
					}
					continue
				}
				if image != digestImage {
					t.Errorf("container %s: image %q, want %q", name, image, digestImage)
				}
				var got []string
				for _, s := range c.Secrets {
					got = append(got, aws.ToString(s.Name)+"="+aws.ToString(s.ValueFrom))
				}
				if !slices.Equal(got, tt.wantSecrets) {
					t.Errorf("secrets\ngot  %v\nwant %v", got, tt.wantSecrets)
				}
			}
		})
	}
}

func TestParseECSTemplate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, data, wantErr string
	}{
		{name: "hooks only", data: "Hooks:\n  - AfterAllowTestTraffic: smoke\n"},
		{name: "JSON", data: `{"version": 0.0, "Hooks": [{"BeforeInstall": "f"}]}`},
		{name: "server hook", data: "version: 0.0\nHooks:\n  - ValidateService: f\n", wantErr: "a.yaml:3: ValidateService is not a hook of an ECS deployment ([BeforeInstall AfterInstall AfterAllowTestTraffic BeforeAllowTraffic AfterAllowTraffic])"},
		{name: "version", data: "version: 1.0\n", wantErr: "a.yaml:1: version must be 0.0"},
		{name: "unknown section", data: "version: 0.0\nhooks:\n  - BeforeInstall: f\n", wantErr: "a.yaml:2: hooks is not a section of an ECS AppSpec (version, Resources, Hooks)"},
		{name: "empty function", data: "Hooks:\n  - BeforeInstall: \"\"\n", wantErr: "a.yaml:2: BeforeInstall must name a Lambda function"},
		{name: "two resources", data: "Resources:\n  - A: {Type: AWS::ECS::Service}\n  - B: {Type: AWS::ECS::Service}\n", wantErr: "a.yaml:2: Resources must be a list of one AWS::ECS::Service resource"},
		{name: "lambda resource", data: "Resources:\n  - A:\n      Type: AWS::Lambda::Function\n", wantErr: "a.yaml:3: the resource's Type must be AWS::ECS::Service"},
		{name: "unknown property", data: "Resources:\n  - A:\n      Type: AWS::ECS::Service\n      Properties:\n        DesiredCount: 2\n", wantErr: "a.yaml:5: DesiredCount is not a property of an AWS::ECS::Service resource"},
		{name: "not YAML", data: "Hooks: [", wantErr: "a.yaml: not valid YAML: yaml: line 1: did not find expected node content"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := parseECSTemplate("a.yaml", []byte(tt.data))
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			var ae *deploy.AppSpecError
			if !errors.As(err, &ae) || err.Error() != tt.wantErr {
				t.Errorf("got error %v (%T)\nwant %s", err, err, tt.wantErr)
			}
		})
	}
	if err := CheckAppSpec(filepath.Join(appSpecs, "bad-hook.yaml")); err == nil || !strings.HasSuffix(err.Error(), "bad-hook.yaml:4: ValidateService is not a hook of an ECS deployment ([BeforeInstall AfterInstall AfterAllowTestTraffic BeforeAllowTraffic AfterAllowTraffic])") {
		t.Errorf("bad-hook.yaml: got %v, want line 4 refused", err)
	}
	tmpl, err := loadECSTemplate(filepath.Join(appSpecs, "wrong-port.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := tmpl.checkLoadBalancer("app", 8080); err == nil || !strings.HasSuffix(err.Error(), "wrong-port.yaml:9: ContainerPort 9090 is not the port the service's load balancer routes to (8080)") {
		t.Errorf("wrong-port.yaml: got %v, want line 9 refused", err)
	}
}

// TestRenderECSAppSpec compares rendered AppSpecs with
// testdata/appspecs/*.golden.yaml (go test -update rewrites them).
func TestRenderECSAppSpec(t *testing.T) {
	t.Parallel()
	const arn = "arn:aws:ecs:us-east-1:123456789012:task-definition/api:8"
	lb := types.LoadBalancer{ContainerName: aws.String("app"), ContainerPort: aws.Int32(8080)}
	fargate := ecsPlacement{
		platformVersion: "1.4.0",
		network: &types.NetworkConfiguration{AwsvpcConfiguration: &types.AwsVpcConfiguration{
			Subnets: []string{"subnet-0a1b2c3d", "subnet-4e5f6a7b"}, SecurityGroups: []string{"sg-0123abcd"}, AssignPublicIp: types.AssignPublicIpDisabled,
		}},
	}
	spot := ecsPlacement{capacity: []types.CapacityProviderStrategyItem{
		{CapacityProvider: aws.String("FARGATE"), Base: 1, Weight: 1},
		{CapacityProvider: aws.String("FARGATE_SPOT"), Weight: 3},
	}, network: fargate.network}
	tests := []struct {
		golden   string
		place    ecsPlacement
		template string
	}{
		{golden: "minimal.golden.yaml"},
		{golden: "fargate.golden.yaml", place: fargate},
		{golden: "capacity-providers.golden.yaml", place: spot, template: "hooks-only.yaml"},
		{golden: "template.golden.yaml", place: fargate, template: "hooks.yaml"},
	}
	for _, tt := range tests {
		t.Run(tt.golden, func(t *testing.T) {
			t.Parallel()
			var tmpl *ecsTemplate
			if tt.template != "" {
				var err error
				if tmpl, err = loadECSTemplate(filepath.Join(appSpecs, tt.template)); err != nil {
					t.Fatal(err)
				}
			}
			got, err := renderECSAppSpec(arn, lb, tt.place, tmpl)
			if err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join(appSpecs, tt.golden)
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != string(want) {
				t.Errorf("got\n%s\nwant (%s)\n%s", got, golden, want)
			}
		})
	}
}
