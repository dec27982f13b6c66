#!/usr/bin/env bash
# shellcheck disable=SC2034 # the variables are read by the scripts that source this file
# Shared by the in-place hook scripts (sourced after common.sh): names the
# containers, the network and the proxy, and defines the colour, health and
# proxy helpers.

# The live colour, the proxy's config and its upstream file.
STATE_DIR="${BLUEGREEN_STATE_DIR:-/var/lib/bluegreen-deploy}/$CONTAINER_NAME"
NETWORK="$CONTAINER_NAME-bluegreen"
PROXY="$CONTAINER_NAME-proxy"
LABEL=io.github.bluegreen-deploy.app
STOP_SECONDS=30

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
