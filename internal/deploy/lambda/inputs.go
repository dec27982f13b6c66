package lambda

import (
	"fmt"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/config"
)

// CheckInputs refuses inputs a deployment to the Lambda group named group
// lacks or cannot use, naming the input.
func CheckInputs(in config.Deploy, group string) error {
	switch {
	case in.LambdaFunction == "":
		return &config.InputError{Input: "lambda-function", Problem: fmt.Sprintf("is required for deployment group %q (AWS Lambda): the container-image function to update", group)}
	case in.Bundle != "":
		return &config.InputError{Input: "bundle", Problem: fmt.Sprintf("deployment group %q is for AWS Lambda; bundle is for EC2/on-premises", group)}
	case in.TaskDefinition != "":
		return &config.InputError{Input: "task-definition", Problem: fmt.Sprintf("deployment group %q is for AWS Lambda; task-definition is for ECS", group)}
	case in.OnReady == config.ReadyPause:
		return &config.InputError{Input: "on-ready", Problem: fmt.Sprintf("pause does not apply to deployment group %q: Lambda deployments have no Ready state (traffic shifts as the deployment configuration says)", group)}
	}
	return nil
}

// CheckFiles checks, before any AWS call, the appspec template of a Lambda
// deployment (one with lambda-function).
func CheckFiles(in config.Deploy) error {
	if in.LambdaFunction == "" || in.AppSpec == "" {
		return nil
	}
	return CheckAppSpec(in.AppSpec)
}
