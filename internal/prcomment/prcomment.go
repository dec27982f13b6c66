// Package prcomment keeps one comment of the action per target on a pull
// request: the comment carries a hidden marker naming the target, is created
// by the first run and edited in place by later ones, through the REST API
// (go-github) on github.com and GitHub Enterprise Server alike.
package prcomment

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/ghapi"

	"github.com/google/go-github/v60/github"
)

// Client comments on a repository's pull requests.
type Client struct {
	issues      *github.IssuesService
	owner, repo string
}

// New returns a client for repository ("owner/name") at apiURL (the API
// root, as GITHUB_API_URL gives it), authenticated with token. httpClient
// nil: http.DefaultClient.
func New(httpClient *http.Client, apiURL, token, repository string) (*Client, error) {
	client, owner, repo, err := ghapi.New(httpClient, apiURL, token, repository)
	if err != nil {
		return nil, err
	}
	return &Client{issues: client.Issues, owner: owner, repo: repo}, nil
}

// Marker is the hidden first line that marks the comment for key (an
// environment, or a platform and name). "--" cannot end an HTML comment
// early: it is spelled "- -" in the key.
func Marker(key string) string {
	return "<!-- bluegreen-deploy plan: " + strings.ReplaceAll(key, "--", "- -") + " -->"
}

// Comment is a pull request comment as Upsert left it.
type Comment struct {
	ID      int64
	URL     string // html_url
	Created bool   // false: an earlier run's comment was edited
}

// Upsert makes body the comment marked for key on pull request number: it
// edits the comment an earlier run posted, or creates it.
func (c *Client) Upsert(ctx context.Context, number int, key, body string) (Comment, error) {
	marker := Marker(key)
	text := marker + "\n" + body
	id, err := c.find(ctx, number, marker)
	if err != nil {
		return Comment{}, err
	}
	if id != 0 {
		got, _, err := c.issues.EditComment(ctx, c.owner, c.repo, id, &github.IssueComment{Body: github.String(text)})
		if err != nil {
			return Comment{}, fmt.Errorf("updating the plan comment %d on pull request #%d: %w", id, number, err)
		}
		return Comment{ID: got.GetID(), URL: got.GetHTMLURL()}, nil
	}
	got, _, err := c.issues.CreateComment(ctx, c.owner, c.repo, number, &github.IssueComment{Body: github.String(text)})
	if err != nil {
		return Comment{}, fmt.Errorf("commenting the plan on pull request #%d: %w", number, err)
	}
	return Comment{ID: got.GetID(), URL: got.GetHTMLURL(), Created: true}, nil
}

// find returns the id of the pull request's comment whose first line is
// marker, 0 when there is none, reading every page of comments.
func (c *Client) find(ctx context.Context, number int, marker string) (int64, error) {
	opts := &github.IssueListCommentsOptions{ListOptions: github.ListOptions{PerPage: 100}}
	for {
		comments, resp, err := c.issues.ListComments(ctx, c.owner, c.repo, number, opts)
		if err != nil {
			return 0, fmt.Errorf("reading the comments of pull request #%d: %w", number, err)
		}
		for _, cm := range comments {
			if first, _, _ := strings.Cut(cm.GetBody(), "\n"); strings.TrimSpace(first) == marker {
				return cm.GetID(), nil
			}
		}
		if resp.NextPage == 0 {
			return 0, nil
		}
		opts.Page = resp.NextPage
	}
}

// PullRequest returns the number of the pull request a workflow run is
// for: the payload's pull_request.number on pull_request and
// pull_request_target events (GitHub's webhook payload; GITHUB_EVENT_PATH
// holds it), and false on any other event.
func PullRequest(eventName string, payload []byte) (int, bool, error) {
	if eventName != "pull_request" && eventName != "pull_request_target" {
		return 0, false, nil
	}
	var event struct {
		PullRequest struct {
			Number int `json:"number"`
		} `json:"pull_request"`
	}
	if err := json.Unmarshal(payload, &event); err != nil {
		return 0, false, fmt.Errorf("reading the %s event: %w", eventName, err)
	}
	if event.PullRequest.Number <= 0 {
		return 0, false, fmt.Errorf("reading the %s event: it names no pull request number", eventName)
	}
	return event.PullRequest.Number, true, nil
}
