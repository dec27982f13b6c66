#!/usr/bin/env bash
# CodeDeploy blue/green on the Server and ECS platforms through the AWS CLI,
# against the sandbox at $AWS_ENDPOINT_URL running at its default time scale
# (600 simulated seconds a second).
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/lib/check.bash"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
role=arn:aws:iam::123456789012:role/codedeploy

# Server: an application, a revision bundle in S3 and two blue/green groups,
# one that reroutes at once and one that waits at Ready for a day.
aws deploy create-application --application-name web --compute-platform Server >/dev/null
mkdir -p "$work/bundle/scripts"
cat >"$work/bundle/appspec.yml" <<'EOF'
version: 0.0
os: linux
hooks:
  ValidateService:
    - location: scripts/health.sh
      timeout: 60
EOF
printf '#!/bin/sh\ncurl -fsS localhost:8080/health\n' >"$work/bundle/scripts/health.sh"
(cd "$work/bundle" && python3 -m zipfile -c "$work/bundle.zip" appspec.yml scripts)
aws s3api create-bucket --bucket releases >/dev/null
etag=$(aws s3api put-object --bucket releases --key web/1.zip --body "$work/bundle.zip" --query ETag --output text | tr -d '"')
revision="{\"revisionType\":\"S3\",\"s3Location\":{\"bucket\":\"releases\",\"key\":\"web/1.zip\",\"bundleType\":\"zip\",\"eTag\":\"$etag\"}}"

group() { # group <name> <ready action> <ready wait minutes>
	aws deploy create-deployment-group --application-name web --deployment-group-name "$1" \
		--service-role-arn "$role" --deployment-config-name CodeDeployDefault.HalfAtATime \
		--auto-scaling-groups "asg-$1" \
		--deployment-style deploymentType=BLUE_GREEN,deploymentOption=WITH_TRAFFIC_CONTROL \
		--load-balancer-info "targetGroupInfoList=[{name=tg-$1}]" \
		--auto-rollback-configuration enabled=true,events=DEPLOYMENT_FAILURE,DEPLOYMENT_STOP_ON_REQUEST \
		--blue-green-deployment-configuration "{
			\"terminateBlueInstancesOnDeploymentSuccess\": {\"action\": \"TERMINATE\", \"terminationWaitTimeInMinutes\": 5},
			\"deploymentReadyOption\": {\"actionOnTimeout\": \"$2\", \"waitTimeInMinutes\": $3},
			\"greenFleetProvisioningOption\": {\"action\": \"COPY_AUTO_SCALING_GROUP\"}}" >/dev/null
}
group auto CONTINUE_DEPLOYMENT 0
group gated STOP_DEPLOYMENT 1440
expect "group style" "$(aws deploy get-deployment-group --application-name web --deployment-group-name gated \
	--query deploymentGroupInfo.blueGreenDeploymentConfiguration.deploymentReadyOption.actionOnTimeout --output text)" STOP_DEPLOYMENT

# Server blue/green straight to Succeeded, with the CLI's own waiter.
id=$(aws deploy create-deployment --application-name web --deployment-group-name auto --revision "$revision" \
	--description "cli blue/green" --query deploymentId --output text)
[[ "$id" =~ ^d-[A-Z0-9]{9}$ ]] || fail "deployment id: $id"
sleep 1 # the whole timeline takes well under a second; the waiter then succeeds on its first call
aws deploy wait deployment-successful --deployment-id "$id"
expect "termination wait, overview" "$(aws deploy get-deployment --deployment-id "$id" \
	--query 'deploymentInfo.[instanceTerminationWaitTimeStarted,deploymentOverview.Succeeded,deploymentOverview.Failed]' --output text)" "True	4	0"
green=$(aws deploy list-deployment-targets --deployment-id "$id" --target-filters ServerInstanceLabel=Green --query 'targetIds[0]' --output text)
[[ "$green" =~ ^i-[0-9a-f]{17}$ ]] || fail "green target id: $green"
expect "green events" "$(aws deploy get-deployment-target --deployment-id "$id" --target-id "$green" \
	--query 'deploymentTarget.instanceTarget.lifecycleEvents[].status' --output text | tr '\t' '\n' | sort -u)" Succeeded

# Server blue/green that waits at Ready; a second deployment is refused
# while it does, naming it; continue-deployment lets it finish.
id=$(aws deploy create-deployment --application-name web --deployment-group-name gated --revision "$revision" --query deploymentId --output text)
await "$id" Ready
expect "ready overview" "$(aws deploy get-deployment --deployment-id "$id" --query deploymentInfo.deploymentOverview.Ready --output text)" 2
if aws deploy create-deployment --application-name web --deployment-group-name gated --revision "$revision" 2>"$work/err"; then
	fail "second deployment in a busy group was accepted"
fi
grep -q "DeploymentLimitExceededException" "$work/err" || fail "second deployment: $(cat "$work/err")"
grep -q "$id" "$work/err" || fail "DeploymentLimitExceededException does not name $id: $(cat "$work/err")"
expect "active deployments" "$(aws deploy list-deployments --application-name web --deployment-group-name gated \
	--include-only-statuses Created Queued InProgress Ready --query 'deployments' --output text)" "$id"
aws deploy continue-deployment --deployment-id "$id" --deployment-wait-type READY_WAIT
await "$id" Succeeded

# Stop with auto-rollback: Pending, then Stopped, and a rollback deployment that succeeds.
id=$(aws deploy create-deployment --application-name web --deployment-group-name gated --revision "$revision" --query deploymentId --output text)
await "$id" Ready
# StopDeployment is asynchronous: it answers Pending, and the deployment is
# Stopped a few simulated seconds later.
expect "stop answer" "$(aws deploy stop-deployment --deployment-id "$id" --auto-rollback-enabled --query status --output text)" Pending
await "$id" Stopped
read -r stopped code rollback < <(aws deploy get-deployment --deployment-id "$id" \
	--query 'deploymentInfo.[status,errorInformation.code,rollbackInfo.rollbackDeploymentId]' --output text)
expect "stopped" "$stopped $code" "Stopped MANUAL_STOP"
[[ "$rollback" =~ ^d-[A-Z0-9]{9}$ ]] || fail "rollback deployment id: $rollback"
await "$rollback" Succeeded
expect "rollback links back" "$(aws deploy get-deployment --deployment-id "$rollback" \
	--query 'deploymentInfo.[creator,rollbackInfo.rollbackTriggeringDeploymentId]' --output text)" "codeDeployRollback	$id"

# ECS: a cluster, two task definition revisions, a CODE_DEPLOY service, and
# a linear blue/green deployment to the second revision.
aws ecs create-cluster --cluster-name prod >/dev/null
container='[{"name":"app","image":"nginx:1","essential":true,"portMappings":[{"containerPort":8080,"protocol":"tcp"}],
	"secrets":[{"name":"DB_PASSWORD","valueFrom":"arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf"}]}]'
aws ecs register-task-definition --family api --network-mode awsvpc --requires-compatibilities FARGATE \
	--cpu 256 --memory 512 --container-definitions "$container" >/dev/null
td=$(aws ecs register-task-definition --family api --network-mode awsvpc --requires-compatibilities FARGATE \
	--cpu 256 --memory 512 --container-definitions "${container/nginx:1/nginx:2}" --query taskDefinition.taskDefinitionArn --output text)
expect "task definition" "$td" arn:aws:ecs:us-east-1:123456789012:task-definition/api:2
expect "secret kept" "$(aws ecs describe-task-definition --task-definition api:2 \
	--query 'taskDefinition.containerDefinitions[0].secrets[0].name' --output text)" DB_PASSWORD
aws ecs create-service --cluster prod --service-name api --task-definition api:1 --desired-count 2 \
	--launch-type FARGATE --deployment-controller type=CODE_DEPLOY \
	--network-configuration 'awsvpcConfiguration={subnets=[subnet-1],securityGroups=[sg-1],assignPublicIp=DISABLED}' \
	--load-balancers targetGroupArn=arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/api-blue/1,containerName=app,containerPort=8080 >/dev/null
expect "primary task set" "$(aws ecs describe-services --cluster prod --services api --query 'services[0].taskSets[0].[status,scale.value]' --output text)" "PRIMARY	100.0"

aws deploy create-application --application-name api --compute-platform ECS >/dev/null
aws deploy create-deployment-group --application-name api --deployment-group-name api --service-role-arn "$role" \
	--deployment-config-name CodeDeployDefault.ECSLinear10PercentEvery1Minutes \
	--ecs-services clusterName=prod,serviceName=api \
	--deployment-style deploymentType=BLUE_GREEN,deploymentOption=WITH_TRAFFIC_CONTROL \
	--blue-green-deployment-configuration '{"terminateBlueInstancesOnDeploymentSuccess":{"action":"TERMINATE","terminationWaitTimeInMinutes":5},
		"deploymentReadyOption":{"actionOnTimeout":"CONTINUE_DEPLOYMENT"}}' \
	--load-balancer-info '{"targetGroupPairInfoList":[{"targetGroups":[{"name":"api-blue"},{"name":"api-green"}],
		"prodTrafficRoute":{"listenerArns":["arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/lb/1/80"]}}]}' >/dev/null
appspec="version: 0.0\nResources:\n  - TargetService:\n      Type: AWS::ECS::Service\n      Properties:\n        TaskDefinition: \\\"$td\\\"\n        LoadBalancerInfo:\n          ContainerName: app\n          ContainerPort: 8080\n"
id=$(aws deploy create-deployment --application-name api --deployment-group-name api \
	--revision "{\"revisionType\":\"AppSpecContent\",\"appSpecContent\":{\"content\":\"$appspec\"}}" --query deploymentId --output text)
await "$id" Succeeded
target=$(aws deploy list-deployment-targets --deployment-id "$id" --query 'targetIds[0]' --output text)
expect "ECS target" "$target" prod:api
expect "green weight" "$(aws deploy get-deployment-target --deployment-id "$id" --target-id "$target" \
	--query "deploymentTarget.ecsTarget.taskSetsInfo[?taskSetLabel=='Green'].[trafficWeight,targetGroup.name]" --output text)" "100.0	api-green"
expect "service after deployment" "$(aws ecs describe-services --cluster prod --services api \
	--query 'services[0].[taskDefinition,length(taskSets),taskSets[0].status]' --output text)" "$td	1	PRIMARY"

echo "deployments.sh: ok"
