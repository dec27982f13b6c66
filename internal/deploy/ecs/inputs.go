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
