// Package lambda is the sandbox's Lambda: REST-JSON under
// /2015-03-31/functions (CreateFunction, GetFunction,
// GetFunctionConfiguration, UpdateFunctionCode, PublishVersion,
// ListVersionsByFunction, Create/Get/Update/DeleteAlias with RoutingConfig
// weights). An ImageUri is checked against the sandbox's registry through
// awssim.Images; CodeDeploy moves aliases through awssim.Aliases.
package lambda

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim"
)

// Service is Lambda's state on the sandbox's core.
type Service struct {
	*awssim.Server
	lambda *lambdaState
}

// Register adds Lambda to the sandbox.
func Register(core *awssim.Server) *Service {
	s := &Service{Server: core, lambda: newLambdaState()}
	core.Register(&awssim.Service{
		Name: "lambda",
		Match: func(r *http.Request) (string, bool) {
			if !isLambda(r) {
				return "", false
			}
			return lambdaOperation(r), true
		},
		Serve: func(w http.ResponseWriter, r *http.Request, operation string, req *awssim.Request) {
			s.serveLambda(w, r, operation, req)
		},
		WriteError: func(w http.ResponseWriter, e *awssim.Error) { writeLambdaError(w, e) },
		Authorize: func(operation string, r *http.Request, req *awssim.Request) *awssim.Error {
			return core.Check(req.IAM, checks(operation, req.Region, r, awssim.ParseInput(req.Body)), "AccessDeniedException", 403)
		},
		Seed: func(operation string, req *awssim.Request, input map[string]any) error {
			return s.lambdaSeed(operation, req.Region, input)
		},
	})
	return s
}

// Function reports whether a function exists (awssim.Functions).
func (s *Service) Function(nameOrArn string) bool {
	name := nameOrArn
	if i := strings.Index(name, ":function:"); i >= 0 {
		name = name[i+len(":function:"):]
	}
	name, _, _ = strings.Cut(name, ":")
	_, ok := s.lambda.functions[name]
	return ok
}

// Alias returns the alias a Lambda AppSpec names (awssim.Aliases), or the
// error code and message of the deployment when the function does not
// match it.
func (s *Service) Alias(function, alias, current, target string, now time.Time) (awssim.Alias, string, string) {
	fn, ok := s.lambda.functions[function]
	if !ok {
		return nil, "INVALID_LAMBDA_FUNCTION", fmt.Sprintf("The Lambda function %s does not exist.", function)
	}
	a, ok := fn.aliases[alias]
	if !ok {
		return nil, "INVALID_LAMBDA_CONFIGURATION", fmt.Sprintf("The alias %s of Lambda function %s does not exist.", alias, function)
	}
	for _, version := range []string{current, target} {
		v, err := fn.version(version)
		if err != nil || version == "$LATEST" || v.version != version {
			return nil, "INVALID_LAMBDA_CONFIGURATION", fmt.Sprintf("Version %s of Lambda function %s does not exist.", version, function)
		}
		if c := v.config(now); c.State != "Active" {
			return nil, "INVALID_LAMBDA_FUNCTION", fmt.Sprintf("Version %s of Lambda function %s is %s, not Active: %s", version, function, c.State, c.StateReason)
		}
	}
	if a.version != current || len(a.weights) > 0 {
		return nil, "INVALID_LAMBDA_CONFIGURATION", fmt.Sprintf("The alias %s of Lambda function %s points to version %s, not to the AppSpec's CurrentVersion %s only.", alias, function, a.version, current)
	}
	return a, "", ""
}

// checks lists what a Lambda operation needs: the action of its name on
// the function's ARN, qualified when the request names a version or alias
// (Qualifier), and iam:PassRole for a new function's execution role.
func checks(operation, region string, r *http.Request, in map[string]any) []awssim.IAMCheck {
	name := strings.Split(strings.TrimPrefix(r.URL.Path, "/2015-03-31/functions/"), "/")[0]
	if name == "" || name == r.URL.Path {
		name, _ = in["FunctionName"].(string)
	}
	if i := strings.Index(name, ":function:"); i >= 0 {
		name = name[i+len(":function:"):]
	}
	arn := fmt.Sprintf("arn:aws:lambda:%s:%s:function:%s", region, awssim.Account, name)
	if q := r.URL.Query().Get("Qualifier"); q != "" && !strings.Contains(name, ":") {
		arn += ":" + q
	}
	checks := []awssim.IAMCheck{{Action: "lambda:" + operation, Resource: arn}}
	if role, _ := in["Role"].(string); operation == "CreateFunction" && role != "" {
		checks = append(checks, awssim.IAMCheck{Action: "iam:PassRole", Resource: role})
	}
	return checks
}
