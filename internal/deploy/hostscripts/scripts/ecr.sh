#!/usr/bin/env bash
# Shared helper (sourced after common.sh): ecr_pull IMAGE logs in to IMAGE's
# ECR registry with the instance's role and pulls IMAGE (by digest). The login
# lives in a private Docker config that is removed afterwards, so no registry
# token stays on the instance. Works with the AWS CLI v1 (>= 1.17.10) and v2.

ecr_pull() {
	local image="$1" registry config out status=0
	registry="${image%%/*}"
	need docker aws
	config="$(mktemp -d)"
	log "logging in to $registry with the instance role"
	# docker login's output (a warning about the private config) is shown only on failure.
	if ! out="$(aws ecr get-login-password --region "$AWS_REGION" |
		DOCKER_CONFIG="$config" docker login --username AWS --password-stdin "$registry" 2>&1)"; then
		rm -rf "$config"
		printf '%s\n' "$out" >&2
		fail "could not log in to $registry: does the instance role allow ecr:GetAuthorizationToken?"
	fi
	log "pulling $image"
	DOCKER_CONFIG="$config" docker pull --quiet "$image" >/dev/null || status=$?
	rm -rf "$config"
	((status == 0)) || fail "could not pull $image: does the instance role allow ecr:BatchGetImage and ecr:GetDownloadUrlForLayer?"
	log "pulled $image"
}
