package server

import (
	"fmt"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/config"
)

// CheckInputs refuses inputs a deployment to the EC2/on-premises group
// named group lacks, naming the input.
func CheckInputs(in config.Deploy, group string) error {
	switch {
	case in.S3Bucket == "":
		return &config.InputError{Input: "s3-bucket", Problem: fmt.Sprintf("is required for deployment group %q (EC2/on-premises): the revision is uploaded to S3", group)}
	case in.Bundle == "" && in.ContainerPort == 0:
		return &config.InputError{Input: "container-port", Problem: fmt.Sprintf("is required to generate the default bundle for deployment group %q (the port the container listens on)", group)}
	}
	return nil
}
