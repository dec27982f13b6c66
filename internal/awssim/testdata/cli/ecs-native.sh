#!/usr/bin/env bash
# ECS-native service deployments (deployment controller ECS) through the AWS
# CLI, against the sandbox at $AWS_ENDPOINT_URL: BLUE_GREEN to SUCCESSFUL,
# LINEAR weights, a PAUSE hook continued, a tripped circuit breaker, a stop
# with rollback. The clock is stopped and moved through /_awssim/clock.
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/lib/check.bash"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
clock() { curl -fsS -X POST "$AWS_ENDPOINT_URL/_awssim/clock" -d "$1" >/dev/null; }
advance() { clock "{\"advance\": \"$1\"}"; }
show() { # show <deployment-arn> <query>
	aws ecs describe-service-deployments --service-deployment-arns "$1" --query "serviceDeployments[0].$2" --output text
}
clock '{"timeScale": 0}'

aws ecs create-cluster --cluster-name prod >/dev/null
for i in 1 2; do
	aws ecs register-task-definition --family api \
		--container-definitions '[{"name":"app","image":"api:'$i'","portMappings":[{"containerPort":8080}]}]' >/dev/null
done
lb='[{"targetGroupArn":"arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/api-blue/1","containerName":"app","containerPort":8080,
 "advancedConfiguration":{"alternateTargetGroupArn":"arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/api-green/2",
 "productionListenerRule":"arn:aws:elasticloadbalancing:us-east-1:123456789012:listener-rule/app/api/1/80/1",
 "testListenerRule":"arn:aws:elasticloadbalancing:us-east-1:123456789012:listener-rule/app/api/1/8080/2",
 "roleArn":"arn:aws:iam::123456789012:role/ecs-infrastructure"}}]'
service() { # service <name> <deployment configuration JSON>
	aws ecs create-service --cluster prod --service-name "$1" --task-definition api:1 --desired-count 2 \
		--deployment-controller type=ECS --deployment-configuration "$2" --load-balancers "$lb" >/dev/null
}
update() { # update <name>: to api:2, prints the service deployment ARN
	aws ecs update-service --cluster prod --service "$1" --task-definition api:2 --query service.currentServiceDeployment --output text
}

# A BLUE_GREEN strategy needs the alternate target group and the rest.
if aws ecs create-service --cluster prod --service-name bad --task-definition api:1 --deployment-controller type=ECS \
	--deployment-configuration strategy=BLUE_GREEN,bakeTimeInMinutes=1 2>"$work/err"; then fail "BLUE_GREEN without a load balancer was created"; fi
grep -q InvalidParameterException "$work/err" || fail "BLUE_GREEN without a load balancer: $(cat "$work/err")"

# BLUE_GREEN to SUCCESSFUL.
service bg '{"strategy":"BLUE_GREEN","bakeTimeInMinutes":5}'
arn=$(update bg)
[[ "$arn" =~ ^arn:aws:ecs:us-east-1:123456789012:service-deployment/prod/bg/[0-9]+$ ]] || fail "deployment ARN: $arn"
expect "deployments during the rollout" "$(aws ecs describe-services --cluster prod --services bg --query 'services[0].deployments[].status' --output text)" "PRIMARY	ACTIVE"
expect "pending" "$(show "$arn" status)" PENDING
advance 80s
expect "test traffic shifted" "$(show "$arn" '[lifecycleStage, targetServiceRevision.requestedTestTrafficWeight]')" "PRODUCTION_TRAFFIC_SHIFT	100.0"
advance 10s
expect "baking" "$(show "$arn" '[status, lifecycleStage, targetServiceRevision.requestedProductionTrafficWeight]')" "IN_PROGRESS	BAKE_TIME	100.0"
advance 6m
expect "finished" "$(show "$arn" status)" SUCCESSFUL
expect "listed" "$(aws ecs list-service-deployments --cluster prod --service bg --status SUCCESSFUL --query 'serviceDeployments[0].serviceDeploymentArn' --output text)" "$arn"

# LINEAR: 25 % every 2 minutes.
service linear '{"strategy":"LINEAR","bakeTimeInMinutes":0,"linearConfiguration":{"stepPercent":25,"stepBakeTimeInMinutes":2}}'
arn=$(update linear)
advance 85s
weights=$(show "$arn" targetServiceRevision.requestedProductionTrafficWeight)
for i in 1 2 3; do advance 2m; weights+=" $(show "$arn" targetServiceRevision.requestedProductionTrafficWeight)"; done
expect "linear weights" "$weights" "25.0 50.0 75.0 100.0"

# A PAUSE hook, continued.
service paused '{"strategy":"BLUE_GREEN","bakeTimeInMinutes":1,"lifecycleHooks":[{"targetType":"PAUSE","lifecycleStages":["POST_TEST_TRAFFIC_SHIFT"],"timeoutConfiguration":{"timeoutInMinutes":60,"action":"ROLLBACK"}}]}'
arn=$(update paused)
advance 2m
expect "awaiting" "$(show "$arn" 'lifecycleHookDetails[0].[targetType, status, timeoutAction]')" "PAUSE	AWAITING_ACTION	ROLLBACK"
hook=$(show "$arn" 'lifecycleHookDetails[0].hookId')
aws ecs continue-service-deployment --service-deployment-arn "$arn" --hook-id "$hook" --action CONTINUE >/dev/null
advance 2m
expect "continued" "$(show "$arn" status)" SUCCESSFUL

# A tripped circuit breaker rolls back.
service broken '{"strategy":"BLUE_GREEN","bakeTimeInMinutes":1,"deploymentCircuitBreaker":{"enable":true,"rollback":true}}'
curl -fsS -X POST "$AWS_ENDPOINT_URL/_awssim/scenario" -d '{"ecsDeployments":[{"service":"broken","circuitBreaker":true}]}' >/dev/null
arn=$(update broken)
advance 5m
expect "circuit breaker" "$(show "$arn" '[status, deploymentCircuitBreaker.status, deploymentCircuitBreaker.failureCount, deploymentCircuitBreaker.threshold]')" "ROLLBACK_SUCCESSFUL	TRIGGERED	3	3"
expect "rollback reason" "$(show "$arn" rollback.reason)" "ECS deployment circuit breaker: tasks failed to start."
expect "service back on" "$(aws ecs describe-services --cluster prod --services broken --query 'services[0].taskDefinition' --output text)" "arn:aws:ecs:us-east-1:123456789012:task-definition/api:1"

# Stop with rollback; a finished deployment cannot be stopped.
service stopped '{"strategy":"BLUE_GREEN","bakeTimeInMinutes":5}'
arn=$(update stopped)
advance 90s
aws ecs stop-service-deployment --service-deployment-arn "$arn" --stop-type ROLLBACK >/dev/null
expect "stop requested" "$(show "$arn" status)" ROLLBACK_REQUESTED
advance 1m
expect "stopped" "$(show "$arn" '[status, rollback.serviceRevisionArn == sourceServiceRevisions[0].arn]')" "ROLLBACK_SUCCESSFUL	True"
if aws ecs stop-service-deployment --service-deployment-arn "$arn" 2>"$work/err"; then fail "a finished deployment was stopped"; fi
grep -q ConflictException "$work/err" || fail "stopping a finished deployment: $(cat "$work/err")"
if aws ecs describe-service-deployments --service-deployment-arns "$arn" >/dev/null && aws ecs stop-service-deployment --service-deployment-arn "${arn}0" 2>"$work/err"; then fail "an unknown deployment was stopped"; fi
grep -q ServiceDeploymentNotFoundException "$work/err" || fail "unknown deployment: $(cat "$work/err")"
