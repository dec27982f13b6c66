package codedeploy

import "fmt"

// consoleURL links to a CodeDeploy deployment in the AWS console.
func consoleURL(region, id string) string {
	return fmt.Sprintf("https://%s.console.aws.amazon.com/codesuite/codedeploy/deployments/%s?region=%s", region, id, region)
}
