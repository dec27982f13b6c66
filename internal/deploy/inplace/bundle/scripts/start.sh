#!/usr/bin/env bash
# ApplicationStart: start the new colour beside the live one on the private
# network and wait, bounded, for its health path. The live colour keeps
# serving; on failure the new colour is stopped and the deployment fails.
set -euo pipefail
# shellcheck source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
# shellcheck source=colours.sh
source "$(dirname "${BASH_SOURCE[0]}")/colours.sh"

need docker curl sha256sum
mkdir -p "$STATE_DIR"
live="$(live)"
next="$(other "${live:-green}")"
name="$CONTAINER_NAME-$next"
printf '%s\n' "$next" >"$STATE_DIR/next"

docker network inspect "$NETWORK" >/dev/null 2>&1 ||
	docker network create --label "$LABEL=$CONTAINER_NAME" "$NETWORK" >/dev/null ||
	fail "could not create the network $NETWORK"

# The idle colour is kept stopped: start it again when it holds this very
# image and env file (an instant switch back), else replace it.
config="$( (printf '%s\n' "$IMAGE_URI"; cat "$ENV_FILE") | sha256sum | cut -c1-64)"
if [[ "$(docker container inspect --format "{{index .Config.Labels \"$LABEL.config\"}}" "$name" 2>/dev/null)" == "$config" ]]; then
	log "starting the kept $next colour $name (same image and env file)"
	docker start "$name" >/dev/null || fail "could not start $name"
else
	docker rm --force "$name" >/dev/null 2>&1 || true
	log "starting $name from $IMAGE_URI beside the live colour ${live:-(none yet)}"
	docker run --detach --name "$name" --network "$NETWORK" --restart unless-stopped \
		--env-file "$ENV_FILE" --env "PORT=$CONTAINER_PORT" \
		--label "$LABEL=$CONTAINER_NAME" --label "$LABEL.config=$config" \
		--label "$LABEL.deployment=${DEPLOYMENT_ID:-}" \
		"$IMAGE_URI" >/dev/null || fail "could not start $name"
fi

ip="$(docker container inspect --format "{{(index .NetworkSettings.Networks \"$NETWORK\").IPAddress}}" "$name")"
url="http://$ip:$CONTAINER_PORT$HEALTH_CHECK_PATH"
deadline=$((SECONDS + HEALTH_CHECK_SECONDS))
log "waiting up to ${HEALTH_CHECK_SECONDS}s for $name to answer $HEALTH_CHECK_PATH"
until curl --silent --fail --max-time 2 --output /dev/null "$url"; do
	if ! running "$name" || ((SECONDS >= deadline)); then
		why="stopped"
		if running "$name"; then why="did not answer $HEALTH_CHECK_PATH within ${HEALTH_CHECK_SECONDS}s"; fi
		log_tail "$name"
		docker stop --time 10 "$name" >/dev/null 2>&1 || true
		fail "$name $why; ${live:+the $live colour keeps serving}"
	fi
	sleep 0.5
done
log "$name answers $HEALTH_CHECK_PATH: healthy"
