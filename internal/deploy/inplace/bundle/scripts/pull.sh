#!/usr/bin/env bash
# BeforeInstall: log in to ECR with the instance's role and pull the image by digest.
set -euo pipefail
# shellcheck source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

need docker aws
registry="${IMAGE_URI%%/*}"
log "logging in to $registry with the instance role"
aws ecr get-login-password --region "$AWS_REGION" |
	docker login --username AWS --password-stdin "$registry" >/dev/null ||
	fail "could not log in to $registry: does the instance role allow ecr:GetAuthorizationToken and ecr:BatchGetImage?"
log "pulling $IMAGE_URI"
docker pull --quiet "$IMAGE_URI" >/dev/null || fail "could not pull $IMAGE_URI"
log "pulled $IMAGE_URI"
