#!/usr/bin/env bash
# ApplicationStart: replace the running container with one of the new image,
# published on CONTAINER_PORT, with PORT=CONTAINER_PORT and the secrets in its
# environment.
set -euo pipefail
# shellcheck source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

need docker
if docker container inspect "$CONTAINER_NAME" >/dev/null 2>&1; then
	log "removing the running container $CONTAINER_NAME"
	docker rm --force "$CONTAINER_NAME" >/dev/null
fi
log "starting $CONTAINER_NAME from $IMAGE_URI on port $CONTAINER_PORT"
docker run --detach --name "$CONTAINER_NAME" --restart unless-stopped \
	--publish "$CONTAINER_PORT:$CONTAINER_PORT" --env-file "$ENV_FILE" --env "PORT=$CONTAINER_PORT" \
	--label "bluegreen-deploy.container=$CONTAINER_NAME" \
	--label "bluegreen-deploy.deployment=${DEPLOYMENT_ID:-}" \
	"$IMAGE_URI" >/dev/null || fail "could not start $CONTAINER_NAME"
log "started $CONTAINER_NAME"
