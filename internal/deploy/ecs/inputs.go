package ecs

import (
	"fmt"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/config"
)

// CheckInputs refuses inputs a deployment to the ECS group named group
// cannot use, naming the input.
func CheckInputs(in config.Deploy, group string) error {
	switch {
	case in.Bundle != "":
		return &config.InputError{Input: "bundle", Problem: fmt.Sprintf("deployment group %q is for ECS; bundle is for EC2/on-premises", group)}
	case in.LambdaFunction != "":
		return &config.InputError{Input: "lambda-function", Problem: fmt.Sprintf("deployment group %q is for ECS; lambda-function is for Lambda", group)}
	}
	return nil
}

// CheckFiles checks, before any AWS call, the ECS files among the inputs:
// the task definition file and the appspec template (unless the appspec is
// a Lambda one, with lambda-function, or a bundle is given).
func CheckFiles(in config.Deploy) error {
	if in.Bundle != "" || in.LambdaFunction != "" {
		return nil
	}
	if in.TaskDefinition != "" {
		if _, err := LoadTaskDefinition(in.TaskDefinition); err != nil {
			return err
		}
	}
	if in.AppSpec != "" {
		return CheckAppSpec(in.AppSpec)
	}
	return nil
}
