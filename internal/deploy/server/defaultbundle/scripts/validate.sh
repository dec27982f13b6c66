#!/usr/bin/env bash
# ValidateService: wait up to HEALTH_CHECK_SECONDS until the container answers
# on its health check path. On failure the container's last log lines go to
# the hook's output, which CodeDeploy keeps as the event's log tail.
set -euo pipefail
# shellcheck source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

need curl docker
url="http://127.0.0.1:${CONTAINER_PORT}${HEALTH_CHECK_PATH}"
limit="${HEALTH_CHECK_SECONDS:-300}"
deadline=$((SECONDS + limit))

# unhealthy prints the container's last log lines and fails with $1.
unhealthy() {
	log "container $CONTAINER_NAME, last log lines:"
	docker logs --tail 15 "$CONTAINER_NAME" 2>&1 || true
	fail "$1"
}

log "waiting up to $limit s for $url to answer"
until curl --silent --show-error --fail --max-time 5 --output /dev/null "$url" 2>/dev/null; do
	if [[ "$(docker container inspect --format '{{.State.Running}}' "$CONTAINER_NAME" 2>/dev/null)" != true ]]; then
		unhealthy "container $CONTAINER_NAME is not running"
	fi
	if ((SECONDS >= deadline)); then
		status="$(curl --silent --max-time 5 --output /dev/null --write-out '%{http_code}' "$url" 2>/dev/null || true)"
		unhealthy "$url did not answer 2xx within $limit s (health-check-timeout); last status: ${status:-no answer}"
	fi
	sleep 1
done
log "$url answers: healthy"
