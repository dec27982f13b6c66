package awssim

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"
)

// Peers are the calls one service makes on another. Each is an interface
// the consuming service needs and the providing service implements; the
// package that assembles the sandbox fills them in, so that no service
// package imports another. Every method runs with the lock held.
type Peers struct {
	Objects  Objects  // S3, for CodeDeploy's S3 revisions
	Images   Images   // ECR, for Lambda's ImageUri
	TaskSets TaskSets // ECS, for CodeDeploy's ECS deployments
	Aliases  Aliases  // Lambda, for CodeDeploy's Lambda deployments
	// Functions is Lambda, for the Lambda hooks of ECS service deployments.
	Functions Functions
	// Registries are the other regions' ECR registries, for ECR
	// replication; nil in a single-region sandbox.
	Registries Registries
	// NewAgent returns the exec agent with its deployment root (empty: a
	// new temporary folder).
	NewAgent func(root string) (HostAgent, error)
}

// Objects reads S3 objects.
type Objects interface {
	Object(bucket, key string) ([]byte, bool)
}

// Images finds images in the ECR repositories and reads and extends their
// repository policies, for Lambda.
type Images interface {
	// Image returns the digest and media type of repository:ref, where ref
	// is a tag or (byDigest) a digest.
	Image(repository, ref string, byDigest bool) (digest, mediaType string, ok bool)
	// Repository returns a repository's ARN.
	Repository(name string) (arn string, ok bool)
	// ServiceAllows reports whether a repository's policy lets a service
	// principal acting for sourceARN perform every one of actions.
	ServiceAllows(repository, service, sourceARN string, actions ...string) bool
	// AddStatement adds a statement to a repository's policy, making the
	// policy when the repository has none.
	AddStatement(repository string, statement map[string]any)
}

// TaskSets is what CodeDeploy asks of ECS.
type TaskSets interface {
	// Service returns an ECS service.
	Service(cluster, service string) (ECSService, bool)
	// CheckSpec returns the ARN of the AppSpec's task definition, or why
	// ECS cannot start a task set of it with the AppSpec's container and
	// port for svc.
	CheckSpec(svc ECSService, taskDef, container string, port int) (arn, problem string)
}

// ECSService is one ECS service as CodeDeploy moves its task sets.
type ECSService interface {
	Cluster() string
	Name() string
	ARN() string
	// Controller is the service's deployment controller type.
	Controller() string
	// Primary returns the PRIMARY task set, or nil.
	Primary() TaskSet
	// CreateTaskSet starts a task set of taskDef at scale 100 with every
	// task running, with network (the service's when nil).
	CreateTaskSet(taskDef string, network json.RawMessage, t time.Time) TaskSet
	SetPrimary(ts TaskSet, t time.Time)
	RemoveTaskSet(ts TaskSet)
}

// TaskSet is one ECS task set as CodeDeploy reports it.
type TaskSet interface {
	Info() TaskSetInfo
}

// TaskSetInfo is what CodeDeploy's deployment targets tell of a task set.
type TaskSetInfo struct {
	ID                                       string
	Status                                   string
	DesiredCount, PendingCount, RunningCount int
}

// Aliases is what CodeDeploy asks of Lambda.
type Aliases interface {
	// Alias returns the alias of a function that CodeDeploy moves from
	// version current to target, or the deployment's error code and
	// message when the function does not match the AppSpec.
	Alias(function, alias, current, target string, now time.Time) (Alias, string, string)
}

// Functions is what ECS asks of Lambda before it plays a lifecycle hook's
// function.
type Functions interface {
	// Function reports whether the function (name, ARN or ARN with a
	// qualifier) exists.
	Function(nameOrArn string) bool
}

// Alias is a Lambda alias CodeDeploy shifts.
type Alias interface {
	// Route gives version target weight percent of the alias's traffic,
	// the rest to current; at 100 the alias points at target alone.
	Route(current, target string, weight float64)
}

// HostAgent is the exec agent: the CodeDeploy agent of the sandbox's one
// instance, this host.
type HostAgent interface {
	Root() string
	// LastInstall returns the deployment root of the group's last
	// successful install, or "".
	LastInstall(groupID string) string
	Download(groupID, root string, bundle []byte, bundleType string) error
	Install(groupID, root, fileExists string) error
	// RunHooks runs an event's scripts and returns the first failure, or
	// nil.
	RunHooks(ctx context.Context, run HookRun) *HookFailure
	// Home returns the home folder of hook scripts, whose AWS config
	// points at endpoint (the sandbox) and its instance metadata service;
	// region is the instance's.
	Home(endpoint, region string) string
	// ServeMetadata answers a call to the instance metadata service;
	// path follows its root, /_awssim/imds/.
	ServeMetadata(w http.ResponseWriter, r *http.Request, path string)
	// Close removes what the agent made under its root (all of it when
	// the agent created the root).
	Close() error
}

// HookRun is one lifecycle event's scripts on the host.
type HookRun struct {
	Event string
	// Root is the deployment's root: its logs/scripts.log gets the output.
	Root string
	// Revision is the deployment root whose revision's scripts run (the
	// deployment's own, or an earlier one's); "": none, nothing runs.
	Revision string
	Env      []string
}

// HookFailure is why a lifecycle event failed on the host.
type HookFailure struct {
	ErrorCode, ScriptName, Message, LogTail string
}

// Agent modes: how the lifecycle events of Server deployments happen.
const (
	AgentSimulated = "simulated" // the engine decides every event (the default)
	AgentExec      = "exec"      // this host is the instance: hooks run for real
)

// SetAgent switches the lifecycle engine between AgentSimulated and AgentExec;
// root is the exec agent's deployment root (empty: a new temporary folder).
// It affects deployments created afterwards.
func (s *Server) SetAgent(mode, root string) error {
	var a HostAgent
	switch mode {
	case "", AgentSimulated:
	case AgentExec:
		var err error
		if a, err = s.Peers.NewAgent(root); err != nil {
			return err
		}
	default:
		return fmt.Errorf("agent %q: want %s or %s", mode, AgentSimulated, AgentExec)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.agent = a
	if a != nil {
		s.agents = append(s.agents, a)
	}
	return nil
}

// Close removes what every exec agent of the sandbox made under its
// deployment root. Call it once the sandbox serves no more.
func (s *Server) Close() error {
	s.mu.Lock()
	agents := s.agents
	s.agents = nil
	s.mu.Unlock()
	var errs []error
	for _, a := range agents {
		errs = append(errs, a.Close())
	}
	return errors.Join(errs...)
}

// Agent returns the exec agent, or nil when hooks are simulated; call it
// with the lock held.
func (s *Server) Agent() HostAgent { return s.agent }

// AgentRoot returns the exec agent's deployment root, or "" when hooks are
// simulated.
func (s *Server) AgentRoot() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.agent == nil {
		return ""
	}
	return s.agent.Root()
}

// ErrNoAppSpec is the agent's error for a revision without an AppSpec.
var ErrNoAppSpec = errors.New(`the CodeDeploy agent did not find an AppSpec file within the unpacked revision directory at revision-relative path "appspec.yml"`)
