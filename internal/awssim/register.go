package awssim

import (
	"encoding/json"
	"fmt"
	"net/http"
)

// Service is one emulated service as it registers with the core. A JSON 1.1
// service gives Target and Ops; a service of another protocol gives Match
// and Serve (and WriteError for its error shape); a service with a path of
// its own (the registry's /v2) gives Path and Handler.
type Service struct {
	Name string // as the call log, faults and seed calls name it

	// Target is the X-Amz-Target prefix of a JSON 1.1 service; Ops are its
	// operations by name (seed calls go to them too).
	Target string
	Ops    map[string]JSONOp

	// Match names the operation of a request the service answers. Services
	// are asked in the order they registered; the last may take every
	// request (S3).
	Match func(r *http.Request) (operation string, ok bool)
	// Serve answers a request Match took (without the lock held).
	Serve func(w http.ResponseWriter, r *http.Request, operation string, req *Request)
	// WriteError writes an error in the service's wire format (default:
	// AWS JSON 1.1).
	WriteError func(w http.ResponseWriter, e *Error)
	// Authorize checks a signed request against the IAM policy with
	// s.Allow or s.Check, with the lock held (default: the action
	// service:operation on "*").
	Authorize func(operation string, r *http.Request, req *Request) *Error
	// Seed makes a scenario's seed call, with the lock held (default: Ops).
	Seed func(operation string, req *Request, input map[string]any) error

	// Path and Handler serve every request under Path themselves.
	Path    string
	Handler http.Handler
}

// Register adds a service to the sandbox.
func (s *Server) Register(svc *Service) {
	s.services[svc.Name] = svc
	if svc.Target != "" {
		s.targets[svc.Target] = svc.Name
	}
	if svc.Match != nil {
		s.matchers = append(s.matchers, svc)
	}
	if svc.Path != "" {
		s.routes = append(s.routes, svc)
	}
}

// OnSettle adds f to what Settle runs.
func (s *Server) OnSettle(f func()) { s.settlers = append(s.settlers, f) }

// Settle brings every service's state up to the clock (the deployment
// engine advances lazily); services call it, with the lock held, before
// answering about state that time changes.
func (s *Server) Settle() {
	for _, f := range s.settlers {
		f()
	}
}

// seedCall runs one seed call with the lock held.
func (s *Server) seedCall(c SeedCall, req *Request) error {
	svc := s.services[c.Service]
	switch {
	case svc == nil:
		return fmt.Errorf("unknown operation")
	case svc.Seed != nil:
		return svc.Seed(c.Operation, req, c.Input)
	}
	op, ok := svc.Ops[c.Operation]
	if !ok {
		return fmt.Errorf("unknown operation")
	}
	_, err := op(req)
	return err
}

// Provision makes a call on a service's own operations for another service
// (CloudFormation creating a stack's resources), unauthorized like a seed
// call, with the lock held. It returns the operation's result for AWS JSON
// 1.1 operations, nil for services seeded otherwise (S3, Lambda).
func (s *Server) Provision(service, operation, region string, input map[string]any) (any, error) {
	svc := s.services[service]
	if svc == nil {
		return nil, fmt.Errorf("no service %s", service)
	}
	body, err := json.Marshal(input)
	if err != nil {
		return nil, err
	}
	req := &Request{Region: region, Body: body}
	if op, ok := svc.Ops[operation]; ok && svc.Seed == nil {
		return op(req)
	}
	return nil, s.seedCall(SeedCall{Service: service, Operation: operation, Input: input}, req)
}
