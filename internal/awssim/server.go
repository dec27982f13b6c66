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
}

// DefaultTimeScale lets every built-in deployment configuration run to its end
// within 15 s of wall time.
const DefaultTimeScale = 600

// Server is the sandbox: one http.Handler for every emulated service.
type Server struct {
	Clock *Clock

	mu       sync.Mutex // guards everything below and the service state
	host     string
	calls    []Call
	faults   []*Fault
	scenario Scenario
	policy   *Policy // nil: every call is allowed

	jsonOps map[string]map[string]jsonOp // service -> operation -> handler

	sm       *smState
	ecr      *ecrState
	s3       *s3State
	ecs      *ecsState
	cd       *cdState
	lambda   *lambdaState
	agent    *execAgent // nil: lifecycle events are simulated
	registry http.Handler
}

// New returns a sandbox with no resources.
func New(opts Options) *Server {
	scale := opts.TimeScale
	if scale == 0 {
		scale = DefaultTimeScale
	}
	s := &Server{Clock: NewClock(scale), host: opts.Host}
	s.sm = newSMState()
	s.ecr = newECRState()
	s.s3 = newS3State()
	s.ecs = newECSState()
	s.cd = newCDState()
	s.lambda = newLambdaState()
	s.registry = s.newRegistry()
	s.jsonOps = map[string]map[string]jsonOp{
		"secretsmanager": s.secretsManagerOps(),
		"ecr":            s.ecrOps(),
		"ecs":            s.ecsOps(),
		"codedeploy":     s.codeDeployOps(),
	}
	return s
}

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

// Call is one API request as recorded by the sandbox.
type Call struct {
	Service   string    `json:"service"`
	Operation string    `json:"operation"`
	Status    int       `json:"status"` // 0: the connection was reset
	Time      time.Time `json:"time"`
	// IAMActions lists the IAM actions the call was checked against.
	IAMActions []string `json:"iamActions,omitempty"`
}

// Calls returns every request recorded so far, oldest first.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Call(nil), s.calls...)
}

// jsonTargets maps the X-Amz-Target prefix of each JSON 1.1 service to its name.
var jsonTargets = map[string]string{
	"secretsmanager":                       "secretsmanager",
	"AmazonEC2ContainerRegistry_V20150921": "ecr",
	"AmazonEC2ContainerServiceV20141113":   "ecs",
	"CodeDeploy_20141006":                  "codedeploy",
}

// request is what a JSON operation handler receives.
type request struct {
	Region string
	Body   []byte
	iam    *iamCall // nil for seed calls: not authorized
}

// decode unmarshals the request body into v, reporting bad JSON as AWS does.
func (r *request) decode(v any) error {
	if len(r.Body) == 0 {
		return nil
	}
	if err := json.Unmarshal(r.Body, v); err != nil {
		return &Error{Status: 400, Code: "SerializationException", Message: err.Error()}
	}
	return nil
}

// jsonOp handles one JSON 1.1 operation. It runs with s.mu held and returns
// the response body (marshalled as JSON) or an *Error.
type jsonOp func(r *request) (any, error)

// Error is an AWS error response.
type Error struct {
	Status  int
	Code    string
	Message string
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// errorf returns a 400 error with the given AWS error code.
func errorf(code, format string, args ...any) *Error {
	return &Error{Status: 400, Code: code, Message: fmt.Sprintf(format, args...)}
}

// epochSeconds renders t as JSON 1.1 services do: seconds since the epoch,
// with a fraction.
func epochSeconds(t time.Time) float64 { return float64(t.UnixMilli()) / 1000 }

var credentialScope = regexp.MustCompile(`Credential=[^/]+/\d{8}/([^/]+)/([^/]+)/aws4_request`)

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case strings.HasPrefix(r.URL.Path, "/_awssim/"):
		s.serveControl(w, r)
		return
	case r.URL.Path == "/v2" || strings.HasPrefix(r.URL.Path, "/v2/"):
		s.serveRegistry(w, r)
		return
	}

	service, operation := classify(r)
	rec := &statusRecorder{ResponseWriter: w, status: 200}
	ic := &iamCall{}
	defer func() { s.record(service, operation, rec.status, ic.actions) }()

	m := credentialScope.FindStringSubmatch(r.Header.Get("Authorization"))
	if m == nil && !(service == "sts" && operation == "AssumeRoleWithWebIdentity") {
		writeError(rec, service, &Error{Status: 403, Code: "MissingAuthenticationTokenException", Message: "Missing Authentication Token"})
		return
	}
	region := "us-east-1"
	if m != nil {
		region = m[1]
	}
	if s.applyFaults(rec, service, operation) {
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		writeError(rec, service, &Error{Status: 400, Code: "BadRequest", Message: err.Error()})
		return
	}
	if e := s.authorize(ic, service, operation, region, r, body); e != nil {
		writeError(rec, service, e)
		return
	}
	switch service {
	case "sts":
		s.serveSTS(rec, operation, region, body)
	case "s3":
		s.serveS3(rec, r, region, body)
	case "lambda":
		s.serveLambda(rec, r, operation, region, body)
	default:
		s.serveJSON(rec, service, operation, &request{Region: region, Body: body, iam: ic})
	}
}

// classify names the service and operation of an API request.
func classify(r *http.Request) (service, operation string) {
	if isLambda(r) {
		return "lambda", lambdaOperation(r)
	}
	if target := r.Header.Get("X-Amz-Target"); target != "" {
		prefix, op, _ := strings.Cut(target, ".")
		if svc, ok := jsonTargets[prefix]; ok {
			return svc, op
		}
		return "unknown", target
	}
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		// The query protocol: only STS is served that way here. Peek at
		// Action without consuming the body for the handler.
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(strings.NewReader(string(body)))
		if action := formValue(string(body), "Action"); action != "" {
			return "sts", action
		}
	}
	return "s3", s3Operation(r)
}

func (s *Server) serveJSON(w http.ResponseWriter, service, operation string, req *request) {
	data, err := s.callJSON(service, operation, req)
	if err != nil {
		writeError(w, service, err)
		return
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-RequestId", requestID())
	w.Write(data)
}

// callJSON runs a JSON operation and marshals its answer, both under s.mu:
// answers point into the state, which the next call may change.
func (s *Server) callJSON(service, operation string, req *request) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	op, ok := s.jsonOps[service][operation]
	if !ok {
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

// writeError writes err in the wire format of the service.
func writeError(w http.ResponseWriter, service string, err error) {
	e, ok := err.(*Error)
	if !ok {
		e = &Error{Status: 500, Code: "InternalFailure", Message: err.Error()}
	}
	switch service {
	case "registry":
		writeRegistryError(w, e.Status, e.Code, e.Message)
	case "sts":
		writeQueryError(w, e)
	case "s3":
		writeS3Error(w, e)
	case "lambda":
		writeLambdaError(w, e)
	default:
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.Header().Set("X-Amzn-RequestId", requestID())
		w.Header().Set("X-Amzn-ErrorType", e.Code)
		w.WriteHeader(e.Status)
		json.NewEncoder(w).Encode(map[string]string{"__type": e.Code, "message": e.Message})
	}
}

func (s *Server) record(service, operation string, status int, iamActions []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = append(s.calls, Call{Service: service, Operation: operation, Status: status, Time: time.Now().UTC(), IAMActions: iamActions})
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}
