#!/usr/bin/env bash
# ValidateService: wait until the container answers on its health check path.
set -euo pipefail
# shellcheck source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

need curl docker
url="http://127.0.0.1:${CONTAINER_PORT}${HEALTH_CHECK_PATH}"
deadline=$((SECONDS + ${HEALTH_CHECK_SECONDS:-300}))
log "waiting for $url to answer"
until curl --silent --show-error --fail --max-time 5 --output /dev/null "$url"; do
	if ((SECONDS >= deadline)); then
		log "container logs (last 50 lines):"
		docker logs --tail 50 "$CONTAINER_NAME" 2>&1 || true
		fail "$url did not answer within ${HEALTH_CHECK_SECONDS:-300} s"
	fi
	if [[ "$(docker container inspect --format '{{.State.Running}}' "$CONTAINER_NAME" 2>/dev/null)" != true ]]; then
		log "container logs (last 50 lines):"
		docker logs --tail 50 "$CONTAINER_NAME" 2>&1 || true
		fail "container $CONTAINER_NAME is not running"
	fi
	sleep 2
done
log "$url answers: healthy"
