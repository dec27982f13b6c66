#!/usr/bin/env bash
# BeforeInstall: log in to ECR with the instance's role and pull the image by digest.
set -euo pipefail
# shellcheck source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
# shellcheck source=ecr.sh
source "$(dirname "${BASH_SOURCE[0]}")/ecr.sh"

ecr_pull "$IMAGE_URI"
