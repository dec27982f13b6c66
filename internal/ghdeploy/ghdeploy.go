// Package ghdeploy owns GitHub Deployments: it creates a deployment of the
// commit to an environment and posts its statuses through the REST API
// (go-github), for github.com and GitHub Enterprise Server alike.
package ghdeploy

import (
	"context"
	"fmt"
	"net/http"
	"unicode/utf8"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/ghapi"

	"github.com/google/go-github/v60/github"
)

// Client creates GitHub deployments for a repository and posts their
// statuses, through the REST API at GITHUB_API_URL (github.com or GitHub
// Enterprise Server).
type Client struct {
	repos       *github.RepositoriesService
	owner, repo string
}

// New returns a client for repository ("owner/name") at apiURL,
// authenticated with token. httpClient nil: http.DefaultClient.
func New(httpClient *http.Client, apiURL, token, repository string) (*Client, error) {
	client, owner, repo, err := ghapi.New(httpClient, apiURL, token, repository)
	if err != nil {
		return nil, err
	}
	return &Client{repos: client.Repositories, owner: owner, repo: repo}, nil
}

// Create creates a deployment of the commit sha to environment, with no
// merge of the default branch and no required status checks, and returns
// its id.
func (d *Client) Create(ctx context.Context, sha, environment, description string) (int64, error) {
	dep, _, err := d.repos.CreateDeployment(ctx, d.owner, d.repo, &github.DeploymentRequest{
		Ref:              github.String(sha),
		Task:             github.String("deploy"),
		AutoMerge:        github.Bool(false),
		RequiredContexts: &[]string{},
		Environment:      github.String(environment),
		Description:      github.String(truncate(description, 140)),
	})
	if err != nil {
		return 0, fmt.Errorf("creating the GitHub deployment of %s to %q: %w", sha, environment, err)
	}
	return dep.GetID(), nil
}

// Status is one status of a GitHub deployment.
type Status struct {
	State          string // in_progress, success, failure, error
	Description    string
	LogURL         string // the workflow run
	EnvironmentURL string
	AutoInactive   bool // mark the environment's earlier successful deployments inactive
}

// SetStatus posts a status of deployment id.
func (d *Client) SetStatus(ctx context.Context, id int64, s Status) error {
	req := &github.DeploymentStatusRequest{
		State:        github.String(s.State),
		Description:  github.String(truncate(s.Description, 140)),
		AutoInactive: github.Bool(s.AutoInactive),
	}
	if s.LogURL != "" {
		req.LogURL = github.String(s.LogURL)
	}
	if s.EnvironmentURL != "" {
		req.EnvironmentURL = github.String(s.EnvironmentURL)
	}
	if _, _, err := d.repos.CreateDeploymentStatus(ctx, d.owner, d.repo, id, req); err != nil {
		return fmt.Errorf("setting GitHub deployment %d to %s: %w", id, s.State, err)
	}
	return nil
}

// truncate keeps s under n bytes (GitHub's limit for descriptions), on a rune boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	s = s[:n-3]
	for !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s + "..."
}
