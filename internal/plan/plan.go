// Package plan is what `command: plan` reports: what a deploy with the same
// inputs would read, change and roll out, and what a reviewer should know
// first. It holds the plan's model and renders it as Markdown (the job
// summary and the pull request comment) and as JSON (the plan-json output).
// It calls nothing.
package plan

import (
	"encoding/json"
	"time"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/rollout"
)

// Plan is what a deploy with the same inputs would do.
type Plan struct {
	Target  Target
	Secrets []Secret
	Image   *Image // nil: the deploy has no image stage
	// Live is what runs now, as the platform names it (revision, task
	// definition, function version, image).
	Live []Fact
	// Changes are what the deploy would change live; none: nothing.
	Changes []Change
	// Diffs are the changes as reviewers read them (a task definition, an
	// AppSpec), in unified diff form.
	Diffs    []Diff
	Rollout  *Rollout // nil: nothing would roll out
	Warnings []string
	// Targets are the plans of a run with several targets (input targets),
	// each without the image and secrets, which this plan holds once.
	Targets []Named
}

// Named is one target's plan in a run with several.
type Named struct {
	Name string
	Wave int
	Plan *Plan
}

// Target is where the deploy would go.
type Target struct {
	Platform    string // as the action names it: Server, ECS, Lambda, ECS-native
	Kind        string // e.g. "CodeDeploy deployment group", "ECS service"
	Name        string // e.g. "shop/web" (application/group), "prod/web" (cluster/service)
	Environment string // the GitHub environment, if any
}

// Key is what names the target in a pull request comment: the
// environment, or else the platform and name.
func (t Target) Key() string {
	if t.Environment != "" {
		return t.Environment
	}
	return t.Platform + " " + t.Name
}

// SecretStatus is what DescribeSecret said of a secret.
type SecretStatus string

// Secret statuses.
const (
	SecretFound   SecretStatus = "found"
	SecretMissing SecretStatus = "not found"
	SecretDenied  SecretStatus = "access denied"
	SecretDeleted SecretStatus = "scheduled for deletion"
	SecretNoMatch SecretStatus = "no match" // a prefix that matches no secret
	SecretProblem SecretStatus = "error"
)

// Secret is a secret the deploy would fetch: never its value.
type Secret struct {
	ID     string       `json:"id"`             // as the input names it (a prefix ends in *)
	Name   string       `json:"name,omitempty"` // the secret's name in Secrets Manager
	ARN    string       `json:"arn,omitempty"`
	Env    string       `json:"env,omitempty"` // the env name of its whole value
	Region string       `json:"region,omitempty"`
	Status SecretStatus `json:"status"`
	Detail string       `json:"detail,omitempty"` // the error's message, for a status other than found
}

// Fetchable is whether the deploy's fetch of the secret would find it.
func (s Secret) Fetchable() bool { return s.Status == SecretFound }

// ImageAction is what the image stage would do.
type ImageAction string

// Image actions.
const (
	ImageBuild    ImageAction = "build"    // build and push: the tag is not in ECR (or skip-existing is off)
	ImageSkip     ImageAction = "skip"     // the first tag is in ECR: nothing built or pushed
	ImageExisting ImageAction = "existing" // the image input, resolved to its digest
)

// Image is what the image stage would do.
type Image struct {
	Action     ImageAction `json:"action"`
	Repository string      `json:"repository,omitempty"` // registry host/name
	Tags       []string    `json:"tags,omitempty"`
	URI        string      `json:"uri,omitempty"` // by digest; "" when it would be built
	Digest     string      `json:"digest,omitempty"`
	Dockerfile string      `json:"dockerfile,omitempty"` // for a build
	Context    string      `json:"context,omitempty"`    // for a build
	// CreateRepository: the repository does not exist and the deploy
	// would create it (create-repository: true).
	CreateRepository bool `json:"createRepository,omitempty"`
}

// Fact is one thing live, as a label and its value.
type Fact struct {
	Label string `json:"label"`
	Value string `json:"value"`
}

// Change is one thing the deploy would change live.
type Change struct {
	What string `json:"what"`
	Live string `json:"live"` // "" when nothing is live
	Next string `json:"next"`
}

// Compare adds a change when live and next differ.
func (p *Plan) Compare(what, live, next string) {
	if live != next {
		p.Changes = append(p.Changes, Change{What: what, Live: live, Next: next})
	}
}

// Diff is a change in unified diff form.
type Diff struct {
	Title   string `json:"title"`   // e.g. "task definition shop-web"
	Unified string `json:"unified"` // "--- live\n+++ would be registered\n@@ …"
}

// Rollout is the rollout that would follow.
type Rollout struct {
	Config string // the deployment configuration's name, or the ECS-native strategy
	rollout.Estimate
}

// Changed is whether the deploy would change anything live: the changes
// output.
func (p *Plan) Changed() bool {
	for _, t := range p.Targets {
		if t.Plan.Changed() {
			return true
		}
	}
	return len(p.Changes) > 0 || len(p.Diffs) > 0
}

// jsonPlan is the plan-json output; MarshalJSON documents its shape.
type jsonPlan struct {
	Target      jsonTarget   `json:"target"`
	Changes     bool         `json:"changes"`
	Secrets     []Secret     `json:"secrets"`
	Image       *Image       `json:"image,omitempty"`
	Live        []Fact       `json:"live"`
	Differences []Change     `json:"differences"`
	Diffs       []Diff       `json:"diffs"`
	Rollout     *jsonRollout `json:"rollout,omitempty"`
	Warnings    []string     `json:"warnings"`
	Targets     []jsonNamed  `json:"targets,omitempty"`
}

type jsonNamed struct {
	Name string `json:"name"`
	Wave int    `json:"wave"`
	Plan *Plan  `json:"plan"`
}

type jsonTarget struct {
	Platform    string `json:"platform"`
	Kind        string `json:"kind"`
	Name        string `json:"name"`
	Environment string `json:"environment,omitempty"`
}

type jsonRollout struct {
	Config    string     `json:"config,omitempty"`
	Strategy  string     `json:"strategy"`
	Steps     []jsonStep `json:"steps"`
	Pause     bool       `json:"pause"`
	ReadyWait int64      `json:"readyWaitSeconds"`
	Wait      *jsonWait  `json:"wait,omitempty"`
	ToTraffic int64      `json:"toTrafficSeconds"`
	Total     int64      `json:"totalSeconds"`
}

type jsonStep struct {
	After   int64   `json:"afterSeconds"`
	Percent float64 `json:"percent"`
}

type jsonWait struct {
	Name    string `json:"name"`
	Seconds int64  `json:"seconds"`
}

// MarshalJSON writes the plan as the plan-json output, in this shape:
//
//	{
//	  "target":   {"platform": "ECS", "kind": "CodeDeploy deployment group", "name": "shop/web", "environment": "production"},
//	  "changes":  true,
//	  "secrets":  [{"id": "prod/db", "name": "prod/db", "region": "us-east-1", "status": "found"}],
//	  "image":    {"action": "skip", "repository": "…/shop", "tags": ["9f3c2ab"], "uri": "…/shop@sha256:…", "digest": "sha256:…"},
//	  "live":     [{"label": "task definition", "value": "arn:…:task-definition/shop-web:7"}],
//	  "differences": [{"what": "image", "live": "…@sha256:1…", "next": "…@sha256:2…"}],
//	  "diffs":    [{"title": "task definition shop-web", "unified": "--- live\n+++ would be registered\n…"}],
//	  "rollout":  {"config": "CodeDeployDefault.ECSLinear10PercentEvery1Minutes", "strategy": "linear: 10% every 1m",
//	               "steps": [{"afterSeconds": 0, "percent": 10}, …], "pause": false, "readyWaitSeconds": 0,
//	               "wait": {"name": "termination wait", "seconds": 300},
//	               "toTrafficSeconds": 600, "totalSeconds": 900},
//	  "warnings": ["auto-rollback is off: …"]
//	}
//
// Lists are [] when empty; image, rollout and wait are left out when there
// is none. Durations are whole seconds. A run with several targets adds
// "targets": [{"name": "eu-west-1/api", "wave": 1, "plan": {…}}], each
// plan in this shape without secrets and image, and "changes" is true when
// any of them changes something.
func (p *Plan) MarshalJSON() ([]byte, error) {
	out := jsonPlan{
		Target:      jsonTarget(p.Target),
		Changes:     p.Changed(),
		Secrets:     orEmpty(p.Secrets),
		Image:       p.Image,
		Live:        orEmpty(p.Live),
		Differences: orEmpty(p.Changes),
		Diffs:       orEmpty(p.Diffs),
		Warnings:    orEmpty(p.Warnings),
	}
	if r := p.Rollout; r != nil {
		jr := &jsonRollout{
			Config: r.Config, Strategy: r.Strategy, Steps: []jsonStep{}, Pause: r.Pause, ReadyWait: seconds(r.ReadyWait),
			ToTraffic: seconds(r.ToTraffic()), Total: seconds(r.Total()),
		}
		for _, s := range r.Steps {
			jr.Steps = append(jr.Steps, jsonStep{seconds(s.After), s.Percent})
		}
		if r.AfterLabel != "" {
			jr.Wait = &jsonWait{r.AfterLabel, seconds(r.After)}
		}
		out.Rollout = jr
	}
	for _, t := range p.Targets {
		out.Targets = append(out.Targets, jsonNamed(t))
	}
	return json.Marshal(out)
}

func seconds(d time.Duration) int64 { return int64(d / time.Second) }

func orEmpty[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
