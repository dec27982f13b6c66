// Package exitcode holds the action's exit codes.
package exitcode

// Exit codes of the action.
const (
	OK       = 0 // every stage succeeded; a deployment Succeeded, or is Ready with on-ready: pause
	Failed   = 1 // a stage failed, a deployment failed or was rolled back, or the run was cancelled
	BadInput = 2 // the inputs are invalid; nothing was sent to AWS
)
