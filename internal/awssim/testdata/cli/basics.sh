#!/usr/bin/env bash
# Secrets Manager, S3, ECR and STS through the AWS CLI, against the sandbox at
# $AWS_ENDPOINT_URL.
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/lib/check.bash"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# STS
expect "caller account" "$(aws sts get-caller-identity --query Account --output text)" 123456789012

# Secrets Manager: string and binary secrets, versions, batch reads.
arn=$(aws secretsmanager create-secret --name cli/db --secret-string '{"user":"app","password":"p1"}' --query ARN --output text)
[[ "$arn" =~ ^arn:aws:secretsmanager:us-east-1:123456789012:secret:cli/db-[A-Za-z0-9]{6}$ ]] || fail "secret ARN: $arn"
aws secretsmanager put-secret-value --secret-id "$arn" --secret-string '{"user":"app","password":"p2"}' >/dev/null
expect "current value" "$(aws secretsmanager get-secret-value --secret-id cli/db --query SecretString --output text)" '{"user":"app","password":"p2"}'
expect "previous value" "$(aws secretsmanager get-secret-value --secret-id cli/db --version-stage AWSPREVIOUS --query SecretString --output text)" '{"user":"app","password":"p1"}'
printf '\x00\x01binary\xff' >"$work/blob"
aws secretsmanager create-secret --name cli/blob --secret-binary "fileb://$work/blob" >/dev/null
aws secretsmanager get-secret-value --secret-id cli/blob --query SecretBinary --output text | base64 -d >"$work/blob.out"
cmp "$work/blob" "$work/blob.out" || fail "binary secret changed"
expect "batch by prefix" "$(aws secretsmanager batch-get-secret-value --filters Key=name,Values=cli/ --query 'length(SecretValues)' --output text)" 2
expect "batch error" "$(aws secretsmanager batch-get-secret-value --secret-id-list cli/db cli/none --query 'Errors[0].ErrorCode' --output text)" ResourceNotFoundException
expect "list" "$(aws secretsmanager list-secrets --filters Key=name,Values=cli/ --query 'SecretList[].Name' --output text)" "cli/db	cli/blob"
expect "describe" "$(aws secretsmanager describe-secret --secret-id cli/db --query Name --output text)" cli/db
if aws secretsmanager get-secret-value --secret-id cli/none 2>"$work/err"; then fail "missing secret was found"; fi
grep -q "ResourceNotFoundException.*Secrets Manager can't find the specified secret." "$work/err" || fail "missing secret: $(cat "$work/err")"

# S3: buckets and objects, through s3api and the high-level s3 commands.
aws s3api create-bucket --bucket cli-bundles >/dev/null
if aws s3api create-bucket --bucket cli-bundles 2>"$work/err"; then fail "bucket created twice"; fi
grep -q BucketAlreadyOwnedByYou "$work/err" || fail "second create-bucket: $(cat "$work/err")"
head -c 200000 /dev/urandom >"$work/bundle.zip"
aws s3api put-object --bucket cli-bundles --key app/bundle.zip --body "$work/bundle.zip" >/dev/null
aws s3 cp "$work/bundle.zip" s3://cli-bundles/app/copy.zip --quiet
echo hello | aws s3 cp - s3://cli-bundles/notes/readme.txt --quiet
expect "head length" "$(aws s3api head-object --bucket cli-bundles --key app/bundle.zip --query ContentLength --output text)" 200000
expect "etag" "$(aws s3api head-object --bucket cli-bundles --key app/copy.zip --query ETag --output text)" "\"$(md5sum <"$work/bundle.zip" | cut -d' ' -f1)\""
aws s3api get-object --bucket cli-bundles --key app/bundle.zip "$work/got.zip" >/dev/null
cmp "$work/bundle.zip" "$work/got.zip" || fail "object changed"
expect "streamed object" "$(aws s3 cp s3://cli-bundles/notes/readme.txt -)" hello
expect "list" "$(aws s3api list-objects-v2 --bucket cli-bundles --prefix app/ --query 'Contents[].Key' --output text)" "app/bundle.zip	app/copy.zip"
expect "list pages" "$(aws s3api list-objects-v2 --bucket cli-bundles --page-size 1 --query 'Contents[].Key' --output text | wc -w)" 3
aws s3 ls s3://cli-bundles/ | grep 'PRE app/' >/dev/null || fail "s3 ls shows no app/ prefix"
if aws s3api head-object --bucket cli-bundles --key nope 2>"$work/err"; then fail "missing object found"; fi
grep -q '404' "$work/err" || fail "head-object of a missing key: $(cat "$work/err")"

# ECR
uri=$(aws ecr create-repository --repository-name cli/app --image-tag-mutability IMMUTABLE --query repository.repositoryUri --output text)
expect "repository uri" "$uri" "${AWS_ENDPOINT_URL#http://}/cli/app"
expect "describe repository" "$(aws ecr describe-repositories --repository-names cli/app --query 'repositories[0].imageTagMutability' --output text)" IMMUTABLE
if aws ecr describe-repositories --repository-names nope 2>"$work/err"; then fail "missing repository found"; fi
grep -q "RepositoryNotFoundException.*The repository with name 'nope' does not exist in the registry with id '123456789012'" "$work/err" || fail "missing repository: $(cat "$work/err")"
password=$(aws ecr get-login-password)
[[ -n "$password" ]] || fail "empty login password"
expect "proxy endpoint" "$(aws ecr get-authorization-token --query 'authorizationData[0].proxyEndpoint' --output text)" "$AWS_ENDPOINT_URL"
expect "registry login" "$(curl -s -o /dev/null -w '%{http_code}' -u "AWS:$password" "$AWS_ENDPOINT_URL/v2/")" 200
expect "images" "$(aws ecr describe-images --repository-name cli/app --query 'length(imageDetails)' --output text)" 0
echo "basics: ok"
