#!/usr/bin/env bash
# ValidateService: switch the proxy to the new colour (an atomic rename of the
# file Caddy reads its upstream from on every request: no reload, no
# connection dropped), smoke-check it through container-port, then drain the
# old colour and stop it, keeping it for an instant switch back. A failed
# smoke check switches back and fails.
set -euo pipefail
# shellcheck source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
# shellcheck source=colours.sh
source "$(dirname "${BASH_SOURCE[0]}")/colours.sh"

need docker curl
live="$(live)"
next="$(cat "$STATE_DIR/next")"
name="$CONTAINER_NAME-$next"
running "$name" || fail "$name is not running: ApplicationStart did not start it"

# switch_to points the proxy at colour $1 (an atomic rename of its upstream
# file), starting the proxy if it is not running.
switch_to() {
	printf '%s\n' "$CONTAINER_NAME-$1:$CONTAINER_PORT" >"$STATE_DIR/upstream.new"
	mv "$STATE_DIR/upstream.new" "$STATE_DIR/upstream"
	running "$PROXY" && return
	proxy_config >"$STATE_DIR/caddy.json"
	docker rm --force "$PROXY" >/dev/null 2>&1 || true
	log "starting the proxy $PROXY ($PROXY_IMAGE) on port $CONTAINER_PORT"
	docker run --detach --name "$PROXY" --network "$NETWORK" --restart unless-stopped \
		--publish "$CONTAINER_PORT:80" --volume "$STATE_DIR:/etc/bluegreen-deploy:ro" \
		--label "$LABEL=$CONTAINER_NAME" \
		"$PROXY_IMAGE" caddy run --config /etc/bluegreen-deploy/caddy.json >/dev/null ||
		fail "could not start the proxy $PROXY: is port $CONTAINER_PORT free?"
}

# smoke checks that container-port answers the health path from colour $1.
smoke() {
	local deadline=$((SECONDS + 10)) headers
	while ((SECONDS < deadline)); do
		if headers="$(curl --silent --fail --max-time 5 --dump-header - --output /dev/null \
			"http://127.0.0.1:$CONTAINER_PORT$HEALTH_CHECK_PATH")" &&
			grep -qi "^X-Bluegreen-Upstream: $CONTAINER_NAME-$1:" <<<"$headers"; then
			return 0
		fi
		sleep 0.2
	done
	return 1
}

log "switching port $CONTAINER_PORT from ${live:-nothing} to $name"
switch_to "$next"
if ! smoke "$next"; then
	log_tail "$name"
	if [[ -n "$live" ]]; then
		docker start "$CONTAINER_NAME-$live" >/dev/null 2>&1 || true
		switch_to "$live"
		docker stop --time 10 "$name" >/dev/null 2>&1 || true
		fail "port $CONTAINER_PORT did not answer $HEALTH_CHECK_PATH from $name: switched back to $live"
	fi
	fail "port $CONTAINER_PORT did not answer $HEALTH_CHECK_PATH from $name"
fi
printf '%s\n' "$next" >"$STATE_DIR/live"
log "port $CONTAINER_PORT serves $name"

if [[ -n "$live" ]] && running "$CONTAINER_NAME-$live"; then
	# Requests routed before the switch finish: a second to reach the old
	# colour, then SIGTERM and STOP_SECONDS to drain before it is killed.
	sleep 1
	log "stopping the $live colour (kept for an instant switch back)"
	docker stop --time "$STOP_SECONDS" "$CONTAINER_NAME-$live" >/dev/null
fi
