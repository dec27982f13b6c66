package awssim

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"time"
)

// Account is the AWS account id every resource in the sandbox belongs to.
const Account = "123456789012"

// Options configure a Server.
type Options struct {
	// TimeScale is how many simulated seconds pass per wall-clock second.
	// Zero means DefaultTimeScale.
	TimeScale float64
	// Host is the host:port clients reach the server on; it prefixes
	// repositoryUri and proxyEndpoint. Set it once the listener is bound.
	Host string
	// Region is the region the server stands for where a request names
	// none (its registry, unsigned calls) and the source region of its ECR
	// replication. Empty: DefaultRegion.
	Region string
	// Clock is the simulated time, shared by the regions of one sandbox;
	// nil: a new clock at TimeScale.
	Clock *Clock
}

// DefaultRegion is the region of a server whose Options name none.
const DefaultRegion = "us-east-1"

// DefaultTimeScale lets every built-in deployment configuration run to its end
// within 15 s of wall time.
const DefaultTimeScale = 600

// Server is the sandbox's core: one http.Handler that routes every API call
// to the service registered for it (see Register).
type Server struct {
	Clock *Clock
	// Peers are the calls one service makes on another; the package that
	// assembles the sandbox fills them in.
	Peers Peers

	mu       sync.Mutex // guards everything below and the service state
	host     string
	region   string
	calls    []Call
	faults   []*Fault
	scenario Scenario
	policy   *Policy            // nil: every call is allowed
	agent    HostAgent          // nil: lifecycle events are simulated
	agents   []HostAgent        // every exec agent, for Close
	roles    map[string]*Role   // IAM roles by ARN
	sessions map[string]session // role sessions by access key id

	services map[string]*Service // by name
	matchers []*Service          // services with Match, asked in order
	targets  map[string]string   // X-Amz-Target prefix -> service name
	routes   []*Service          // services with their own path
	settlers []func()
}

// NewServer returns a sandbox core with no services.
func NewServer(opts Options) *Server {
	scale := opts.TimeScale
	if scale == 0 {
		scale = DefaultTimeScale
	}
	clock := opts.Clock
	if clock == nil {
		clock = NewClock(scale)
	}
	region := opts.Region
	if region == "" {
		region = DefaultRegion
	}
	return &Server{Clock: clock, host: opts.Host, region: region, services: map[string]*Service{}, targets: map[string]string{}}
}

// Region returns the region the server stands for (Options.Region).
func (s *Server) Region() string { return s.region }

// SetHost sets the host:port clients use to reach the server.
func (s *Server) SetHost(host string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.host = host
}

// Host returns the host:port clients use to reach the server.
func (s *Server) Host() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.host
}

// HostLocked is Host for a caller that holds the lock.
func (s *Server) HostLocked() string { return s.host }

// Lock takes the sandbox's one lock, which guards the state of every
// service; operations, authorizers, seeds and settlers run with it held.
func (s *Server) Lock() { s.mu.Lock() }

// Unlock releases the lock Lock took.
func (s *Server) Unlock() { s.mu.Unlock() }

// Call is one API request as recorded by the sandbox.
type Call struct {
	Service   string    `json:"service"`
	Operation string    `json:"operation"`
	Status    int       `json:"status"` // 0: the connection was reset
	Time      time.Time `json:"time"`
	// IAMActions lists the IAM actions the call was checked against.
	IAMActions []string `json:"iamActions,omitempty"`
	// Payload is what the sandbox sent when it played a call itself (a
	// Lambda hook ECS invokes).
	Payload json.RawMessage `json:"payload,omitempty"`
}

// Calls returns every request recorded so far, oldest first.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Call(nil), s.calls...)
}

// Request is what an operation receives.
type Request struct {
	Region string
	Body   []byte
	IAM    *IAMCall // nil for seed calls: not authorized
}

// Decode unmarshals the request body into v, reporting bad JSON as AWS does.
func (r *Request) Decode(v any) error {
	if len(r.Body) == 0 {
		return nil
	}
	if err := json.Unmarshal(r.Body, v); err != nil {
		return &Error{Status: 400, Code: "SerializationException", Message: err.Error()}
	}
	return nil
}

// JSONOp handles one JSON 1.1 operation. It runs with the lock held and
// returns the response body (marshalled as JSON) or an *Error.
type JSONOp func(r *Request) (any, error)

// Error is an AWS error response.
type Error struct {
	Status  int
	Code    string
	Message string
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Errorf returns a 400 error with the given AWS error code.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Status: 400, Code: code, Message: fmt.Sprintf(format, args...)}
}

// EpochSeconds renders t as JSON 1.1 services do: seconds since the epoch,
// with a fraction.
func EpochSeconds(t time.Time) float64 { return float64(t.UnixMilli()) / 1000 }

var credentialScope = regexp.MustCompile(`Credential=([^/]+)/\d{8}/([^/]+)/([^/]+)/aws4_request`)

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/_awssim/") {
		s.serveControl(w, r)
		return
	}
	if svc := s.route(r); svc != nil {
		svc.Handler.ServeHTTP(w, r)
		return
	}

	svc, operation := s.classify(r)
	service := "unknown"
	if svc != nil {
		service = svc.Name
	}
	rec := &StatusRecorder{ResponseWriter: w, Status: 200}
	ic := &IAMCall{}
	defer func() { s.Record(service, operation, rec.Status, ic.actions) }()

	key, region, signed := signingScope(r)
	if !signed && !(service == "sts" && operation == "AssumeRoleWithWebIdentity") {
		s.WriteError(rec, service, &Error{Status: 403, Code: "MissingAuthenticationTokenException", Message: "Missing Authentication Token"})
		return
	}
	if signed {
		ic.key = key
	} else {
		region = s.region
	}
	if s.ApplyFaults(rec, service, operation) {
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		s.WriteError(rec, service, &Error{Status: 400, Code: "BadRequest", Message: err.Error()})
		return
	}
	req := &Request{Region: region, Body: body, IAM: ic}
	if e := s.authorize(svc, service, operation, r, req); e != nil {
		s.WriteError(rec, service, e)
		return
	}
	if svc != nil && svc.Serve != nil {
		svc.Serve(rec, r, operation, req)
		return
	}
	s.serveJSON(rec, service, operation, req)
}

// route returns the service with its own path that serves r, or nil.
func (s *Server) route(r *http.Request) *Service {
	for _, svc := range s.routes {
		if r.URL.Path == svc.Path || strings.HasPrefix(r.URL.Path, svc.Path+"/") {
			return svc
		}
	}
	return nil
}

// classify finds the service and operation of an API request: a JSON 1.1
// service by its X-Amz-Target, else the first service whose Match takes it.
func (s *Server) classify(r *http.Request) (*Service, string) {
	if target := r.Header.Get("X-Amz-Target"); target != "" {
		prefix, op, _ := strings.Cut(target, ".")
		if name, ok := s.targets[prefix]; ok {
			return s.services[name], op
		}
		return nil, target
	}
	for _, svc := range s.matchers {
		if op, ok := svc.Match(r); ok {
			return svc, op
		}
	}
	return nil, ""
}

func (s *Server) serveJSON(w http.ResponseWriter, service, operation string, req *Request) {
	data, err := s.callJSON(service, operation, req)
	if err != nil {
		s.WriteError(w, service, err)
		return
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-RequestId", RequestID())
	w.Write(data)
}

// callJSON runs a JSON operation and marshals its answer, both under the
// lock: answers point into the state, which the next call may change.
func (s *Server) callJSON(service, operation string, req *Request) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var op JSONOp
	if svc := s.services[service]; svc != nil {
		op = svc.Ops[operation]
	}
	if op == nil {
		return nil, &Error{Status: 400, Code: "UnknownOperationException", Message: fmt.Sprintf("operation %s is not supported by the sandbox", operation)}
	}
	out, err := op(req)
	if err != nil {
		return nil, err
	}
	if out == nil {
		out = struct{}{}
	}
	return json.Marshal(out)
}

// WriteError writes err in the wire format of the service: its own
// WriteError, else AWS JSON 1.1.
func (s *Server) WriteError(w http.ResponseWriter, service string, err error) {
	e, ok := err.(*Error)
	if !ok {
		e = &Error{Status: 500, Code: "InternalFailure", Message: err.Error()}
	}
	if svc := s.services[service]; svc != nil && svc.WriteError != nil {
		svc.WriteError(w, e)
		return
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-RequestId", RequestID())
	w.Header().Set("X-Amzn-ErrorType", e.Code)
	w.WriteHeader(e.Status)
	json.NewEncoder(w).Encode(map[string]string{"__type": e.Code, "message": e.Message})
}

// Record adds a call to the call log.
func (s *Server) Record(service, operation string, status int, iamActions []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = append(s.calls, Call{Service: service, Operation: operation, Status: status, Time: time.Now().UTC(), IAMActions: iamActions})
}

// RecordLocked adds a call the sandbox made itself to the call log; call it
// with the lock held.
func (s *Server) RecordLocked(c Call) {
	c.Time = time.Now().UTC()
	s.calls = append(s.calls, c)
}

// StatusRecorder remembers the status of the answer it passes on, for the
// call log.
type StatusRecorder struct {
	http.ResponseWriter
	Status int
}

func (r *StatusRecorder) WriteHeader(code int) {
	r.Status = code
	r.ResponseWriter.WriteHeader(code)
}
