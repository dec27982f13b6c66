package ecr

import (
	"encoding/json"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim"
)

// Repository policies: Set/Get/DeleteRepositoryPolicy, shapes and errors as
// in botocore's ecr model. An invalid policy is refused with
// InvalidParameterException "Invalid parameter at 'PolicyText' failed to
// satisfy constraint: 'Invalid repository policy provided'" (the message
// terraform-provider-aws retries on); a repository without one answers
// RepositoryPolicyNotFoundException with the message AWS returns (recorded
// in aquasecurity/cloudsploit's plugins/aws/ecr/ecrRepositoryPolicy.spec.js).

type policyInput struct {
	RepositoryName string `json:"repositoryName"`
	PolicyText     string `json:"policyText"`
}

func (s *Service) setRepositoryPolicy(r *awssim.Request) (any, error) {
	var in policyInput
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	repo, err := s.repository(in.RepositoryName)
	if err != nil {
		return nil, err
	}
	if _, err := awssim.ParseResourcePolicy([]byte(in.PolicyText)); err != nil || len(in.PolicyText) > 10240 {
		return nil, awssim.Errorf("InvalidParameterException", "Invalid parameter at 'PolicyText' failed to satisfy constraint: 'Invalid repository policy provided'")
	}
	repo.policy = in.PolicyText
	return policyOutput(repo), nil
}

func (s *Service) getRepositoryPolicy(r *awssim.Request) (any, error) {
	repo, err := s.policyRepository(r)
	if err != nil {
		return nil, err
	}
	return policyOutput(repo), nil
}

func (s *Service) deleteRepositoryPolicy(r *awssim.Request) (any, error) {
	repo, err := s.policyRepository(r)
	if err != nil {
		return nil, err
	}
	out := policyOutput(repo)
	repo.policy = ""
	return out, nil
}

// policyRepository returns the repository a request names, or ECR's error
// when it or its policy does not exist.
func (s *Service) policyRepository(r *awssim.Request) (*repository, error) {
	var in policyInput
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	repo, err := s.repository(in.RepositoryName)
	if err != nil {
		return nil, err
	}
	if repo.policy == "" {
		return nil, awssim.Errorf("RepositoryPolicyNotFoundException", "Repository policy does not exist for the repository with name '%s' in the registry with id '%s'", repo.name, awssim.Account)
	}
	return repo, nil
}

func policyOutput(repo *repository) map[string]string {
	return map[string]string{"registryId": awssim.Account, "repositoryName": repo.name, "policyText": repo.policy}
}

// Repository returns a repository's ARN (awssim.Images).
func (s *Service) Repository(name string) (string, bool) {
	s.receive()
	repo := s.ecr.repos[name]
	if repo == nil {
		return "", false
	}
	return repo.arn, true
}

// ServiceAllows reports whether a repository's policy lets a service
// principal acting for sourceARN perform every one of actions
// (awssim.Images).
func (s *Service) ServiceAllows(name, service, sourceARN string, actions ...string) bool {
	repo := s.ecr.repos[name]
	if repo == nil || repo.policy == "" {
		return false
	}
	p, err := awssim.ParseResourcePolicy([]byte(repo.policy))
	if err != nil {
		return false
	}
	for _, a := range actions {
		if p.ServiceAllows(service, a, sourceARN) != awssim.Allowed {
			return false
		}
	}
	return true
}

// AddStatement adds a statement to a repository's policy, making the
// policy when it has none (awssim.Images).
func (s *Service) AddStatement(name string, statement map[string]any) {
	repo := s.ecr.repos[name]
	if repo == nil {
		return
	}
	doc := map[string]any{"Version": "2012-10-17", "Statement": []any{}}
	if repo.policy != "" {
		json.Unmarshal([]byte(repo.policy), &doc)
	}
	var list []any
	switch st := doc["Statement"].(type) {
	case []any:
		list = st
	case map[string]any:
		list = []any{st}
	}
	doc["Statement"] = append(list, statement)
	data, _ := json.MarshalIndent(doc, "", "  ")
	repo.policy = string(data)
}
