package lambda

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim"
)

// lambdaOp handles one Lambda operation. in is the request body merged with
// the path and query parameters; it runs with s.mu held and returns the HTTP
// status and the answer, or an *awssim.Error.
type lambdaOp func(region string, in []byte) (int, any, error)

// lambdaRoutes maps each Lambda URI pattern to its operation name.
var lambdaRoutes = map[string]string{
	"POST /2015-03-31/functions":                                 "CreateFunction",
	"GET /2015-03-31/functions/{FunctionName}":                   "GetFunction",
	"GET /2015-03-31/functions/{FunctionName}/configuration":     "GetFunctionConfiguration",
	"PUT /2015-03-31/functions/{FunctionName}/code":              "UpdateFunctionCode",
	"POST /2015-03-31/functions/{FunctionName}/versions":         "PublishVersion",
	"GET /2015-03-31/functions/{FunctionName}/versions":          "ListVersionsByFunction",
	"POST /2015-03-31/functions/{FunctionName}/aliases":          "CreateAlias",
	"GET /2015-03-31/functions/{FunctionName}/aliases/{Name}":    "GetAlias",
	"PUT /2015-03-31/functions/{FunctionName}/aliases/{Name}":    "UpdateAlias",
	"DELETE /2015-03-31/functions/{FunctionName}/aliases/{Name}": "DeleteAlias",
}

// lambdaMux matches Lambda requests to their route patterns.
var lambdaMux = func() *http.ServeMux {
	mux := http.NewServeMux()
	for pattern := range lambdaRoutes {
		mux.HandleFunc(pattern, func(http.ResponseWriter, *http.Request) {})
	}
	return mux
}()

// isLambda reports whether r is a Lambda API request.
func isLambda(r *http.Request) bool {
	return strings.HasPrefix(r.URL.Path, "/2015-03-31/functions")
}

// lambdaOperation names the Lambda operation of r.
func lambdaOperation(r *http.Request) string {
	if _, pattern := lambdaMux.Handler(r); pattern != "" {
		return lambdaRoutes[pattern]
	}
	return "Unknown"
}

// lambdaOps returns the operations for a request checked as ic (nil: a
// seed, never refused).
func (s *Service) lambdaOps(ic *awssim.IAMCall) map[string]lambdaOp {
	return map[string]lambdaOp{
		"CreateFunction": func(region string, in []byte) (int, any, error) {
			return s.lambdaCreateFunction(ic, region, in)
		},
		"UpdateFunctionCode": func(region string, in []byte) (int, any, error) {
			return s.lambdaUpdateFunctionCode(ic, region, in)
		},
		"GetFunction":              s.lambdaGetFunction,
		"GetFunctionConfiguration": s.lambdaGetFunctionConfiguration,
		"PublishVersion":           s.lambdaPublishVersion,
		"ListVersionsByFunction":   s.lambdaListVersions,
		"CreateAlias":              s.lambdaCreateAlias,
		"GetAlias":                 s.lambdaGetAlias,
		"UpdateAlias":              s.lambdaUpdateAlias,
		"DeleteAlias":              s.lambdaDeleteAlias,
	}
}

// serveLambda answers a Lambda REST-JSON request.
func (s *Service) serveLambda(w http.ResponseWriter, r *http.Request, operation string, req *awssim.Request) {
	region, body := req.Region, req.Body
	in := map[string]any{}
	if len(body) > 0 {
		if err := json.Unmarshal(body, &in); err != nil {
			writeLambdaError(w, &awssim.Error{Status: 400, Code: "InvalidRequestContentException", Message: "Could not parse request body into json: " + err.Error()})
			return
		}
	}
	// /2015-03-31/functions/{FunctionName}[/aliases/{Name}]
	parts := strings.Split(strings.TrimPrefix(r.URL.Path, "/2015-03-31/functions/"), "/")
	if len(parts) > 0 && parts[0] != "" && parts[0] != r.URL.Path {
		in["FunctionName"] = parts[0]
	}
	if len(parts) == 3 && parts[1] == "aliases" {
		in["Name"] = parts[2]
	}
	for name, vs := range r.URL.Query() {
		in[name] = vs[0]
	}
	merged, _ := json.Marshal(in)
	s.Lock()
	op, ok := s.lambdaOps(req.IAM)[operation]
	var status int
	var out any
	var err error
	if ok {
		s.Settle()
		status, out, err = op(region, merged)
	} else {
		err = &awssim.Error{Status: 404, Code: "UnknownOperationException", Message: fmt.Sprintf("%s %s is not supported by the sandbox", r.Method, r.URL.Path)}
	}
	var data []byte
	if err == nil {
		data, err = json.Marshal(out)
	}
	s.Unlock()
	if err != nil {
		writeLambdaError(w, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Amzn-RequestId", awssim.RequestID())
	w.WriteHeader(status)
	w.Write(data)
}

// writeLambdaError writes an error as Lambda does: the code in
// X-Amzn-ErrorType, {"Type":"User","message":...} in the body.
func writeLambdaError(w http.ResponseWriter, err error) {
	e, ok := err.(*awssim.Error)
	if !ok {
		e = &awssim.Error{Status: 500, Code: "ServiceException", Message: err.Error()}
	}
	typ := "User"
	if e.Status >= 500 {
		typ = "Service"
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Amzn-RequestId", awssim.RequestID())
	w.Header().Set("X-Amzn-ErrorType", e.Code)
	w.WriteHeader(e.Status)
	json.NewEncoder(w).Encode(map[string]string{"Type": typ, "message": e.Message})
}

// lambdaDecode decodes an operation's JSON body into in.
func lambdaDecode(body []byte, in any) error {
	if err := json.Unmarshal(body, in); err != nil {
		return lambdaInvalid("%v", err)
	}
	return nil
}

// lambdaCheckRevision refuses a RevisionId given that is not the current one.
func lambdaCheckRevision(given, current string) error {
	if given != "" && given != current {
		return &awssim.Error{Status: 412, Code: "PreconditionFailedException", Message: "The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id"}
	}
	return nil
}

func lambdaInvalid(format string, args ...any) *awssim.Error {
	return awssim.Errorf("InvalidParameterValueException", format, args...)
}

func lambdaNotFound(format string, args ...any) *awssim.Error {
	return &awssim.Error{Status: 404, Code: "ResourceNotFoundException", Message: fmt.Sprintf(format, args...)}
}

func lambdaConflict(format string, args ...any) *awssim.Error {
	return &awssim.Error{Status: 409, Code: "ResourceConflictException", Message: fmt.Sprintf(format, args...)}
}
