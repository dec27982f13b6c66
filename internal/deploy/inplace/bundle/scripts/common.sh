#!/usr/bin/env bash
# shellcheck disable=SC2034 # the variables are read by the scripts that source this file
# Shared by the hook scripts: reads deploy.env, names the containers, and
# defines the log, health and proxy helpers. deploy.env holds the image (by
# digest), the container's name and port, the health check, the proxy image
# and secret references (ARNs); never secret values.
set -euo pipefail

BUNDLE_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=../deploy.env
source "$BUNDLE_DIR/deploy.env"

# The secrets' values live only here, readable by root alone.
ENV_DIR="${BLUEGREEN_ENV_DIR:-/etc/bluegreen-deploy}"
ENV_FILE="$ENV_DIR/$CONTAINER_NAME.env"
# The live colour, the proxy's config and its upstream file.
STATE_DIR="${BLUEGREEN_STATE_DIR:-/var/lib/bluegreen-deploy}/$CONTAINER_NAME"
NETWORK="$CONTAINER_NAME-bluegreen"
PROXY="$CONTAINER_NAME-proxy"
LABEL=io.github.bluegreen-deploy.app
STOP_SECONDS=30

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

# live prints the colour the proxy serves, or nothing before the first switch.
live() {
	cat "$STATE_DIR/live" 2>/dev/null || true
}

# other prints the colour that is not $1.
other() {
	if [[ "$1" == blue ]]; then echo green; else echo blue; fi
}

running() {
	[[ "$(docker container inspect --format '{{.State.Running}}' "$1" 2>/dev/null)" == true ]]
}

# log_tail prints the last lines of container $1's log.
log_tail() {
	log "container $1 logs (last 20 lines):"
	docker logs --tail 20 "$1" 2>&1 || true
}

# proxy_config prints Caddy's JSON config: container-port goes to the
# upstream named in the file "upstream", read on every request, so a switch is
# a rename of that file, with no config reload (a reload closes keep-alive
# connections and drops requests). The response header names the upstream,
# for the smoke check.
proxy_config() {
	cat <<'JSON'
{"apps": {"http": {"servers": {"bluegreen": {
  "listen": [":80"],
  "routes": [{"handle": [{"handler": "reverse_proxy",
    "upstreams": [{"dial": "{file./etc/bluegreen-deploy/upstream}"}],
    "headers": {"response": {"set": {"X-Bluegreen-Upstream": ["{http.reverse_proxy.upstream.hostport}"]}}}}]}]}}}}}
JSON
}
