package awssim

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"time"

	"gopkg.in/yaml.v3"
)

// Scenario seeds resources and sets faults. The same schema is read from the
// -scenario file and from POST /_awssim/scenario; see the package doc.
type Scenario struct {
	// TimeScale, when set, changes the clock's simulated seconds per wall second.
	TimeScale float64 `yaml:"timeScale,omitempty" json:"timeScale,omitempty"`
	// Seed lists API calls to make, in order, as a client would.
	Seed []SeedCall `yaml:"seed,omitempty" json:"seed,omitempty"`
	// Faults change how API calls are answered.
	Faults []Fault `yaml:"faults,omitempty" json:"faults,omitempty"`
	// Lifecycle makes lifecycle events of deployments fail.
	Lifecycle []LifecycleFault `yaml:"lifecycle,omitempty" json:"lifecycle,omitempty"`
	// Hangs makes deployments of a group stop making progress.
	Hangs []Hang `yaml:"hangs,omitempty" json:"hangs,omitempty"`
	// ECSDeployments make ECS service deployments fail.
	ECSDeployments []ECSDeploymentFault `yaml:"ecsDeployments,omitempty" json:"ecsDeployments,omitempty"`
	// BreakBlobUploads makes that many registry blob uploads fail (-1: all);
	// when set, it replaces the count left by an earlier scenario.
	BreakBlobUploads int `yaml:"breakBlobUploads,omitempty" json:"breakBlobUploads,omitempty"`
	// DeniedSecrets lists secret names or ARNs (full or partial) whose reads
	// (GetSecretValue, BatchGetSecretValue, DescribeSecret) are denied.
	DeniedSecrets []string `yaml:"deniedSecrets,omitempty" json:"deniedSecrets,omitempty"`
	// Agent, when set, switches Server hooks between simulated and exec
	// (run on this host under AgentRoot; see SetAgent).
	Agent     string `yaml:"agent,omitempty" json:"agent,omitempty"`
	AgentRoot string `yaml:"agentRoot,omitempty" json:"agentRoot,omitempty"`
	// IAM is a policy document that replaces the sandbox's policy; see
	// ParsePolicy. Seed calls are never checked against it.
	IAM map[string]any `yaml:"iam,omitempty" json:"iam,omitempty"`
}

// policy parses the scenario's IAM policy (nil when it has none).
func (sc *Scenario) policy() (*Policy, error) {
	if sc.IAM == nil {
		return nil, nil
	}
	doc, err := json.Marshal(sc.IAM)
	if err != nil {
		return nil, err
	}
	return ParsePolicy(doc)
}

// SeedCall is one API call made when a scenario is applied.
type SeedCall struct {
	Service   string         `yaml:"service" json:"service"`
	Operation string         `yaml:"operation" json:"operation"`
	Region    string         `yaml:"region,omitempty" json:"region,omitempty"` // default: the server's region
	Input     map[string]any `yaml:"input,omitempty" json:"input,omitempty"`
}

// Fault changes the answer to matching API calls. Service "registry" is the
// registry API under /v2/, its operations named as the call log names them
// (PatchUpload, CompleteUpload, PutManifest, ...), its errors in the
// registry's JSON.
type Fault struct {
	Service   string `yaml:"service" json:"service"`
	Operation string `yaml:"operation,omitempty" json:"operation,omitempty"` // empty: every operation
	// Error is the AWS error code to answer with (ThrottlingException,
	// AccessDeniedException, ...; InternalFailure when only Status is set),
	// with HTTP Status (default 400) and Message (default: AWS's wording).
	Error   string `yaml:"error,omitempty" json:"error,omitempty"`
	Message string `yaml:"message,omitempty" json:"message,omitempty"`
	Status  int    `yaml:"status,omitempty" json:"status,omitempty"`
	// Latency delays the answer.
	Latency time.Duration `yaml:"latency,omitempty" json:"latency,omitempty"`
	// Reset closes the connection without an answer.
	Reset bool `yaml:"reset,omitempty" json:"reset,omitempty"`
	// After lets that many matching calls through first; Count is how many
	// calls the fault then affects (0: all of them).
	After int `yaml:"after,omitempty" json:"after,omitempty"`
	Count int `yaml:"count,omitempty" json:"count,omitempty"`

	seen int
}

// LifecycleFault makes a lifecycle event fail in deployments of a group.
type LifecycleFault struct {
	Application     string `yaml:"application,omitempty" json:"application,omitempty"`
	DeploymentGroup string `yaml:"deploymentGroup" json:"deploymentGroup"`
	Event           string `yaml:"event" json:"event"`                             // e.g. ValidateService, AfterAllowTestTraffic
	ErrorCode       string `yaml:"errorCode,omitempty" json:"errorCode,omitempty"` // default ScriptFailed
	Script          string `yaml:"script,omitempty" json:"script,omitempty"`
	Message         string `yaml:"message,omitempty" json:"message,omitempty"`
	LogTail         string `yaml:"logTail,omitempty" json:"logTail,omitempty"`
	// Count is how many deployments fail this way (0: every one).
	Count int `yaml:"count,omitempty" json:"count,omitempty"`
}

// Hang makes deployments of a group stay where they are once Event starts
// (default: the first event), until stopped.
type Hang struct {
	Application     string `yaml:"application,omitempty" json:"application,omitempty"`
	DeploymentGroup string `yaml:"deploymentGroup" json:"deploymentGroup"`
	Event           string `yaml:"event,omitempty" json:"event,omitempty"`
}

// ECSDeploymentFault makes service deployments of an ECS service (the ECS
// deployment controller) fail one way: its AWS_LAMBDA hook Function answers
// HookStatus (FAILED; IN_PROGRESS every time, so the hook times out), the
// circuit breaker trips (the new revision's tasks fail to start), or Alarms
// go into ALARM during the bake time.
type ECSDeploymentFault struct {
	Cluster        string   `yaml:"cluster,omitempty" json:"cluster,omitempty"` // empty: any
	Service        string   `yaml:"service" json:"service"`
	Function       string   `yaml:"function,omitempty" json:"function,omitempty"`     // name or ARN of the hook's function
	HookStatus     string   `yaml:"hookStatus,omitempty" json:"hookStatus,omitempty"` // default FAILED
	Stage          string   `yaml:"stage,omitempty" json:"stage,omitempty"`           // the hook's stage (empty: any)
	CircuitBreaker bool     `yaml:"circuitBreaker,omitempty" json:"circuitBreaker,omitempty"`
	Alarms         []string `yaml:"alarms,omitempty" json:"alarms,omitempty"`
	// Count is how many deployments fail this way (0: every one).
	Count int `yaml:"count,omitempty" json:"count,omitempty"`
	// Used counts the deployments it has affected.
	Used int `yaml:"-" json:"-"`
}

// LoadScenario reads a scenario file.
func LoadScenario(path string) (Scenario, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Scenario{}, err
	}
	return ParseScenario(data)
}

// ParseScenario parses a scenario from YAML or JSON.
func ParseScenario(data []byte) (Scenario, error) {
	var sc Scenario
	if err := yaml.Unmarshal(data, &sc); err != nil {
		return Scenario{}, fmt.Errorf("parsing scenario: %w", err)
	}
	for i, f := range sc.Faults {
		if f.Service == "" {
			return Scenario{}, fmt.Errorf("parsing scenario: fault %d has no service", i)
		}
	}
	if _, err := sc.policy(); err != nil {
		return Scenario{}, fmt.Errorf("parsing scenario: iam: %w", err)
	}
	return sc, nil
}

// Apply makes the scenario's seed calls and adds its faults.
func (s *Server) Apply(sc Scenario) error {
	policy, err := sc.policy()
	if err != nil {
		return fmt.Errorf("iam: %w", err)
	}
	if sc.TimeScale > 0 {
		s.Clock.SetScale(sc.TimeScale)
	}
	if sc.Agent != "" {
		if err := s.SetAgent(sc.Agent, sc.AgentRoot); err != nil {
			return err
		}
	}
	for i, c := range sc.Seed {
		if err := s.seed(c); err != nil {
			return fmt.Errorf("seed call %d (%s %s): %w", i, c.Service, c.Operation, err)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, f := range sc.Faults {
		s.faults = append(s.faults, &f)
	}
	s.scenario.Lifecycle = append(s.scenario.Lifecycle, sc.Lifecycle...)
	s.scenario.Hangs = append(s.scenario.Hangs, sc.Hangs...)
	s.scenario.ECSDeployments = append(s.scenario.ECSDeployments, sc.ECSDeployments...)
	s.scenario.DeniedSecrets = append(s.scenario.DeniedSecrets, sc.DeniedSecrets...)
	if sc.BreakBlobUploads != 0 {
		s.scenario.BreakBlobUploads = sc.BreakBlobUploads
	}
	if policy != nil {
		s.policy = policy
	}
	return nil
}

// Scenario returns the faults of the scenarios applied so far (all but
// their seeds), for the services to use up; call it with the lock held.
func (s *Server) Scenario() *Scenario { return &s.scenario }

// ClearFaults removes every fault, lifecycle fault, hang, denied secret and
// broken blob upload: all of the scenarios but their seeds.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
	s.scenario = Scenario{}
}

func (s *Server) seed(c SeedCall) error {
	region := c.Region
	if region == "" {
		region = s.region
	}
	body, err := json.Marshal(c.Input)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.seedCall(c, &Request{Region: region, Body: body})
}

// ApplyFaults answers the call per the first matching fault and reports
// whether it did. Latency faults delay and let the call through.
func (s *Server) ApplyFaults(w http.ResponseWriter, service, operation string) bool {
	s.mu.Lock()
	var hit *Fault
	for _, f := range s.faults {
		if f.Service != service || (f.Operation != "" && f.Operation != operation) {
			continue
		}
		f.seen++
		if f.seen <= f.After || (f.Count > 0 && f.seen > f.After+f.Count) {
			continue
		}
		hit = f
		break
	}
	var fault Fault
	if hit != nil {
		fault = *hit
	}
	s.mu.Unlock()
	if hit == nil {
		return false
	}
	if fault.Latency > 0 {
		time.Sleep(fault.Latency)
	}
	switch {
	case fault.Reset:
		resetConnection(w)
		return true
	case fault.Error != "" || fault.Status != 0:
		status := fault.Status
		if status == 0 {
			status = 400
		}
		code := fault.Error
		if code == "" {
			code = "InternalFailure"
		}
		msg := fault.Message
		if msg == "" {
			msg = faultMessage(code, service, operation)
		}
		s.WriteError(w, service, &Error{Status: status, Code: code, Message: msg})
		return true
	}
	return false
}

func faultMessage(code, service, operation string) string {
	switch code {
	case "ThrottlingException", "Throttling":
		return "Rate exceeded"
	case "AccessDeniedException", "AccessDenied":
		return fmt.Sprintf("User: arn:aws:iam::%s:user/sandbox is not authorized to perform: %s:%s because no identity-based policy allows the %s:%s action", Account, service, operation, service, operation)
	}
	return "We encountered an internal error. Please try again."
}

// resetConnection closes the client's connection without an HTTP answer.
func resetConnection(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if rec, isRec := w.(*StatusRecorder); isRec {
		rec.Status = 0 // no answer to log
		hj, ok = rec.ResponseWriter.(http.Hijacker)
	}
	if !ok {
		panic(http.ErrAbortHandler)
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	if tc, isTCP := conn.(*net.TCPConn); isTCP {
		tc.SetLinger(0) // RST instead of FIN
	}
	conn.Close()
}

// RequestID returns a request id in the shape AWS uses.
func RequestID() string {
	const hex = "0123456789abcdef"
	b := make([]byte, 36)
	for i := range b {
		switch i {
		case 8, 13, 18, 23:
			b[i] = '-'
		default:
			b[i] = hex[rand.IntN(16)]
		}
	}
	return string(b)
}
