package ecs

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim"
)

// ecsState holds clusters, task definitions and services. Resources are keyed
// by name; regions only show in ARNs.
type ecsState struct {
	clusters map[string]*ecsCluster
	families map[string][]*ecsTaskDef // revisions in order, revision n at n-1
	services map[string]*ecsService   // "<cluster>/<service>"
	// deployments are the service deployments, oldest first.
	deployments []*serviceDeployment
}

func newECSState() *ecsState {
	return &ecsState{clusters: map[string]*ecsCluster{}, families: map[string][]*ecsTaskDef{}, services: map[string]*ecsService{}}
}

type ecsCluster struct {
	ClusterArn  string `json:"clusterArn"`
	ClusterName string `json:"clusterName"`
	Status      string `json:"status"`
}

// ecsTaskDef is a registered task definition: the request's fields, kept as
// sent, plus what ECS adds.
type ecsTaskDef struct {
	fields   map[string]any
	tags     []any // as sent; DescribeTaskDefinition gives them with include TAGS
	arn      string
	family   string
	revision int
	at       time.Time
}

// container reports whether the task definition has a container name, and
// whether that container maps port.
func (td *ecsTaskDef) container(name string, port int) (found, mapsPort bool) {
	defs, _ := td.fields["containerDefinitions"].([]any)
	for _, d := range defs {
		c, _ := d.(map[string]any)
		if c["name"] != name {
			continue
		}
		pms, _ := c["portMappings"].([]any)
		for _, pm := range pms {
			if m, _ := pm.(map[string]any); m["containerPort"] == float64(port) {
				return true, true
			}
		}
		return true, false
	}
	return false, false
}

func (td *ecsTaskDef) MarshalJSON() ([]byte, error) {
	out := make(map[string]any, len(td.fields)+6)
	for k, v := range td.fields {
		out[k] = v
	}
	compat := []string{"EC2"}
	if td.fields["networkMode"] == "awsvpc" {
		compat = append(compat, "FARGATE")
	}
	out["taskDefinitionArn"] = td.arn
	out["family"] = td.family
	out["revision"] = td.revision
	out["status"] = "ACTIVE"
	out["compatibilities"] = compat
	out["registeredAt"] = awssim.Time(td.at)
	out["registeredBy"] = "arn:aws:iam::" + awssim.Account + ":user/sandbox"
	return json.Marshal(out)
}

type ecsLoadBalancer struct {
	TargetGroupArn   string `json:"targetGroupArn,omitempty"`
	LoadBalancerName string `json:"loadBalancerName,omitempty"`
	ContainerName    string `json:"containerName,omitempty"`
	ContainerPort    int    `json:"containerPort,omitempty"`
	// AdvancedConfiguration is for the BLUE_GREEN, LINEAR and CANARY strategies.
	AdvancedConfiguration *advancedConfig `json:"advancedConfiguration,omitempty"`
}

// ecsServiceFields are the CreateService fields a service echoes.
type ecsServiceFields struct {
	ServiceName          string            `json:"serviceName"`
	TaskDefinition       string            `json:"taskDefinition,omitempty"`
	DesiredCount         int               `json:"desiredCount"`
	LaunchType           string            `json:"launchType,omitempty"`
	PlatformVersion      string            `json:"platformVersion,omitempty"`
	LoadBalancers        []ecsLoadBalancer `json:"loadBalancers"`
	NetworkConfiguration json.RawMessage   `json:"networkConfiguration,omitempty"`
	DeploymentController struct {
		Type string `json:"type"`
	} `json:"deploymentController"`
	SchedulingStrategy      string            `json:"schedulingStrategy,omitempty"`
	DeploymentConfiguration *deploymentConfig `json:"deploymentConfiguration,omitempty"`
}

type ecsService struct {
	ecsServiceFields
	ServiceArn   string        `json:"serviceArn"`
	ClusterArn   string        `json:"clusterArn"`
	Status       string        `json:"status"`
	RunningCount int           `json:"runningCount"`
	PendingCount int           `json:"pendingCount"`
	CreatedAt    awssim.Time   `json:"createdAt"`
	TaskSets     []*ecsTaskSet `json:"taskSets,omitempty"`
	Deployments  []ecsRollout  `json:"deployments"`
	// CurrentServiceDeployment is the ARN of the latest service deployment.
	CurrentServiceDeployment string `json:"currentServiceDeployment,omitempty"`

	cluster  string
	region   string
	revision string // the ARN of the service revision serving
	serving  string // its task definition
}

// ecsRollout is a deployment of a service with the ECS deployment controller.
type ecsRollout struct {
	ID                 string      `json:"id"`
	Status             string      `json:"status"`
	TaskDefinition     string      `json:"taskDefinition"`
	DesiredCount       int         `json:"desiredCount"`
	RunningCount       int         `json:"runningCount"`
	PendingCount       int         `json:"pendingCount"`
	RolloutState       string      `json:"rolloutState"`
	RolloutStateReason string      `json:"rolloutStateReason,omitempty"`
	CreatedAt          awssim.Time `json:"createdAt"`
	UpdatedAt          awssim.Time `json:"updatedAt"`
}

// ecsTaskSet is a task set of a service with the CODE_DEPLOY controller.
type ecsTaskSet struct {
	ID                   string            `json:"id"`
	TaskSetArn           string            `json:"taskSetArn"`
	ServiceArn           string            `json:"serviceArn"`
	ClusterArn           string            `json:"clusterArn"`
	Status               string            `json:"status"` // PRIMARY, ACTIVE, DRAINING
	TaskDefinition       string            `json:"taskDefinition"`
	ComputedDesiredCount int               `json:"computedDesiredCount"`
	PendingCount         int               `json:"pendingCount"`
	RunningCount         int               `json:"runningCount"`
	CreatedAt            awssim.Time       `json:"createdAt"`
	UpdatedAt            awssim.Time       `json:"updatedAt"`
	LaunchType           string            `json:"launchType,omitempty"`
	PlatformVersion      string            `json:"platformVersion,omitempty"`
	NetworkConfiguration json.RawMessage   `json:"networkConfiguration,omitempty"`
	LoadBalancers        []ecsLoadBalancer `json:"loadBalancers"`
	Scale                struct {
		Value awssim.Float `json:"value"`
		Unit  string       `json:"unit"`
	} `json:"scale"`
	StabilityStatus   string      `json:"stabilityStatus"`
	StabilityStatusAt awssim.Time `json:"stabilityStatusAt"`
}

// addTaskSet starts a task set of the service at scale 100 with every task running.
func (svc *ecsService) addTaskSet(taskDef, status string, t time.Time) *ecsTaskSet {
	id := "ecs-svc/" + strconv.FormatUint(rand.Uint64N(9e18)+1e18, 10)
	ts := &ecsTaskSet{
		ID:                   id,
		TaskSetArn:           fmt.Sprintf("arn:aws:ecs:%s:%s:task-set/%s/%s/%s", svc.region, awssim.Account, svc.cluster, svc.ServiceName, id),
		ServiceArn:           svc.ServiceArn,
		ClusterArn:           svc.ClusterArn,
		Status:               status,
		TaskDefinition:       taskDef,
		ComputedDesiredCount: svc.DesiredCount,
		RunningCount:         svc.DesiredCount,
		CreatedAt:            awssim.Time(t),
		UpdatedAt:            awssim.Time(t),
		LaunchType:           svc.LaunchType,
		PlatformVersion:      svc.PlatformVersion,
		NetworkConfiguration: svc.NetworkConfiguration,
		LoadBalancers:        svc.LoadBalancers,
		StabilityStatus:      "STEADY_STATE",
		StabilityStatusAt:    awssim.Time(t),
	}
	ts.Scale.Value, ts.Scale.Unit = 100, "PERCENT"
	svc.TaskSets = append(svc.TaskSets, ts)
	return ts
}

// removeTaskSet deletes a task set from the service.
func (svc *ecsService) removeTaskSet(ts *ecsTaskSet) {
	ts.Status = "DRAINING"
	svc.TaskSets = slices.DeleteFunc(svc.TaskSets, func(x *ecsTaskSet) bool { return x == ts })
}

// setPrimary makes ts the service's primary task set and the others ACTIVE.
func (svc *ecsService) setPrimary(ts *ecsTaskSet, t time.Time) {
	for _, x := range svc.TaskSets {
		if x.Status != "DRAINING" {
			x.Status = "ACTIVE"
		}
		x.UpdatedAt = awssim.Time(t)
	}
	ts.Status = "PRIMARY"
	svc.TaskDefinition = ts.TaskDefinition
}

func (s *Service) ecsOps() map[string]awssim.JSONOp {
	ops := map[string]awssim.JSONOp{
		"CreateCluster":              s.ecsCreateCluster,
		"RegisterTaskDefinition":     s.ecsRegisterTaskDefinition,
		"DescribeTaskDefinition":     s.ecsDescribeTaskDefinition,
		"CreateService":              s.ecsCreateService,
		"DescribeServices":           s.ecsDescribeServices,
		"DescribeTaskSets":           s.ecsDescribeTaskSets,
		"UpdateService":              s.ecsUpdateService,
		"DescribeServiceDeployments": s.describeServiceDeployments,
		"ListServiceDeployments":     s.listServiceDeployments,
		"StopServiceDeployment":      s.stopServiceDeployment,
		"ContinueServiceDeployment":  s.continueServiceDeployment,
	}
	for name, op := range ops {
		ops[name] = func(r *awssim.Request) (any, error) {
			s.Settle()
			return op(r)
		}
	}
	return ops
}

// ecsName returns the last path element of a name or ARN.
func ecsName(nameOrArn string) string {
	return nameOrArn[strings.LastIndex(nameOrArn, "/")+1:]
}

func (s *Service) findECSCluster(nameOrArn string) (*ecsCluster, error) {
	if nameOrArn == "" {
		nameOrArn = "default"
	}
	c, ok := s.ecs.clusters[ecsName(nameOrArn)]
	if !ok {
		return nil, awssim.Errorf("ClusterNotFoundException", "Cluster not found.")
	}
	return c, nil
}

func (s *Service) ecsCreateCluster(r *awssim.Request) (any, error) {
	var in struct {
		ClusterName string `json:"clusterName"`
	}
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	if in.ClusterName == "" {
		in.ClusterName = "default"
	}
	c, ok := s.ecs.clusters[in.ClusterName]
	if !ok {
		c = &ecsCluster{ClusterArn: fmt.Sprintf("arn:aws:ecs:%s:%s:cluster/%s", r.Region, awssim.Account, in.ClusterName), ClusterName: in.ClusterName, Status: "ACTIVE"}
		s.ecs.clusters[in.ClusterName] = c
	}
	return map[string]any{"cluster": c}, nil
}

func (s *Service) ecsRegisterTaskDefinition(r *awssim.Request) (any, error) {
	var fields map[string]any
	if err := r.Decode(&fields); err != nil {
		return nil, err
	}
	family, _ := fields["family"].(string)
	if family == "" {
		return nil, awssim.Errorf("ClientException", "Family must not be empty.")
	}
	if defs, _ := fields["containerDefinitions"].([]any); len(defs) == 0 {
		return nil, awssim.Errorf("ClientException", "Container list cannot be empty.")
	}
	tags, _ := fields["tags"].([]any)
	delete(fields, "tags")
	rev := len(s.ecs.families[family]) + 1
	td := &ecsTaskDef{
		fields:   fields,
		tags:     tags,
		arn:      fmt.Sprintf("arn:aws:ecs:%s:%s:task-definition/%s:%d", r.Region, awssim.Account, family, rev),
		family:   family,
		revision: rev,
		at:       s.Clock.Now(),
	}
	if len(tags) > 0 { // tag on create: ECS also authorizes ecs:TagResource on the new revision
		if e := s.Check(r.IAM, []awssim.IAMCheck{{Action: "ecs:TagResource", Resource: td.arn}}, "AccessDeniedException", 400); e != nil {
			return nil, e
		}
	}
	s.ecs.families[family] = append(s.ecs.families[family], td)
	out := map[string]any{"taskDefinition": td}
	if tags != nil {
		out["tags"] = tags
	}
	return out, nil
}

// findTaskDef finds a task definition by family, family:revision or ARN.
func (s *Service) findTaskDef(ref string) (*ecsTaskDef, bool) {
	family, rev, hasRev := strings.Cut(ecsName(ref), ":")
	revs := s.ecs.families[family]
	if !hasRev {
		if len(revs) == 0 {
			return nil, false
		}
		return revs[len(revs)-1], true
	}
	n, err := strconv.Atoi(rev)
	if err != nil || n < 1 || n > len(revs) {
		return nil, false
	}
	return revs[n-1], true
}

func (s *Service) ecsDescribeTaskDefinition(r *awssim.Request) (any, error) {
	var in struct {
		TaskDefinition string   `json:"taskDefinition"`
		Include        []string `json:"include"`
	}
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	td, ok := s.findTaskDef(in.TaskDefinition)
	if !ok {
		return nil, awssim.Errorf("ClientException", "Unable to describe task definition.")
	}
	out := map[string]any{"taskDefinition": td}
	if slices.Contains(in.Include, "TAGS") {
		tags := td.tags
		if tags == nil {
			tags = []any{}
		}
		out["tags"] = tags
	}
	return out, nil
}

// ecsCheckNetwork refuses a service whose network configuration does not fit
// its task definition's network mode, with ECS's words: awsvpc (which
// FARGATE requires) needs one, other modes take none.
func ecsCheckNetwork(td *ecsTaskDef, launchType string, network json.RawMessage) error {
	awsvpc := td.fields["networkMode"] == "awsvpc"
	has := len(network) > 0 && string(network) != "null"
	switch {
	case launchType == "FARGATE" && !awsvpc:
		return awssim.Errorf("ClientException", "Fargate only supports network mode 'awsvpc'.")
	case awsvpc && !has:
		return awssim.Errorf("InvalidParameterException", "Network Configuration must be provided when networkMode 'awsvpc' is specified.")
	case !awsvpc && has:
		return awssim.Errorf("InvalidParameterException", "Network Configuration is not valid for the given networkMode of this task definition.")
	}
	var nc struct {
		AwsvpcConfiguration struct {
			Subnets []string `json:"subnets"`
		} `json:"awsvpcConfiguration"`
	}
	if has && (json.Unmarshal(network, &nc) != nil || len(nc.AwsvpcConfiguration.Subnets) == 0) {
		return awssim.Errorf("InvalidParameterException", "subnets can not be empty.")
	}
	return nil
}

// findECSService finds a service of a cluster by name or ARN.
func (s *Service) findECSService(cluster, service string) (*ecsService, bool) {
	if cluster == "" {
		cluster = "default"
	}
	svc, ok := s.ecs.services[ecsName(cluster)+"/"+ecsName(service)]
	return svc, ok
}

type ecsFailure struct {
	Arn    string `json:"arn"`
	Reason string `json:"reason"`
}

func (s *Service) ecsDescribeServices(r *awssim.Request) (any, error) {
	var in struct {
		Cluster  string   `json:"cluster"`
		Services []string `json:"services"`
	}
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	c, err := s.findECSCluster(in.Cluster)
	if err != nil {
		return nil, err
	}
	out := struct {
		Services []*ecsService `json:"services"`
		Failures []ecsFailure  `json:"failures"`
	}{Services: []*ecsService{}, Failures: []ecsFailure{}}
	for _, name := range in.Services {
		if svc, ok := s.findECSService(c.ClusterName, name); ok {
			out.Services = append(out.Services, svc)
			continue
		}
		arn := name
		if !strings.HasPrefix(arn, "arn:") {
			arn = fmt.Sprintf("arn:aws:ecs:%s:%s:service/%s/%s", r.Region, awssim.Account, c.ClusterName, name)
		}
		out.Failures = append(out.Failures, ecsFailure{Arn: arn, Reason: "MISSING"})
	}
	return out, nil
}

func (s *Service) ecsDescribeTaskSets(r *awssim.Request) (any, error) {
	var in struct {
		Cluster  string   `json:"cluster"`
		Service  string   `json:"service"`
		TaskSets []string `json:"taskSets"`
	}
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	c, err := s.findECSCluster(in.Cluster)
	if err != nil {
		return nil, err
	}
	svc, ok := s.findECSService(c.ClusterName, in.Service)
	if !ok {
		return nil, awssim.Errorf("ServiceNotFoundException", "Service not found.")
	}
	out := struct {
		TaskSets []*ecsTaskSet `json:"taskSets"`
		Failures []ecsFailure  `json:"failures"`
	}{TaskSets: []*ecsTaskSet{}, Failures: []ecsFailure{}}
	for _, ts := range svc.TaskSets {
		if len(in.TaskSets) == 0 || slices.Contains(in.TaskSets, ts.ID) || slices.Contains(in.TaskSets, ts.TaskSetArn) {
			out.TaskSets = append(out.TaskSets, ts)
		}
	}
	for _, want := range in.TaskSets {
		if !slices.ContainsFunc(out.TaskSets, func(ts *ecsTaskSet) bool { return ts.ID == want || ts.TaskSetArn == want }) {
			out.Failures = append(out.Failures, ecsFailure{Arn: want, Reason: "MISSING"})
		}
	}
	return out, nil
}
