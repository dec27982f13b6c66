#!/usr/bin/env bash
# Shared helper (sourced after common.sh): write_env_file FILE fetches the
# secrets deploy.env references (SECRET_NAMES, SECRET_ARN_<name>) with the
# instance's role and the AWS CLI (v1 or v2) into FILE, readable by root
# alone, as NAME=value lines for docker run --env-file. Values are never
# printed; an instance without secrets gets an empty file.

write_env_file() {
	local file="$1" tmp name ref_var ref arn key value p1 p2 p3 p4 p5 p6 p7
	umask 077
	mkdir -p "$(dirname "$file")"
	tmp="$(mktemp "$(dirname "$file")/.env.XXXXXX")"
	# shellcheck disable=SC2064 # expand tmp now: the trap outlives this function
	trap "rm -f '$tmp'" EXIT
	if [[ -z "${SECRET_NAMES:-}" ]]; then
		log "no secrets referenced"
	fi
	for name in ${SECRET_NAMES:-}; do
		ref_var="SECRET_ARN_$name"
		ref="${!ref_var}"
		# An ECS-style reference may end in :json-key:version-stage:version-id.
		IFS=: read -r p1 p2 p3 p4 p5 p6 p7 key _ <<<"$ref"
		arn="$p1:$p2:$p3:$p4:$p5:$p6:$p7"
		log "fetching $name from $arn${key:+ (key $key)}"
		need aws
		value="$(aws secretsmanager get-secret-value --region "$AWS_REGION" --secret-id "$arn" \
			--query SecretString --output text)" || fail "could not read $arn: does the instance role allow secretsmanager:GetSecretValue?"
		if [[ -n "$key" ]]; then
			need python3
			value="$(python3 -c 'import json, sys; print(json.load(sys.stdin)[sys.argv[1]])' "$key" <<<"$value" 2>/dev/null)" ||
				fail "secret $arn has no JSON key $key"
		fi
		[[ "$value" != *$'\n'* ]] || fail "secret $name has several lines: a container env file holds one line per variable"
		printf '%s=%s\n' "$name" "$value" >>"$tmp"
	done
	mv "$tmp" "$file"
	trap - EXIT
	log "wrote $file (root only)"
}
