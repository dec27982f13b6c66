#!/usr/bin/env bash
# AfterInstall: fetch the referenced secrets with the instance's role into a
# root-only env file for the container. Values never leave the instance.
set -euo pipefail
# shellcheck source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

umask 077
mkdir -p "$ENV_DIR"
tmp="$(mktemp "$ENV_DIR/.env.XXXXXX")"
trap 'rm -f "$tmp"' EXIT

if [[ -z "${SECRET_NAMES:-}" ]]; then
	log "no secrets referenced"
else
	need aws
	for name in $SECRET_NAMES; do
		ref_var="SECRET_ARN_$name"
		ref="${!ref_var}"
		# An ECS-style reference may end in :json-key:version-stage:version-id.
		IFS=: read -r p1 p2 p3 p4 p5 p6 p7 key _ <<<"$ref"
		arn="$p1:$p2:$p3:$p4:$p5:$p6:$p7"
		log "fetching $name from $arn${key:+ (key $key)}"
		value="$(aws secretsmanager get-secret-value --region "$AWS_REGION" --secret-id "$arn" \
			--query SecretString --output text)" || fail "could not read $arn: does the instance role allow secretsmanager:GetSecretValue?"
		if [[ -n "$key" ]]; then
			need python3
			value="$(python3 -c 'import json, sys; print(json.load(sys.stdin)[sys.argv[1]])' "$key" <<<"$value")" ||
				fail "secret $arn has no JSON key $key"
		fi
		[[ "$value" != *$'\n'* ]] || fail "secret $name has several lines: a container env file holds one line per variable"
		printf '%s=%s\n' "$name" "$value" >>"$tmp"
	done
fi
mv "$tmp" "$ENV_FILE"
trap - EXIT
log "wrote $ENV_FILE (root only)"
