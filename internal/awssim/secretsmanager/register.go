// Package secretsmanager is the sandbox's Secrets Manager (AWS JSON 1.1):
// CreateSecret, PutSecretValue, GetSecretValue, BatchGetSecretValue,
// ListSecrets and DescribeSecret, with the scenario's denied secrets.
package secretsmanager

import (
	"fmt"
	"net/http"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim"
)

// Service is Secrets Manager's state on the sandbox's core.
type Service struct {
	*awssim.Server
	sm *smState
}

// Register adds Secrets Manager to the sandbox.
func Register(core *awssim.Server) *Service {
	s := &Service{Server: core, sm: newSMState()}
	core.Register(&awssim.Service{
		Name:   "secretsmanager",
		Target: "secretsmanager",
		Ops:    s.secretsManagerOps(),
		Authorize: func(operation string, _ *http.Request, req *awssim.Request) *awssim.Error {
			return core.CheckJSON(req, func(in awssim.Input) []awssim.IAMCheck { return s.checks(operation, req.Region, in) })
		},
	})
	return s
}

// checks lists what an operation needs, with the resources as the Service
// Authorization Reference names them.
func (s *Service) checks(operation, region string, in awssim.Input) []awssim.IAMCheck {
	action := "secretsmanager:" + operation
	one := func(resource string) []awssim.IAMCheck {
		return []awssim.IAMCheck{{Action: action, Resource: resource}}
	}
	switch operation {
	case "BatchGetSecretValue":
		checks := one("*")
		if in["Filters"] != nil {
			checks = append(checks, awssim.IAMCheck{Action: "secretsmanager:ListSecrets", Resource: "*"})
		}
		return checks // and GetSecretValue on each secret, in the operation
	case "CreateSecret":
		return one(s.secretARN(region, in.Str("Name")))
	case "GetSecretValue", "PutSecretValue", "DescribeSecret":
		return one(s.secretARN(region, in.Str("SecretId")))
	}
	return one("*")
}

// secretARN names the secret requested as id: its ARN when it exists.
func (s *Service) secretARN(region, id string) string {
	if sec := s.findSecret(id); sec != nil {
		return sec.arn
	}
	if len(id) > 4 && id[:4] == "arn:" {
		return id
	}
	return fmt.Sprintf("arn:aws:secretsmanager:%s:%s:secret:%s", region, awssim.Account, id)
}
