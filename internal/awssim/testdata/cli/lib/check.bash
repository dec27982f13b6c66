# Sourced by the testdata/cli scripts: their checks, and the wait for a
# CodeDeploy deployment's status.

fail() { echo "FAIL: $*" >&2; exit 1; }
expect() { # expect <what> <got> <want>
	[[ "$2" == "$3" ]] || fail "$1: got '$2', want '$3'"
}
status() { aws deploy get-deployment --deployment-id "$1" --query deploymentInfo.status --output text; }
await() { # await <deployment id> <status>: poll twice a second for up to 20 s
	local got
	for _ in $(seq 40); do
		got=$(status "$1")
		[[ "$got" == "$2" ]] && return
		sleep 0.5
	done
	fail "deployment $1: status $got, want $2"
}
