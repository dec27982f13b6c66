package report

// Located is an error a file is to blame for (appspec.yml, an ECS task
// definition or appspec template, the Dockerfile): the run's error
// annotation points at its file and line (0: the whole file).
type Located interface {
	error
	Location() (file string, line int)
}
