#!/usr/bin/env bash
# Shared by the hook scripts: reads deploy.env and defines the log helpers.
# deploy.env holds the image (by digest), the container's name and port, the
# health check path and secret references (ARNs); never secret values.
set -euo pipefail

BUNDLE_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=../deploy.env
source "$BUNDLE_DIR/deploy.env"

# The secrets' values live only here, readable by root alone.
ENV_DIR=/etc/bluegreen-deploy
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
