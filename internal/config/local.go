package config

// Local says how the action reports: under a runner (GitHub Actions or
// act), or to a person at a terminal.
type Local struct {
	InActions   bool   // GITHUB_ACTIONS is "true": workflow commands and the runner's files
	SummaryHTML string // BLUEGREEN_DEPLOY_SUMMARY_HTML: outside Actions, write the job summary as HTML here
}

// LoadLocal reads how the action reports. Unlike Load it cannot fail, so a
// run with bad inputs is reported the same way.
func LoadLocal(getenv func(string) string) Local {
	return Local{
		InActions:   getenv("GITHUB_ACTIONS") == "true",
		SummaryHTML: getenv("BLUEGREEN_DEPLOY_SUMMARY_HTML"),
	}
}
