#!/usr/bin/env bash
# Shared by the hook scripts: reads deploy.env, names the env file and defines
# the log helpers. deploy.env holds the image (by digest), the container's
# name and port, the health check's path and time limit and secret references
# (ARNs); never secret values.
set -euo pipefail

BUNDLE_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=/dev/null # deploy.env is written by the action
source "$BUNDLE_DIR/deploy.env"

# The secrets' values live only in ENV_DIR, readable by root alone.
# BLUEGREEN_ENV_DIR moves it (tests do); the default suits a real instance.
ENV_DIR="${BLUEGREEN_ENV_DIR:-/etc/bluegreen-deploy}"
# shellcheck disable=SC2034 # read by the scripts that source this file
ENV_FILE="$ENV_DIR/$CONTAINER_NAME.env"

HOOK="${LIFECYCLE_EVENT:-$(basename "$0" .sh)}"

log() {
	printf '[bluegreen-deploy] %s %s: %s\n' "$(date -u +%H:%M:%S)" "$HOOK" "$*"
}

fail() {
	log "ERROR: $*" >&2
	exit 1
}

need() {
	local cmd
	for cmd in "$@"; do
		command -v "$cmd" >/dev/null 2>&1 || fail "$cmd is not installed on this instance"
	done
}
