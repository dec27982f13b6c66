#!/usr/bin/env bash
# IAM enforcement through the AWS CLI: a scenario POSTed with an iam key sets
# the policy; refusals carry AWS's error codes and messages.
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/lib/check.bash"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
user=arn:aws:iam::123456789012:user/sandbox

# Resources first, with no policy (everything allowed), then the policy.
aws secretsmanager create-secret --name app/db --secret-string s1 >/dev/null
aws secretsmanager create-secret --name app/admin --secret-string s2 >/dev/null
aws s3api create-bucket --bucket bundles >/dev/null
curl -fsS -X POST --data-binary @- "$AWS_ENDPOINT_URL/_awssim/scenario" >/dev/null <<'JSON'
{"iam": {"Version": "2012-10-17", "Statement": [
	{"Effect": "Allow", "Action": ["secretsmanager:BatchGetSecretValue", "codedeploy:Get*"], "Resource": "*"},
	{"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": "arn:aws:secretsmanager:*:*:secret:app/db-??????"},
	{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::bundles/*"}
]}}
JSON

expect "caller identity is never refused" "$(aws sts get-caller-identity --query Arn --output text)" "$user"
if aws secretsmanager get-secret-value --secret-id app/admin 2>"$work/err"; then fail "app/admin was read"; fi
grep -q "An error occurred (AccessDeniedException) when calling the GetSecretValue operation: User: $user is not authorized to perform: secretsmanager:GetSecretValue on resource: arn:aws:secretsmanager:us-east-1:123456789012:secret:app/admin-[A-Za-z0-9]\{6\} because no identity-based policy allows the secretsmanager:GetSecretValue action" "$work/err" ||
	fail "GetSecretValue refusal: $(cat "$work/err")"
expect "batch, per secret" "$(aws secretsmanager batch-get-secret-value --secret-id-list app/db app/admin \
	--query '[SecretValues[0].Name, Errors[0].SecretId, Errors[0].ErrorCode]' --output text)" "app/db	app/admin	AccessDeniedException"
if aws deploy list-deployments 2>"$work/err"; then fail "ListDeployments was allowed"; fi
grep -q "(AccessDeniedException) when calling the ListDeployments operation: User: $user is not authorized to perform: codedeploy:ListDeployments on resource: \*" "$work/err" ||
	fail "ListDeployments refusal: $(cat "$work/err")"

# S3: a missing key answers 403 without s3:ListBucket on the bucket.
if aws s3api head-object --bucket bundles --key missing.zip 2>"$work/err"; then fail "missing key was found"; fi
grep -q "(403) when calling the HeadObject operation: Forbidden" "$work/err" || fail "HeadObject: $(cat "$work/err")"
if aws s3api get-object --bucket bundles --key missing.zip "$work/out" 2>"$work/err"; then fail "missing key was read"; fi
grep -q "(AccessDenied) when calling the GetObject operation: User: $user is not authorized to perform: s3:ListBucket on resource: \"arn:aws:s3:::bundles\"" "$work/err" ||
	fail "GetObject: $(cat "$work/err")"

# The call log names what each call was checked against.
curl -fsS "$AWS_ENDPOINT_URL/_awssim/calls" >"$work/calls"
python3 - "$work/calls" <<'PY'
import json, sys
calls = json.load(open(sys.argv[1]))
head = [c for c in calls if c["operation"] == "HeadObject"][-1]
assert head["status"] == 403 and head["iamActions"] == ["s3:GetObject", "s3:ListBucket"], head
PY
echo "iam.sh: ok"
