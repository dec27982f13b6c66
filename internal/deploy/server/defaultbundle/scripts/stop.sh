#!/usr/bin/env bash
# ApplicationStop: stop the container this revision started, if it runs.
set -euo pipefail
# shellcheck source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

if command -v docker >/dev/null 2>&1 && docker container inspect "$CONTAINER_NAME" >/dev/null 2>&1; then
	log "stopping $CONTAINER_NAME"
	docker stop --time 30 "$CONTAINER_NAME" >/dev/null
fi
log "stopped"
