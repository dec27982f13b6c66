package codedeploy

import (
	"slices"
	"strconv"
	"unicode/utf8"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim"
)

// cdAt returns the deployment with the given id.
func (s *Service) cdAt(id string) (*cdDeployment, error) {
	if id == "" {
		return nil, awssim.Errorf("DeploymentIdRequiredException", "At least one deployment ID must be specified.")
	}
	if !cdValidID(id) {
		return nil, awssim.Errorf("InvalidDeploymentIdException", "Specified DeploymentId is not in the valid format: %s", id)
	}
	d, ok := s.cd.byID[id]
	if !ok {
		return nil, awssim.Errorf("DeploymentDoesNotExistException", "The deployment %s could not be found.", id)
	}
	return d, nil
}

// cdValidID reports whether id has the shape of a deployment id.
func cdValidID(id string) bool {
	if len(id) != 11 || id[:2] != "d-" {
		return false
	}
	for _, c := range id[2:] {
		if !('A' <= c && c <= 'Z' || '0' <= c && c <= '9') {
			return false
		}
	}
	return true
}

func (s *Service) cdGetDeployment(r *awssim.Request) (any, error) {
	var in struct {
		DeploymentID string `json:"deploymentId"`
	}
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	d, err := s.cdAt(in.DeploymentID)
	if err != nil {
		return nil, err
	}
	return map[string]any{"deploymentInfo": d.info()}, nil
}

func (s *Service) cdBatchGetDeployments(r *awssim.Request) (any, error) {
	var in struct {
		DeploymentIDs []string `json:"deploymentIds"`
	}
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	if len(in.DeploymentIDs) > 25 {
		return nil, awssim.Errorf("BatchLimitExceededException", "The maximum number of names or IDs allowed for this request (25) was exceeded.")
	}
	infos := []*cdDeploymentInfo{}
	for _, id := range in.DeploymentIDs {
		if !cdValidID(id) {
			return nil, awssim.Errorf("InvalidDeploymentIdException", "Specified DeploymentId is not in the valid format: %s", id)
		}
		if d, ok := s.cd.byID[id]; ok {
			infos = append(infos, d.info())
		}
	}
	return map[string]any{"deploymentsInfo": infos}, nil
}

// cdListPage is how many ids a List call returns at most.
const cdListPage = 100

func (s *Service) cdListDeployments(r *awssim.Request) (any, error) {
	var in struct {
		ApplicationName     string   `json:"applicationName"`
		DeploymentGroupName string   `json:"deploymentGroupName"`
		IncludeOnlyStatuses []string `json:"includeOnlyStatuses"`
		NextToken           string   `json:"nextToken"`
	}
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	var app *cdApp
	var g *cdGroup
	var err error
	switch {
	case in.DeploymentGroupName != "":
		if g, err = s.cdGroup(in.ApplicationName, in.DeploymentGroupName); err != nil {
			return nil, err
		}
	case in.ApplicationName != "":
		if app, err = s.cdApplication(in.ApplicationName); err != nil {
			return nil, err
		}
	}
	var ids []string
	for i := len(s.cd.deployments) - 1; i >= 0; i-- {
		d := s.cd.deployments[i]
		if (g != nil && d.group != g) || (app != nil && d.app != app) {
			continue
		}
		if len(in.IncludeOnlyStatuses) > 0 && !slices.Contains(in.IncludeOnlyStatuses, d.status) {
			continue
		}
		ids = append(ids, d.id)
	}
	start := 0
	if in.NextToken != "" {
		if start, err = strconv.Atoi(in.NextToken); err != nil || start < 0 || start > len(ids) {
			return nil, awssim.Errorf("InvalidNextTokenException", "The next token was specified in an invalid format.")
		}
	}
	out := struct {
		Deployments []string `json:"deployments"`
		NextToken   string   `json:"nextToken,omitempty"`
	}{Deployments: ids[start:min(start+cdListPage, len(ids))]}
	if start+cdListPage < len(ids) {
		out.NextToken = strconv.Itoa(start + cdListPage)
	}
	if out.Deployments == nil {
		out.Deployments = []string{}
	}
	return out, nil
}

func (s *Service) cdContinueDeployment(r *awssim.Request) (any, error) {
	var in struct {
		DeploymentID       string `json:"deploymentId"`
		DeploymentWaitType string `json:"deploymentWaitType"`
	}
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	d, err := s.cdUnfinished(in.DeploymentID)
	if err != nil {
		return nil, err
	}
	if d.style.DeploymentType != "BLUE_GREEN" || d.lambda != nil {
		return nil, awssim.Errorf("UnsupportedActionForDeploymentTypeException", "ContinueDeployment applies to blue/green deployments on the Server and ECS compute platforms only.")
	}
	ready := true
	switch in.DeploymentWaitType {
	case "", "READY_WAIT":
	case "TERMINATION_WAIT":
		ready = false
	default:
		return nil, awssim.Errorf("InvalidDeploymentWaitTypeException", "The wait type %q is not valid.", in.DeploymentWaitType)
	}
	if d.wait == nil || d.wait.ready != ready {
		return nil, awssim.Errorf("DeploymentIsNotInReadyStateException", "The deployment %s is not in a ready state.", d.id)
	}
	d.resume(s.Clock.Now())
	return struct{}{}, nil
}

func (s *Service) cdStopDeployment(r *awssim.Request) (any, error) {
	var in struct {
		DeploymentID        string `json:"deploymentId"`
		AutoRollbackEnabled *bool  `json:"autoRollbackEnabled"`
	}
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	d, err := s.cdUnfinished(in.DeploymentID)
	if err != nil {
		return nil, err
	}
	rollback := d.rollbackOn("DEPLOYMENT_STOP_ON_REQUEST")
	if in.AutoRollbackEnabled != nil {
		rollback = *in.AutoRollbackEnabled
	}
	if d.stop == nil {
		d.stop = &cdStop{at: s.Clock.Now().Add(cdStopDelay), rollback: rollback}
	}
	return map[string]string{"status": "Pending", "statusMessage": "Stop request is pending."}, nil
}

// cdUnfinished returns the deployment with the given id if it has not
// completed.
func (s *Service) cdUnfinished(id string) (*cdDeployment, error) {
	d, err := s.cdAt(id)
	if err != nil {
		return nil, err
	}
	if d.terminal() {
		return nil, awssim.Errorf("DeploymentAlreadyCompletedException", "The deployment %s has already completed.", d.id)
	}
	return d, nil
}

// cdStartedAt returns the deployment with the given id if it has started.
func (s *Service) cdStartedAt(id string) (*cdDeployment, error) {
	d, err := s.cdAt(id)
	if err != nil {
		return nil, err
	}
	if d.started.IsZero() {
		return nil, awssim.Errorf("DeploymentNotStartedException", "The specified deployment has not started.")
	}
	return d, nil
}

func (s *Service) cdListDeploymentTargets(r *awssim.Request) (any, error) {
	var in struct {
		DeploymentID  string              `json:"deploymentId"`
		TargetFilters map[string][]string `json:"targetFilters"`
	}
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	d, err := s.cdStartedAt(in.DeploymentID)
	if err != nil {
		return nil, err
	}
	for name := range in.TargetFilters {
		if name != "TargetStatus" && name != "ServerInstanceLabel" {
			return nil, awssim.Errorf("InvalidTargetFilterNameException", "The target filter name %s is not valid.", name)
		}
	}
	ids := []string{}
	for _, t := range d.targets {
		if st := in.TargetFilters["TargetStatus"]; len(st) > 0 && !slices.Contains(st, t.status(d)) {
			continue
		}
		if lb := in.TargetFilters["ServerInstanceLabel"]; len(lb) > 0 && !slices.Contains(lb, t.label) {
			continue
		}
		ids = append(ids, t.id)
	}
	return map[string]any{"targetIds": ids}, nil
}

func (s *Service) cdTarget(d *cdDeployment, id string) (*cdTarget, error) {
	if id == "" {
		return nil, awssim.Errorf("DeploymentTargetIdRequiredException", "A deployment target ID was not provided.")
	}
	for _, t := range d.targets {
		if t.id == id {
			return t, nil
		}
	}
	return nil, awssim.Errorf("DeploymentTargetDoesNotExistException", "The provided target ID does not belong to the deployment %s: %s", d.id, id)
}

func (s *Service) cdBatchGetDeploymentTargets(r *awssim.Request) (any, error) {
	var in struct {
		DeploymentID string   `json:"deploymentId"`
		TargetIDs    []string `json:"targetIds"`
	}
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	d, err := s.cdStartedAt(in.DeploymentID)
	if err != nil {
		return nil, err
	}
	if len(in.TargetIDs) > 25 {
		return nil, awssim.Errorf("DeploymentTargetListSizeExceededException", "The maximum number of targets that can be associated with a deployment (25) was exceeded.")
	}
	out := []any{}
	for _, id := range in.TargetIDs {
		t, err := s.cdTarget(d, id)
		if err != nil {
			return nil, err
		}
		out = append(out, s.cdTargetInfo(d, t))
	}
	return map[string]any{"deploymentTargets": out}, nil
}

func (s *Service) cdGetDeploymentTarget(r *awssim.Request) (any, error) {
	var in struct {
		DeploymentID string `json:"deploymentId"`
		TargetID     string `json:"targetId"`
	}
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	d, err := s.cdStartedAt(in.DeploymentID)
	if err != nil {
		return nil, err
	}
	t, err := s.cdTarget(d, in.TargetID)
	if err != nil {
		return nil, err
	}
	return map[string]any{"deploymentTarget": s.cdTargetInfo(d, t)}, nil
}

// cdDescriptionMax is the longest description CreateDeployment accepts, in
// characters (the CodeDeploy user guide's quotas page).
const cdDescriptionMax = 100

func (s *Service) cdCreateDeployment(r *awssim.Request) (any, error) {
	var in struct {
		ApplicationName           string          `json:"applicationName"`
		DeploymentGroupName       string          `json:"deploymentGroupName"`
		Revision                  *cdRevision     `json:"revision"`
		DeploymentConfigName      string          `json:"deploymentConfigName"`
		Description               string          `json:"description"`
		FileExistsBehavior        string          `json:"fileExistsBehavior"`
		AutoRollbackConfiguration *cdAutoRollback `json:"autoRollbackConfiguration"`
		TargetInstances           *struct {
			AutoScalingGroups []string `json:"autoScalingGroups"`
		} `json:"targetInstances"`
	}
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	g, err := s.cdGroup(in.ApplicationName, in.DeploymentGroupName)
	if err != nil {
		return nil, err
	}
	platform := g.app.ComputePlatform
	if in.DeploymentConfigName == "" {
		in.DeploymentConfigName = g.DeploymentConfigName
	}
	cfg, err := s.cdConfig(in.DeploymentConfigName, platform)
	if err != nil {
		return nil, err
	}
	if n := utf8.RuneCountInString(in.Description); n > cdDescriptionMax {
		return nil, awssim.Errorf("DescriptionTooLongException", "The description is too long: %d characters, at most %d allowed.", n, cdDescriptionMax)
	}
	if in.Revision == nil {
		return nil, awssim.Errorf("RevisionRequiredException", "The revision ID was not specified.")
	}
	spec, err := s.cdParseRevision(platform, in.Revision)
	if err != nil {
		return nil, err
	}
	if active := s.cdActive(g); active != nil {
		return nil, awssim.Errorf("DeploymentLimitExceededException", "The deployment group '%s' already has an active Deployment '%s'", g.DeploymentGroupName, active.id)
	}
	d := s.cdNewDeployment(g, cfg, in.Revision, s.Clock.Now())
	d.spec, d.description, d.fileExists = spec, in.Description, in.FileExistsBehavior
	if in.AutoRollbackConfiguration != nil {
		d.autoRollback = in.AutoRollbackConfiguration
	}
	greens := 0
	if in.TargetInstances != nil {
		greens = 2 * len(in.TargetInstances.AutoScalingGroups)
	}
	s.cdPlan(d, greens)
	return map[string]string{"deploymentId": d.id}, nil
}
