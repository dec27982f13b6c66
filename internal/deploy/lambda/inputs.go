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
	case in.OnReady == config.ReadyPause:
		return &config.InputError{Input: "on-ready", Problem: fmt.Sprintf("pause does not apply to deployment group %q: Lambda deployments have no Ready state (traffic shifts as the deployment configuration says)", group)}
	}
	return nil
}

// CheckFiles checks, before any AWS call, the appspec template of a Lambda
// deployment, when given.
func CheckFiles(appSpec string) error {
	if appSpec == "" {
		return nil
	}
	return CheckAppSpec(appSpec)
}
