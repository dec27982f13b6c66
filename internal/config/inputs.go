package config

import "strings"

// InputKey is the environment variable the runner passes input name in:
// INPUT_<NAME>, upper case, spaces as underscores, hyphens kept.
func InputKey(name string) string {
	return "INPUT_" + strings.ToUpper(strings.ReplaceAll(name, " ", "_"))
}

// UnderscoreKey is the spelling a shell lets people type, a hyphen being no
// part of a variable name there: INPUT_ON_READY for on-ready. It is read
// only outside the runner, and InputKey's form wins when both are set.
func UnderscoreKey(name string) string {
	return strings.ReplaceAll(InputKey(name), "-", "_")
}

// Input is one input of the action as action.yml declares it.
type Input struct {
	Name    string
	Default string
}

// Inputs lists every input the action reads, with the default action.yml
// gives it. Outside Actions (a plain binary run) the same defaults apply.
var Inputs = []Input{
	{"command", "deploy"},
	{"deployment-id", ""},

	{"aws-region", ""},
	{"role-to-assume", ""},
	{"role-session-name", "bluegreen-deploy"},
	{"role-duration-seconds", "3600"},

	{"secrets", ""},
	{"parse-json-secrets", "false"},
	{"export-secrets", "false"},

	{"ecr-repository", ""},
	{"image-tags", ""},
	{"create-repository", "false"},
	{"image", ""},
	{"skip-existing", "true"},

	{"context", "."},
	{"dockerfile", ""},
	{"target", ""},
	{"build-args", ""},
	{"labels", ""},
	{"build-secrets", ""},
	{"no-cache", "false"},
	{"build-cache", "ecr"},

	{"codedeploy-application", ""},
	{"codedeploy-deployment-group", ""},
	{"deployment-config", ""},
	{"description", ""},
	{"bundle", ""},
	{"s3-bucket", ""},
	{"s3-prefix", "bluegreen-deploy"},
	{"container-name", ""},
	{"container-port", ""},
	{"health-check-path", "/"},
	{"health-check-timeout", "5m"},
	{"proxy-image", "public.ecr.aws/docker/library/caddy:2.11.4-alpine@sha256:5f5c8640aae01df9654968d946d8f1a56c497f1dd5c5cda4cf95ab7c14d58648"},
	{"task-definition", ""},
	{"appspec", ""},
	{"lambda-function", ""},
	{"lambda-alias", "live"},
	{"ecs-cluster", ""},
	{"ecs-service", ""},
	{"targets", ""},

	{"wait", "true"},
	{"timeout", ""},
	{"on-ready", "continue"},
	{"on-active-deployment", "wait"},
	{"supersede-check", "true"},
	{"rollback-on-cancel", "true"},
	{"rollback-on-timeout", "true"},

	{"github-token", "${{ github.token }}"},
	{"environment", ""},
	{"environment-url", ""},
}
