package ecs

import (
	"bytes"
	"fmt"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/deploy"
	"gopkg.in/yaml.v3"
)

// ecsHooks are the lifecycle events an ECS AppSpec may name a Lambda
// function for.
var ecsHooks = []string{"BeforeInstall", "AfterInstall", "AfterAllowTestTraffic", "BeforeAllowTraffic", "AfterAllowTraffic"}

// ecsTemplate is what an appspec template contributes to the AppSpec: its
// hooks, and TargetService properties that override the service's.
type ecsTemplate struct {
	file            string
	hooks           []map[string]string
	lbName          *yaml.Node // LoadBalancerInfo.ContainerName, when given
	lbPort          *yaml.Node // LoadBalancerInfo.ContainerPort, when given
	platformVersion string
	network         *yaml.Node
	capacity        *yaml.Node
}

// CheckAppSpec checks an ECS appspec template (YAML or JSON): version
// 0.0, Hooks naming a Lambda function for ECS lifecycle events, and at most
// one AWS::ECS::Service resource whose TaskDefinition the action fills in.
// A problem is an *deploy.AppSpecError with the line.
func CheckAppSpec(file string) error {
	_, err := loadECSTemplate(file)
	return err
}

func loadECSTemplate(file string) (*ecsTemplate, error) {
	data, err := deploy.ReadTemplate(file)
	if err != nil {
		return nil, err
	}
	return parseECSTemplate(file, data)
}

func parseECSTemplate(file string, data []byte) (*ecsTemplate, error) {
	t := &ecsTemplate{file: file}
	hooks, err := deploy.Template{
		Sections: "version, Resources and Hooks",
		Events:   ecsHooks,
		Platform: "an ECS deployment",
		Section: func(key, val *yaml.Node, fail deploy.FailFunc) error {
			if key.Value == "Resources" {
				return t.readResources(val, fail)
			}
			return fail(key, "%s is not a section of an ECS AppSpec (version, Resources, Hooks)", key.Value)
		},
	}.Parse(file, data)
	if err != nil {
		return nil, err
	}
	t.hooks = hooks
	return t, nil
}

func (t *ecsTemplate) readResources(list *yaml.Node, fail deploy.FailFunc) error {
	if list.Kind != yaml.SequenceNode || len(list.Content) != 1 {
		return fail(list, "Resources must be a list of one AWS::ECS::Service resource")
	}
	res := list.Content[0]
	if res.Kind != yaml.MappingNode || len(res.Content) != 2 || res.Content[1].Kind != yaml.MappingNode {
		return fail(res, "the resource must be a name (e.g. TargetService) mapping to Type and Properties")
	}
	svc := res.Content[1]
	if ty := deploy.MapValue(svc, "Type"); ty == nil || ty.Value != "AWS::ECS::Service" {
		return fail(deploy.OrNode(ty, svc), "the resource's Type must be AWS::ECS::Service")
	}
	for i := 0; i+1 < len(svc.Content); i += 2 {
		if k := svc.Content[i]; k.Value != "Type" && k.Value != "Properties" {
			return fail(k, "%s is not a field of the resource (Type, Properties)", k.Value)
		}
	}
	props := deploy.MapValue(svc, "Properties")
	if props == nil {
		return nil
	}
	if props.Kind != yaml.MappingNode {
		return fail(props, "Properties must be a mapping")
	}
	for i := 0; i+1 < len(props.Content); i += 2 {
		key, val := props.Content[i], props.Content[i+1]
		switch key.Value {
		case "TaskDefinition": // the action registers the task definition and names it here
		case "LoadBalancerInfo":
			for j := 0; j+1 < len(val.Content); j += 2 {
				switch k := val.Content[j]; k.Value {
				case "ContainerName":
					t.lbName = val.Content[j+1]
				case "ContainerPort":
					t.lbPort = val.Content[j+1]
				default:
					return fail(k, "%s is not a field of LoadBalancerInfo (ContainerName, ContainerPort)", k.Value)
				}
			}
		case "PlatformVersion":
			t.platformVersion = val.Value
		case "NetworkConfiguration":
			t.network = val
		case "CapacityProviderStrategy":
			t.capacity = val
		default:
			return fail(key, "%s is not a property of an AWS::ECS::Service resource", key.Value)
		}
	}
	return nil
}

// checkLoadBalancer refuses a template whose LoadBalancerInfo differs from
// the service's load balancer: CodeDeploy would fail the deployment.
func (t *ecsTemplate) checkLoadBalancer(name string, port int32) error {
	if n := t.lbName; n != nil && n.Value != name {
		return &deploy.AppSpecError{File: t.file, Line: n.Line, Problem: fmt.Sprintf("ContainerName %s is not the container the service's load balancer routes to (%s)", n.Value, name)}
	}
	if n := t.lbPort; n != nil && n.Value != strconv.Itoa(int(port)) {
		return &deploy.AppSpecError{File: t.file, Line: n.Line, Problem: fmt.Sprintf("ContainerPort %s is not the port the service's load balancer routes to (%d)", n.Value, port)}
	}
	return nil
}

// ecsAppSpec is the rendered AppSpec, in the order AWS documents it.
type ecsAppSpec struct {
	Version   *yaml.Node                    `yaml:"version"`
	Resources []map[string]ecsAppSpecTarget `yaml:"Resources"`
	Hooks     []map[string]string           `yaml:"Hooks,omitempty"`
}

type ecsAppSpecTarget struct {
	Type       string               `yaml:"Type"`
	Properties ecsAppSpecProperties `yaml:"Properties"`
}

type ecsAppSpecProperties struct {
	TaskDefinition   string `yaml:"TaskDefinition"`
	LoadBalancerInfo struct {
		ContainerName string `yaml:"ContainerName"`
		ContainerPort int32  `yaml:"ContainerPort"`
	} `yaml:"LoadBalancerInfo"`
	PlatformVersion          string `yaml:"PlatformVersion,omitempty"`
	NetworkConfiguration     any    `yaml:"NetworkConfiguration,omitempty"`
	CapacityProviderStrategy any    `yaml:"CapacityProviderStrategy,omitempty"`
}

type ecsAppSpecNetwork struct {
	AwsvpcConfiguration struct {
		Subnets        []string `yaml:"Subnets"`
		SecurityGroups []string `yaml:"SecurityGroups,omitempty"`
		AssignPublicIp string   `yaml:"AssignPublicIp,omitempty"`
	} `yaml:"AwsvpcConfiguration"`
}

type ecsAppSpecCapacity struct {
	CapacityProvider string `yaml:"CapacityProvider"`
	Base             int32  `yaml:"Base,omitempty"`
	Weight           int32  `yaml:"Weight"`
}

// ecsPlacement is how the service's tasks run, for the AppSpec.
type ecsPlacement struct {
	platformVersion string
	network         *types.NetworkConfiguration
	capacity        []types.CapacityProviderStrategyItem
}

// renderECSAppSpec renders the AppSpec deploying taskDef behind the load
// balancer's container and port, placed as the service places its tasks
// unless the template (nil: none) says otherwise, with the template's hooks.
func renderECSAppSpec(taskDef string, lb types.LoadBalancer, place ecsPlacement, t *ecsTemplate) ([]byte, error) {
	p := ecsAppSpecProperties{TaskDefinition: taskDef, PlatformVersion: place.platformVersion}
	p.LoadBalancerInfo.ContainerName = aws.ToString(lb.ContainerName)
	p.LoadBalancerInfo.ContainerPort = aws.ToInt32(lb.ContainerPort)
	if n := place.network; n != nil && n.AwsvpcConfiguration != nil {
		var net ecsAppSpecNetwork
		v := n.AwsvpcConfiguration
		net.AwsvpcConfiguration.Subnets = v.Subnets
		net.AwsvpcConfiguration.SecurityGroups = v.SecurityGroups
		net.AwsvpcConfiguration.AssignPublicIp = string(v.AssignPublicIp)
		p.NetworkConfiguration = net
	}
	if len(place.capacity) > 0 {
		var cs []ecsAppSpecCapacity
		for _, c := range place.capacity {
			cs = append(cs, ecsAppSpecCapacity{CapacityProvider: aws.ToString(c.CapacityProvider), Base: c.Base, Weight: c.Weight})
		}
		p.CapacityProviderStrategy = cs
	}
	spec := ecsAppSpec{Version: &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!float", Value: "0.0"}}
	if t != nil {
		if t.platformVersion != "" {
			p.PlatformVersion = t.platformVersion
		}
		if t.network != nil {
			p.NetworkConfiguration = t.network
		}
		if t.capacity != nil {
			p.CapacityProviderStrategy = t.capacity
		}
		spec.Hooks = t.hooks
	}
	spec.Resources = []map[string]ecsAppSpecTarget{{"TargetService": {Type: "AWS::ECS::Service", Properties: p}}}
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(spec); err != nil {
		return nil, fmt.Errorf("rendering the AppSpec: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("rendering the AppSpec: %w", err)
	}
	return b.Bytes(), nil
}
