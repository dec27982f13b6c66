// Package ghapi makes the GitHub REST API client (go-github) for the
// workflow's repository, on github.com and GitHub Enterprise Server alike.
package ghapi

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/google/go-github/v60/github"
)

// New returns a client for the API at apiURL (GITHUB_API_URL: the API root,
// https://ghes.example.com/api/v3 on Enterprise Server, so the base URL as it
// is), authenticated with token, and repository's ("owner/name") owner and
// name. httpClient nil: http.DefaultClient.
func New(httpClient *http.Client, apiURL, token, repository string) (client *github.Client, owner, repo string, err error) {
	owner, repo, ok := strings.Cut(repository, "/")
	if !ok || owner == "" || repo == "" {
		return nil, "", "", fmt.Errorf("GITHUB_REPOSITORY %q is not owner/name", repository)
	}
	base, err := url.Parse(strings.TrimSuffix(apiURL, "/") + "/")
	if err != nil {
		return nil, "", "", fmt.Errorf("GITHUB_API_URL %q: %w", apiURL, err)
	}
	client = github.NewClient(httpClient).WithAuthToken(token)
	client.BaseURL = base
	return client, owner, repo, nil
}
