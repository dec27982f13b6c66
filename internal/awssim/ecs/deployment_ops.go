package ecs

import (
	"slices"
	"strconv"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim"
)

// findDeployment finds a service deployment by ARN.
func (s *Service) findDeployment(arn string) (*serviceDeployment, error) {
	for _, d := range s.ecs.deployments {
		if d.arn == arn {
			return d, nil
		}
	}
	return nil, awssim.Errorf("ServiceDeploymentNotFoundException", "The service deployment %s does not exist. You can use ListServiceDeployments to retrieve the service deployment ARNs.", arn)
}

func (s *Service) describeServiceDeployments(r *awssim.Request) (any, error) {
	var in struct {
		ServiceDeploymentArns []string `json:"serviceDeploymentArns"`
	}
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	if len(in.ServiceDeploymentArns) == 0 {
		return nil, invalid("serviceDeploymentArns must not be empty.")
	}
	out := struct {
		ServiceDeployments []*serviceDeployment `json:"serviceDeployments"`
		Failures           []ecsFailure         `json:"failures"`
	}{ServiceDeployments: []*serviceDeployment{}, Failures: []ecsFailure{}}
	for _, arn := range in.ServiceDeploymentArns {
		if d, err := s.findDeployment(arn); err == nil {
			out.ServiceDeployments = append(out.ServiceDeployments, d)
		} else {
			out.Failures = append(out.Failures, ecsFailure{Arn: arn, Reason: "MISSING"})
		}
	}
	return out, nil
}

func (s *Service) listServiceDeployments(r *awssim.Request) (any, error) {
	var in struct {
		Service   string   `json:"service"`
		Cluster   string   `json:"cluster"`
		Status    []string `json:"status"`
		CreatedAt struct {
			Before *float64 `json:"before"`
			After  *float64 `json:"after"`
		} `json:"createdAt"`
		NextToken  string `json:"nextToken"`
		MaxResults *int   `json:"maxResults"`
	}
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	svc, err := s.serviceOf(in.Cluster, in.Service)
	if err != nil {
		return nil, err
	}
	limit := 20
	if in.MaxResults != nil {
		if *in.MaxResults < 1 || *in.MaxResults > 100 {
			return nil, invalid("maxResults must be between 1 and 100.")
		}
		limit = *in.MaxResults
	}
	start := 0
	if in.NextToken != "" {
		if start, err = strconv.Atoi(in.NextToken); err != nil || start < 0 {
			return nil, invalid("Invalid nextToken.")
		}
	}
	var match []map[string]any
	for _, d := range slices.Backward(s.ecs.deployments) { // newest first
		created := awssim.EpochSeconds(d.createdAt)
		if d.svc != svc || (len(in.Status) > 0 && !slices.Contains(in.Status, d.status)) ||
			(in.CreatedAt.Before != nil && created >= *in.CreatedAt.Before) || (in.CreatedAt.After != nil && created <= *in.CreatedAt.After) {
			continue
		}
		match = append(match, d.brief())
	}
	out := map[string]any{"serviceDeployments": []map[string]any{}}
	if start < len(match) {
		end := min(start+limit, len(match))
		out["serviceDeployments"] = match[start:end]
		if end < len(match) {
			out["nextToken"] = strconv.Itoa(end)
		}
	}
	return out, nil
}

// stopServiceDeployment stops a deployment in progress: ROLLBACK (the
// default) rolls it back, ABORT leaves the service where it is.
func (s *Service) stopServiceDeployment(r *awssim.Request) (any, error) {
	var in struct {
		ServiceDeploymentArn string `json:"serviceDeploymentArn"`
		StopType             string `json:"stopType"`
	}
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	d, err := s.findDeployment(in.ServiceDeploymentArn)
	if err != nil {
		return nil, err
	}
	if in.StopType != "" && in.StopType != "ROLLBACK" && in.StopType != "ABORT" {
		return nil, invalid("stopType must be ROLLBACK or ABORT.")
	}
	if !d.stoppable() {
		return nil, &awssim.Error{Status: 400, Code: "ConflictException", Message: "The service deployment " + d.arn + " is " + d.status + " and cannot be stopped."}
	}
	now := s.Clock.Now()
	if in.StopType == "ABORT" {
		d.status, d.statusReason, d.updatedAt, d.hooks, d.at = "STOP_REQUESTED", "Service deployment stopped by StopServiceDeployment.", now, nil, now
		d.plan = []phase{{stage: d.stage, dur: stopTime}}
		d.at = now.Add(stopTime)
	} else {
		s.rollBack(d, now, "Service deployment rolled back because of a StopServiceDeployment request.")
	}
	return map[string]any{"serviceDeploymentArn": d.arn}, nil
}

// continueServiceDeployment acts on a PAUSE hook awaiting action.
func (s *Service) continueServiceDeployment(r *awssim.Request) (any, error) {
	var in struct {
		ServiceDeploymentArn string `json:"serviceDeploymentArn"`
		HookID               string `json:"hookId"`
		Action               string `json:"action"`
	}
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	d, err := s.findDeployment(in.ServiceDeploymentArn)
	if err != nil {
		return nil, err
	}
	if in.Action != "CONTINUE" && in.Action != "ROLLBACK" {
		return nil, invalid("action must be CONTINUE or ROLLBACK.")
	}
	i := slices.IndexFunc(d.hooks, func(h *hookRun) bool { return h.HookID == in.HookID })
	if i < 0 || d.hooks[i].Status != "AWAITING_ACTION" {
		return nil, invalid("The lifecycle hook %s of service deployment %s is not awaiting action.", in.HookID, d.arn)
	}
	now := s.Clock.Now()
	if in.Action == "ROLLBACK" {
		d.hooks[i].Status = "SUCCEEDED"
		s.rollBack(d, now, "Service deployment rolled back because ContinueServiceDeployment asked for ROLLBACK at lifecycle hook "+in.HookID+".")
	} else {
		d.hooks[i].Status, d.at = "SUCCEEDED", later(d.at, now)
		s.advance(d, now)
	}
	d.updatedAt = now
	return map[string]any{"serviceDeploymentArn": d.arn}, nil
}
