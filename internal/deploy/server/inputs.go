package server

import (
	"fmt"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/config"
)

// CheckInputs refuses inputs a deployment to the EC2/on-premises group
// named group lacks or cannot use, naming the input.
func CheckInputs(in config.Deploy, group string) error {
	switch {
	case in.TaskDefinition != "":
		return &config.InputError{Input: "task-definition", Problem: fmt.Sprintf("deployment group %q is for EC2/on-premises (Server); task-definition is for ECS", group)}
	case in.LambdaFunction != "":
		return &config.InputError{Input: "lambda-function", Problem: fmt.Sprintf("deployment group %q is for EC2/on-premises (Server); lambda-function is for Lambda", group)}
	case in.S3Bucket == "":
		return &config.InputError{Input: "s3-bucket", Problem: fmt.Sprintf("is required for deployment group %q (EC2/on-premises): the revision is uploaded to S3", group)}
	case in.Bundle == "" && in.ContainerPort == 0:
		return &config.InputError{Input: "container-port", Problem: fmt.Sprintf("is required to generate the default bundle for deployment group %q (the port the container listens on)", group)}
	}
	return nil
}

// CheckFiles checks, before any AWS call, the bundle input: its files stay
// inside it and its appspec.yml is sound.
func CheckFiles(in config.Deploy) error {
	if in.Bundle == "" {
		return nil
	}
	return CheckBundle(in.Bundle)
}
