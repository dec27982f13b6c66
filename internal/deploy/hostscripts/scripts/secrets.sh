#!/usr/bin/env bash
# AfterInstall: fetch the referenced secrets with the instance's role into a
# root-only env file for the container. Values never leave the instance.
set -euo pipefail
# shellcheck source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
# shellcheck source=envfile.sh
source "$(dirname "${BASH_SOURCE[0]}")/envfile.sh"

write_env_file "$ENV_FILE"
