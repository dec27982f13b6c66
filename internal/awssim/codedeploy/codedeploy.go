package codedeploy

import (
	"encoding/json"
	"maps"
	"math/rand/v2"
	"time"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim"
)

// cdState holds CodeDeploy applications, their groups and every deployment.
type cdState struct {
	apps        map[string]*cdApp
	deployments []*cdDeployment // in creation order
	byID        map[string]*cdDeployment
	configs     map[string]*cdConfig // made by CreateDeploymentConfig
}

func newCDState() *cdState {
	return &cdState{apps: map[string]*cdApp{}, byID: map[string]*cdDeployment{}, configs: map[string]*cdConfig{}}
}

// cdTimePtr returns t for an optional field: nil when t is zero.
func cdTimePtr(t time.Time) *awssim.Time {
	if t.IsZero() {
		return nil
	}
	c := awssim.Time(t)
	return &c
}

type cdApp struct {
	ApplicationID   string      `json:"applicationId"`
	ApplicationName string      `json:"applicationName"`
	CreateTime      awssim.Time `json:"createTime"`
	LinkedToGitHub  bool        `json:"linkedToGitHub"`
	ComputePlatform string      `json:"computePlatform"`

	region string
	groups map[string]*cdGroup
}

// cdGroupFields are the deployment group settings CreateDeploymentGroup takes
// and GetDeploymentGroup echoes.
type cdGroupFields struct {
	DeploymentGroupName              string              `json:"deploymentGroupName"`
	DeploymentConfigName             string              `json:"deploymentConfigName,omitempty"`
	ServiceRoleArn                   string              `json:"serviceRoleArn,omitempty"`
	DeploymentStyle                  *cdStyle            `json:"deploymentStyle,omitempty"`
	BlueGreenDeploymentConfiguration *cdBlueGreen        `json:"blueGreenDeploymentConfiguration,omitempty"`
	AutoRollbackConfiguration        *cdAutoRollback     `json:"autoRollbackConfiguration,omitempty"`
	LoadBalancerInfo                 *cdLoadBalancerInfo `json:"loadBalancerInfo,omitempty"`
	EcsServices                      []cdECSService      `json:"ecsServices,omitempty"`
	AlarmConfiguration               json.RawMessage     `json:"alarmConfiguration,omitempty"`
	TriggerConfigurations            json.RawMessage     `json:"triggerConfigurations,omitempty"`
	Ec2TagFilters                    json.RawMessage     `json:"ec2TagFilters,omitempty"`
	Ec2TagSet                        json.RawMessage     `json:"ec2TagSet,omitempty"`
	OnPremisesInstanceTagFilters     json.RawMessage     `json:"onPremisesInstanceTagFilters,omitempty"`
	OutdatedInstancesStrategy        string              `json:"outdatedInstancesStrategy,omitempty"`
}

type cdStyle struct {
	DeploymentType   string `json:"deploymentType,omitempty"`   // IN_PLACE, BLUE_GREEN
	DeploymentOption string `json:"deploymentOption,omitempty"` // WITH_TRAFFIC_CONTROL, WITHOUT_TRAFFIC_CONTROL
}

type cdBlueGreen struct {
	TerminateBlueInstancesOnDeploymentSuccess *struct {
		Action                       string `json:"action,omitempty"` // TERMINATE, KEEP_ALIVE
		TerminationWaitTimeInMinutes int    `json:"terminationWaitTimeInMinutes,omitempty"`
	} `json:"terminateBlueInstancesOnDeploymentSuccess,omitempty"`
	DeploymentReadyOption *struct {
		ActionOnTimeout   string `json:"actionOnTimeout,omitempty"` // CONTINUE_DEPLOYMENT, STOP_DEPLOYMENT
		WaitTimeInMinutes int    `json:"waitTimeInMinutes,omitempty"`
	} `json:"deploymentReadyOption,omitempty"`
	GreenFleetProvisioningOption *struct {
		Action string `json:"action,omitempty"` // DISCOVER_EXISTING, COPY_AUTO_SCALING_GROUP
	} `json:"greenFleetProvisioningOption,omitempty"`
}

// copiesASG reports whether the green fleet is new instances copying the
// Auto Scaling group.
func (bg *cdBlueGreen) copiesASG() bool {
	return bg != nil && bg.GreenFleetProvisioningOption != nil && bg.GreenFleetProvisioningOption.Action == "COPY_AUTO_SCALING_GROUP"
}

// stopAtReady reports whether deployments wait at Ready, and for how long.
func (bg *cdBlueGreen) stopAtReady() (bool, time.Duration) {
	if bg == nil || bg.DeploymentReadyOption == nil || bg.DeploymentReadyOption.ActionOnTimeout != "STOP_DEPLOYMENT" {
		return false, 0
	}
	return true, time.Duration(bg.DeploymentReadyOption.WaitTimeInMinutes) * time.Minute
}

// terminationWait is how long the original environment outlives a successful
// deployment; keep is true with KEEP_ALIVE.
func (bg *cdBlueGreen) terminationWait() (wait time.Duration, keep bool) {
	if bg == nil || bg.TerminateBlueInstancesOnDeploymentSuccess == nil {
		return 0, false
	}
	o := bg.TerminateBlueInstancesOnDeploymentSuccess
	return time.Duration(o.TerminationWaitTimeInMinutes) * time.Minute, o.Action == "KEEP_ALIVE"
}

type cdAutoRollback struct {
	Enabled bool     `json:"enabled"`
	Events  []string `json:"events,omitempty"` // DEPLOYMENT_FAILURE, DEPLOYMENT_STOP_ON_ALARM, DEPLOYMENT_STOP_ON_REQUEST
}

type cdName struct {
	Name string `json:"name,omitempty"`
}

type cdLoadBalancerInfo struct {
	ElbInfoList             []cdName `json:"elbInfoList,omitempty"`
	TargetGroupInfoList     []cdName `json:"targetGroupInfoList,omitempty"`
	TargetGroupPairInfoList []struct {
		TargetGroups     []cdName        `json:"targetGroups,omitempty"`
		ProdTrafficRoute json.RawMessage `json:"prodTrafficRoute,omitempty"`
		TestTrafficRoute json.RawMessage `json:"testTrafficRoute,omitempty"`
	} `json:"targetGroupPairInfoList,omitempty"`
}

// targetGroups returns the names of the blue and green target groups of an
// ECS group, swapped when the previous deployment moved production traffic.
func (lb *cdLoadBalancerInfo) targetGroups(swap bool) (blue, green string) {
	if lb == nil || len(lb.TargetGroupPairInfoList) == 0 || len(lb.TargetGroupPairInfoList[0].TargetGroups) < 2 {
		return "", ""
	}
	tgs := lb.TargetGroupPairInfoList[0].TargetGroups
	if swap {
		return tgs[1].Name, tgs[0].Name
	}
	return tgs[0].Name, tgs[1].Name
}

type cdECSService struct {
	ServiceName string `json:"serviceName"`
	ClusterName string `json:"clusterName"`
}

type cdGroup struct {
	cdGroupFields
	app     *cdApp
	id      string
	asgs    []string
	fleet   []string // ids of the instances currently serving
	swapTGs bool     // the ECS green target group now serves production
	last    *cdDeployment
	success *cdDeployment
}

// cdActive returns the group's deployment that has not finished, if any.
func (s *Service) cdActive(g *cdGroup) *cdDeployment {
	for _, d := range s.cd.deployments {
		if d.group == g && !d.terminal() {
			return d
		}
	}
	return nil
}

func (s *Service) codeDeployOps() map[string]awssim.JSONOp {
	ops := map[string]awssim.JSONOp{
		"CreateApplication":         s.cdCreateApplication,
		"GetApplication":            s.cdGetApplication,
		"CreateDeploymentGroup":     s.cdCreateDeploymentGroup,
		"GetDeploymentGroup":        s.cdGetDeploymentGroup,
		"GetDeploymentConfig":       s.cdGetDeploymentConfig,
		"CreateDeployment":          s.cdCreateDeployment,
		"GetDeployment":             s.cdGetDeployment,
		"BatchGetDeployments":       s.cdBatchGetDeployments,
		"ListDeployments":           s.cdListDeployments,
		"ContinueDeployment":        s.cdContinueDeployment,
		"StopDeployment":            s.cdStopDeployment,
		"ListDeploymentTargets":     s.cdListDeploymentTargets,
		"BatchGetDeploymentTargets": s.cdBatchGetDeploymentTargets,
		"GetDeploymentTarget":       s.cdGetDeploymentTarget,
	}
	maps.Copy(ops, s.cdLambdaOps())
	for name, op := range ops {
		ops[name] = func(r *awssim.Request) (any, error) {
			s.cdAdvance()
			return op(r)
		}
	}
	return ops
}

func (s *Service) cdApplication(name string) (*cdApp, error) {
	if name == "" {
		return nil, awssim.Errorf("ApplicationNameRequiredException", "The minimum number of required application names was not specified.")
	}
	app, ok := s.cd.apps[name]
	if !ok {
		return nil, awssim.Errorf("ApplicationDoesNotExistException", "No application found for name: %s", name)
	}
	return app, nil
}

func (s *Service) cdGroup(appName, groupName string) (*cdGroup, error) {
	app, err := s.cdApplication(appName)
	if err != nil {
		return nil, err
	}
	if groupName == "" {
		return nil, awssim.Errorf("DeploymentGroupNameRequiredException", "The deployment group name was not specified.")
	}
	g, ok := app.groups[groupName]
	if !ok {
		return nil, awssim.Errorf("DeploymentGroupDoesNotExistException", "No Deployment Group found for name: %s", groupName)
	}
	return g, nil
}

func (s *Service) cdCreateApplication(r *awssim.Request) (any, error) {
	var in struct {
		ApplicationName string `json:"applicationName"`
		ComputePlatform string `json:"computePlatform"`
	}
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	if in.ApplicationName == "" {
		return nil, awssim.Errorf("ApplicationNameRequiredException", "The minimum number of required application names was not specified.")
	}
	if _, ok := s.cd.apps[in.ApplicationName]; ok {
		return nil, awssim.Errorf("ApplicationAlreadyExistsException", "%s already exists in the account.", in.ApplicationName)
	}
	switch in.ComputePlatform {
	case "":
		in.ComputePlatform = "Server"
	case "Server", "ECS", "Lambda":
	default:
		return nil, awssim.Errorf("InvalidComputePlatformException", "The sandbox supports the Server, ECS and Lambda compute platforms, not %q.", in.ComputePlatform)
	}
	app := &cdApp{
		ApplicationID:   awssim.RequestID(),
		ApplicationName: in.ApplicationName,
		CreateTime:      awssim.Time(s.Clock.Now()),
		ComputePlatform: in.ComputePlatform,
		region:          r.Region,
		groups:          map[string]*cdGroup{},
	}
	s.cd.apps[app.ApplicationName] = app
	return map[string]string{"applicationId": app.ApplicationID}, nil
}

func (s *Service) cdGetApplication(r *awssim.Request) (any, error) {
	var in struct {
		ApplicationName string `json:"applicationName"`
	}
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	app, err := s.cdApplication(in.ApplicationName)
	if err != nil {
		return nil, err
	}
	return map[string]any{"application": app}, nil
}

func (s *Service) cdCreateDeploymentGroup(r *awssim.Request) (any, error) {
	var in struct {
		cdGroupFields
		ApplicationName   string   `json:"applicationName"`
		AutoScalingGroups []string `json:"autoScalingGroups"`
	}
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	app, err := s.cdApplication(in.ApplicationName)
	if err != nil {
		return nil, err
	}
	switch name := in.DeploymentGroupName; {
	case name == "":
		return nil, awssim.Errorf("DeploymentGroupNameRequiredException", "The deployment group name was not specified.")
	case app.groups[name] != nil:
		return nil, awssim.Errorf("DeploymentGroupAlreadyExistsException", "The deployment group %s already exists for application %s.", name, app.ApplicationName)
	case in.ServiceRoleArn == "":
		return nil, awssim.Errorf("RoleRequiredException", "Role ARN is required.")
	}
	if in.DeploymentConfigName == "" {
		in.DeploymentConfigName = cdDefaultConfig[app.ComputePlatform]
	}
	if _, err := s.cdConfig(in.DeploymentConfigName, app.ComputePlatform); err != nil {
		return nil, err
	}
	if in.DeploymentStyle == nil {
		in.DeploymentStyle = &cdStyle{DeploymentType: "IN_PLACE", DeploymentOption: "WITHOUT_TRAFFIC_CONTROL"}
		if app.ComputePlatform != "Server" {
			in.DeploymentStyle = &cdStyle{DeploymentType: "BLUE_GREEN", DeploymentOption: "WITH_TRAFFIC_CONTROL"}
		}
	}
	if app.ComputePlatform == "ECS" {
		if len(in.EcsServices) != 1 {
			return nil, awssim.Errorf("InvalidECSServiceException", "Exactly one ECS service must be specified for an ECS deployment group.")
		}
		es := in.EcsServices[0]
		svc, ok := s.Peers.TaskSets.Service(es.ClusterName, es.ServiceName)
		if !ok || svc.Controller() != "CODE_DEPLOY" {
			return nil, awssim.Errorf("InvalidECSServiceException", "ECS service %s in cluster %s does not exist or does not use the CODE_DEPLOY deployment controller.", es.ServiceName, es.ClusterName)
		}
		if blue, _ := in.LoadBalancerInfo.targetGroups(false); blue == "" {
			return nil, awssim.Errorf("InvalidLoadBalancerInfoException", "An ECS deployment group needs a target group pair with two target groups.")
		}
	}
	g := &cdGroup{cdGroupFields: in.cdGroupFields, app: app, id: awssim.RequestID(), asgs: in.AutoScalingGroups}
	g.fleet = cdNewInstances(s.cdFleetSize(g))
	app.groups[g.DeploymentGroupName] = g
	return map[string]string{"deploymentGroupId": g.id}, nil
}

// cdNewInstances returns n fresh EC2 instance ids.
func cdNewInstances(n int) []string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = "i-" + cdRandom("0123456789abcdef", 17)
	}
	return ids
}

// cdRandom returns n random characters of alphabet.
func cdRandom(alphabet string, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[rand.IntN(len(alphabet))]
	}
	return string(b)
}

type cdLastDeployment struct {
	DeploymentID string       `json:"deploymentId"`
	Status       string       `json:"status"`
	CreateTime   awssim.Time  `json:"createTime"`
	EndTime      *awssim.Time `json:"endTime,omitempty"`
}

func cdLastOf(d *cdDeployment) *cdLastDeployment {
	if d == nil {
		return nil
	}
	return &cdLastDeployment{DeploymentID: d.id, Status: d.status, CreateTime: awssim.Time(d.created), EndTime: cdTimePtr(d.completed)}
}

func (s *Service) cdGetDeploymentGroup(r *awssim.Request) (any, error) {
	var in struct {
		ApplicationName     string `json:"applicationName"`
		DeploymentGroupName string `json:"deploymentGroupName"`
	}
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	g, err := s.cdGroup(in.ApplicationName, in.DeploymentGroupName)
	if err != nil {
		return nil, err
	}
	info := struct {
		cdGroupFields
		ApplicationName          string            `json:"applicationName"`
		DeploymentGroupID        string            `json:"deploymentGroupId"`
		ComputePlatform          string            `json:"computePlatform"`
		AutoScalingGroups        []cdName          `json:"autoScalingGroups,omitempty"`
		LastAttemptedDeployment  *cdLastDeployment `json:"lastAttemptedDeployment,omitempty"`
		LastSuccessfulDeployment *cdLastDeployment `json:"lastSuccessfulDeployment,omitempty"`
		TargetRevision           *cdRevision       `json:"targetRevision,omitempty"`
	}{
		cdGroupFields:            g.cdGroupFields,
		ApplicationName:          g.app.ApplicationName,
		DeploymentGroupID:        g.id,
		ComputePlatform:          g.app.ComputePlatform,
		LastAttemptedDeployment:  cdLastOf(g.last),
		LastSuccessfulDeployment: cdLastOf(g.success),
	}
	for _, a := range g.asgs {
		info.AutoScalingGroups = append(info.AutoScalingGroups, cdName{Name: a})
	}
	if g.success != nil {
		info.TargetRevision = g.success.revision.public()
	}
	return map[string]any{"deploymentGroupInfo": info}, nil
}

// cdConfig finds a deployment configuration for a compute platform.
func (s *Service) cdConfig(name, platform string) (*cdConfig, error) {
	c, ok := cdBuiltinConfigs[name]
	if !ok {
		c, ok = s.cd.configs[name]
	}
	if !ok {
		return nil, awssim.Errorf("DeploymentConfigDoesNotExistException", "No deployment configuration found for name: %s", name)
	}
	if platform != "" && c.ComputePlatform != platform {
		return nil, awssim.Errorf("InvalidDeploymentConfigNameException", "Deployment config %s is for the %s compute platform, not %s.", name, c.ComputePlatform, platform)
	}
	return c, nil
}

func (s *Service) cdGetDeploymentConfig(r *awssim.Request) (any, error) {
	var in struct {
		DeploymentConfigName string `json:"deploymentConfigName"`
	}
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	c, err := s.cdConfig(in.DeploymentConfigName, "")
	if err != nil {
		return nil, err
	}
	return map[string]any{"deploymentConfigInfo": c}, nil
}
