#!/usr/bin/env bash
# Lambda container-image functions and CodeDeploy for Lambda through the AWS
# CLI, against the sandbox at $AWS_ENDPOINT_URL at its default time scale
# (600 simulated seconds a second). Images are pushed to the sandbox's
# registry with python3, as a registry client does.
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/lib/check.bash"
role=arn:aws:iam::123456789012:role/lambda

repo=$(aws ecr create-repository --repository-name fn --query repository.repositoryUri --output text)
password=$(aws ecr get-authorization-token --query 'authorizationData[0].authorizationToken' --output text | base64 -d | cut -d: -f2)
push() { # push <tag> [index]: a one-layer image, or an index of two
	python3 - "$AWS_ENDPOINT_URL" "$password" "$1" "${2:-}" <<'PY'
import base64, gzip, hashlib, io, json, sys, tarfile, urllib.request
url, password, tag, index = sys.argv[1:]
auth = "Basic " + base64.b64encode(b"AWS:" + password.encode()).decode()
def call(method, path, body=b"", ctype="application/octet-stream"):
    req = urllib.request.Request(path if path.startswith("http") else url + path, data=body, method=method,
                                 headers={"Authorization": auth, "Content-Type": ctype})
    return urllib.request.urlopen(req)
def blob(data):
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    loc = call("POST", "/v2/fn/blobs/uploads/").headers["Location"]
    loc = call("PATCH", loc, data).headers["Location"]
    call("PUT", loc + ("&" if "?" in loc else "?") + "digest=" + digest)
    return {"digest": digest, "size": len(data)}
def image(ref, text):
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as tf:
        info = tarfile.TarInfo("hello.txt"); data = text.encode(); info.size = len(data)
        tf.addfile(info, io.BytesIO(data))
    layer = blob(gzip.compress(raw.getvalue()))
    config = blob(json.dumps({"architecture": "amd64", "os": "linux", "config": {},
        "rootfs": {"type": "layers", "diff_ids": ["sha256:" + hashlib.sha256(raw.getvalue()).hexdigest()]}}).encode())
    mt = "application/vnd.oci.image.manifest.v1+json"
    manifest = json.dumps({"schemaVersion": 2, "mediaType": mt,
        "config": dict(config, mediaType="application/vnd.oci.image.config.v1+json"),
        "layers": [dict(layer, mediaType="application/vnd.oci.image.layer.v1.tar+gzip")]}).encode()
    call("PUT", "/v2/fn/manifests/" + ref, manifest, mt)
    return {"mediaType": mt, "digest": "sha256:" + hashlib.sha256(manifest).hexdigest(), "size": len(manifest)}
if not index:
    image(tag, tag)
else:
    mt = "application/vnd.oci.image.index.v1+json"
    kids = [dict(image(tag + "-" + arch, arch), platform={"os": "linux", "architecture": arch}) for arch in ("amd64", "arm64")]
    call("PUT", "/v2/fn/manifests/" + tag, json.dumps({"schemaVersion": 2, "mediaType": mt, "manifests": kids}).encode(), mt)
PY
}
push v1
push v2
push multi index

# The function, version 1 and the alias live on it.
aws lambda create-function --function-name web --package-type Image --code "ImageUri=$repo:v1" --role "$role" >/dev/null
aws lambda wait function-active-v2 --function-name web
expect "version 1" "$(aws lambda publish-version --function-name web --query Version --output text)" 1
aws lambda create-alias --function-name web --name live --function-version 1 >/dev/null
expect "version 2" "$(aws lambda update-function-code --function-name web --image-uri "$repo:v2" --publish --query Version --output text)" 2
aws lambda wait function-active-v2 --function-name web --qualifier 2
expect "versions" "$(aws lambda list-versions-by-function --function-name web --query 'Versions[].Version' --output text)" "\$LATEST	1	2"

# A canary deployment moves live from 1 to 2; the alias ends on 2, running v2 by digest.
aws deploy create-application --application-name fn --compute-platform Lambda >/dev/null
aws deploy create-deployment-group --application-name fn --deployment-group-name live --service-role-arn "$role" \
	--deployment-config-name CodeDeployDefault.LambdaCanary10Percent5Minutes \
	--deployment-style deploymentType=BLUE_GREEN,deploymentOption=WITH_TRAFFIC_CONTROL \
	--auto-rollback-configuration enabled=true,events=DEPLOYMENT_FAILURE,DEPLOYMENT_STOP_ON_REQUEST >/dev/null
appspec='version: 0.0
Resources:
  - web:
      Type: AWS::Lambda::Function
      Properties:
        Name: web
        Alias: live
        CurrentVersion: "1"
        TargetVersion: "2"'
revision=$(python3 -c 'import json,sys; print(json.dumps({"revisionType": "AppSpecContent", "appSpecContent": {"content": sys.argv[1]}}))' "$appspec")
id=$(aws deploy create-deployment --application-name fn --deployment-group-name live --revision "$revision" --query deploymentId --output text)
await "$id" Succeeded
expect "platform" "$(aws deploy get-deployment --deployment-id "$id" --query deploymentInfo.computePlatform --output text)" Lambda
target=$(aws deploy list-deployment-targets --deployment-id "$id" --query 'targetIds[0]' --output text)
expect "target weight" "$(aws deploy batch-get-deployment-targets --deployment-id "$id" --target-ids "$target" \
	--query 'deploymentTargets[0].lambdaTarget.lambdaFunctionInfo.[targetVersion,targetVersionWeight]' --output text)" "2	100.0"
expect "alias" "$(aws lambda get-alias --function-name web --name live --query FunctionVersion --output text)" 2
digest=$(aws ecr describe-images --repository-name fn --image-ids imageTag=v2 --query 'imageDetails[0].imageDigest' --output text)
expect "live image" "$(aws lambda get-function --function-name web --qualifier live --query Code.ResolvedImageUri --output text)" "$repo@$digest"

# An image index is not a Lambda image: the update is refused at once
# (400 InvalidParameterValueException; terraform-aws-lambda#741).
if err=$(aws lambda update-function-code --function-name web --image-uri "$repo:multi" 2>&1 >/dev/null); then fail "an update to an image index was accepted"; fi
[[ "$err" == *InvalidParameterValueException*"media type for the source image $repo:multi is not supported"* ]] || fail "index update: $err"

# Lambda pulls as lambda.amazonaws.com: create-function added that statement
# to the repository's policy, the caller being allowed everything. With the
# policy gone and a caller without ecr:GetRepositoryPolicy and
# ecr:SetRepositoryPolicy, the update is refused with 403 (AWS Lambda
# Developer Guide, Amazon ECR permissions).
policy=$(aws ecr get-repository-policy --repository-name fn --query policyText --output text)
[[ "$policy" == *'"ecr:BatchGetImage"'*'"ecr:GetDownloadUrlForLayer"'*'"Service": "lambda.amazonaws.com"'* ]] ||
	fail "no Lambda statement in the repository's policy: $policy"
aws ecr delete-repository-policy --repository-name fn >/dev/null
curl -fsS -X POST --data-binary @- "$AWS_ENDPOINT_URL/_awssim/scenario" >/dev/null <<'JSON'
{"iam": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["lambda:*", "ecr:DescribeImages"], "Resource": "*"}]}}
JSON
if err=$(aws lambda update-function-code --function-name web --image-uri "$repo:v1" 2>&1 >/dev/null); then fail "an update Lambda may not pull was accepted"; fi
[[ "$err" == *"(AccessDeniedException) when calling the UpdateFunctionCode operation: Lambda does not have permission to access the ECR image. Check the ECR permissions."* ]] ||
	fail "update without the repository statement: $err"
expect "live image unchanged" "$(aws lambda get-function --function-name web --qualifier live --query Code.ResolvedImageUri --output text)" "$repo@$digest"
