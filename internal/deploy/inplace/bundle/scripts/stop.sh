#!/usr/bin/env bash
# ApplicationStop: nothing to stop. CodeDeploy runs the previous revision's
# ApplicationStop before the new one is installed; the live colour must keep
# serving until ValidateService switches the proxy away from it.
set -euo pipefail
# shellcheck source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
# shellcheck source=colours.sh
source "$(dirname "${BASH_SOURCE[0]}")/colours.sh"

live="$(live)"
log "nothing to stop: ${live:+$CONTAINER_NAME-$live keeps serving until the next switch}"
