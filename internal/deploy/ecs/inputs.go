package ecs

// CheckFiles checks, before any AWS call, the ECS files among the inputs:
// the task definition file and the appspec template, when given.
func CheckFiles(taskDefinition, appSpec string) error {
	if taskDefinition != "" {
		if _, err := LoadTaskDefinition(taskDefinition); err != nil {
			return err
		}
	}
	if appSpec != "" {
		return CheckAppSpec(appSpec)
	}
	return nil
}
