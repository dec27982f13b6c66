// Package awssim is the core of the AWS sandbox: one http.Handler that
// speaks the wire protocols of the AWS services bluegreen-deploy uses, so
// that the real aws-sdk-go-v2 clients, the real AWS CLI and the Docker engine
// cannot tell it from AWS for our calls. Its command is awssim/cmd/awssim
// (-addr host:port, -regions us-east-1,eu-west-1, -scenario file.yaml,
// -time-scale N, -agent exec, -agent-root dir, -keep-agent-root,
// -iam-policy file.json); on exit it removes what the exec agent made under
// its root unless -keep-agent-root.
//
// # Packages
//
// The core (this package) owns the server and its routing, the protocol
// helpers (Error, Request, JSONOp, the JSON 1.1 error shape), the call log,
// authentication and IAM evaluation (Policy, Allow, Check), the Clock, the
// scenario and its faults, the control endpoints under /_awssim/, and the
// small interfaces through which one service calls another (Peers). It
// imports no service. Each service is a package under awssim/ that imports
// the core only and registers its operations with it:
//
//	awssim/sts             STS (query protocol)
//	awssim/secretsmanager  Secrets Manager
//	awssim/ecr             ECR, repository policies, replication, its
//	                       registry under /v2/ (provides Images and
//	                       ImageInbox; uses Registries)
//	awssim/s3              S3 (provides Objects)
//	awssim/ecs             ECS (provides TaskSets; uses Functions)
//	awssim/lambda          Lambda (provides Aliases, Functions; uses Images)
//	awssim/codedeploy      CodeDeploy and its lifecycle engine (uses Objects,
//	                       TaskSets, Aliases, HostAgent)
//	awssim/cloudformation  CloudFormation (query protocol): stacks and change
//	                       sets; creates resources through the other services
//	                       with Provision, and IAM roles in the core
//	awssim/agent           the exec agent (provides HostAgent)
//	awssim/sandbox         assembles the core and every service: New; and
//	                       a sandbox per region behind a front: NewRegions
//	                       (provides Registries)
//	awssim/awssimtest      starts a sandbox for tests
//	awssim/cmd/awssim      the command
//
// Imports run one way: every service -> awssim; sandbox -> awssim and every
// service; awssimtest and cmd/awssim -> sandbox and awssim. No service
// imports another, and there are no cycles; `go list -f '{{.ImportPath}}:
// {{join .Imports " "}}' ./internal/awssim/...` shows it.
//
// # Adding a service
//
// A new service is a package under awssim/ with a type that embeds
// *awssim.Server (for the Clock, Lock/Unlock, Allow/Check, Settle, Peers)
// and a Register(core *awssim.Server) that calls core.Register with an
// awssim.Service: Name and, for AWS JSON 1.1, Target (the X-Amz-Target
// prefix) and Ops (operation name -> JSONOp, run with the lock held; seed
// calls reach them too); for another protocol, Match, Serve and WriteError
// (matchers are asked in registration order, S3 last, as it takes every
// request); Authorize to check IAM (default: service:operation on "*"),
// Seed for seed calls that are not Ops. core.OnSettle adds work that must
// catch up with the clock before any service answers (CodeDeploy's
// engine); services call core.Settle. When a service needs another, add a
// small interface to Peers (peers.go) listing only the calls it makes, have
// the other service implement it, and wire it in sandbox.New. A service that
// creates another's resources as a client would (CloudFormation) calls
// Provision instead: the other service's own operation, unauthorized like a
// seed call. Then add the Register call to sandbox.New.
//
// Services, all on one port:
//   - Secrets Manager, ECR, ECS and CodeDeploy: AWS JSON 1.1 (POST /, X-Amz-Target).
//   - STS: the query protocol (form-encoded Action=...), XML answers.
//   - CloudFormation: the query protocol too (Version=2010-05-15), what
//     `aws cloudformation deploy` calls: Create/Describe/Execute/DeleteChangeSet
//     (CREATE and UPDATE), Create/Update/Delete/DescribeStacks,
//     DescribeStackEvents, DescribeStackResources, GetTemplate,
//     GetTemplateSummary. Templates are JSON or YAML with the short-form
//     tags; Ref (parameters, resources, pseudo parameters), Fn::GetAtt,
//     Fn::Sub, Fn::Join, Fn::Select, Fn::Split, Fn::If and the conditions,
//     Fn::GetAZs (<region>a..c), Fn::Base64; DependsOn and references order
//     the resources. A change set applies at once when executed. The types
//     the sandbox models are created through their services (ECR, S3,
//     Secrets Manager, CodeDeploy, ECS, Lambda; IAM roles in the core; an
//     Auto Scaling group's instances are the fleet CodeDeploy starts for a
//     group naming it); EC2, ELBv2, log group, launch template and instance
//     profile resources are recorded with ids, ARNs and GetAtt attributes.
//     Any other type or function fails the stack (CREATE_FAILED naming it,
//     ROLLBACK_COMPLETE). Updates replace IAM roles and record the new
//     properties of other resources; deletes remove roles, and leave the
//     others in their services, which have no delete calls.
//   - S3: REST-XML, path-style (/bucket/key), aws-chunked uploads decoded.
//   - Lambda: REST-JSON under /2015-03-31/functions (CreateFunction,
//     GetFunction, GetFunctionConfiguration, UpdateFunctionCode,
//     PublishVersion, ListVersionsByFunction, Create/Get/Update/DeleteAlias
//     with RoutingConfig weights). Function ARNs are in account
//     123456789012 and the request's region. Code is ready lambdaReadyDelay
//     (5 simulated seconds) after CreateFunction, UpdateFunctionCode or
//     PublishVersion: State Pending / LastUpdateStatus InProgress, then
//     Active / Successful. An ImageUri is checked against the sandbox's own
//     registry (the repository named after the host): CreateFunction and
//     UpdateFunctionCode refuse a missing image or an image index at once
//     (400 InvalidParameterValueException), changing nothing; GetFunction's
//     Code.ResolvedImageUri is repository@digest. Before that, the
//     repository's policy must let lambda.amazonaws.com read it: if not,
//     Lambda adds that statement when the caller may
//     ecr:GetRepositoryPolicy and ecr:SetRepositoryPolicy on the
//     repository, else refuses with 403 AccessDeniedException ("Lambda does
//     not have permission to access the ECR image"). Zip functions are
//     accepted.
//   - The ECR registry data plane: an OCI registry under /v2/ that needs
//     Basic auth with a token from GetAuthorizationToken and honours image
//     tag immutability (TAG_INVALID). repositoryUri is host:port/name, which
//     the Docker engine pushes to over plain HTTP on loopback.
//
// Any region and credentials are accepted, but an API request without a SigV4
// Authorization header or presigned URL (X-Amz-Credential) is refused with
// MissingAuthenticationTokenException (STS AssumeRoleWithWebIdentity
// excepted, as in AWS).
//
// # Regions
//
// One sandbox (sandbox.New) keeps one state for every region: resources
// are keyed by name, the region of the request's credential scope goes
// into ARNs only, and the registry is the sandbox's one host:port. For
// several regions, sandbox.NewRegions(opts, "us-east-1", "eu-west-1")
// makes one sandbox per region, each with its own state, call log and
// Host (its registry: repositoryUri and proxyEndpoint differ per region, as
// ECR's registries do), all on one Clock, and is itself the front handler:
// an API request goes to the sandbox of the region in its SigV4 credential
// scope (the Authorization header's Credential=AKID/date/<region>/<service>/
// aws4_request, else a presigned URL's X-Amz-Credential); a request that
// names no region (the registry's /v2/, /_awssim/...) goes to the first,
// default region; a region not configured is refused with 403
// InvalidSignatureException "Credential should be scoped to a valid
// region." (in the service's error format, in no call log). awssim
// -regions us-east-1,eu-west-1 serves the front and the default region on
// -addr and each other region (its registry and its API calls, whatever
// region they are signed for) on an ephemeral port of the -addr host,
// printed at start; -iam-policy applies to every region, -scenario and
// -agent to the default one. Without -regions nothing changes: one sandbox
// for every region. awssimtest.StartRegions(t, regions...) returns the
// front's URL and each region's *Sandbox (the default one's URL is the
// front's).
//
// ECR replication (botocore's ecr model; the ECR user guide's "Private
// image replication"): PutReplicationConfiguration stores the registry's
// rules in the region it is called in (up to 10 rules, 25 unique
// destinations, PREFIX_MATCH filters; an empty rule list removes them),
// DescribeRegistry returns them (rules: [] when none), and
// DescribeImageReplicationStatus lists each destination region of an
// image, IN_PROGRESS then COMPLETE. In a multi-region sandbox each
// manifest pushed to a region's registry after the configuration, to a
// repository a rule matches (no filter: every repository), is copied to
// each destination region of the account other than the source: manifest,
// config and layer blobs, the same digest, the tag it was pushed as (a tag
// an immutable destination repository holds on another image stays). It
// arrives 30 simulated seconds after the push (ECR gives no figure: long
// enough for a stopped-clock test to see it in flight, 50 ms of wall time
// at the default scale), in a repository of the same name that ECR's
// service-linked role creates with the default settings when missing; the
// destination's call log records the role's CreateRepository and
// ReplicateImage, unchecked by the caller's policy. A replica is not
// replicated again (once per push). Images pushed before the
// configuration stay in their region. A single-region sandbox, and
// destinations in another account or in a region the sandbox does not
// serve, store the configuration and replicate nothing.
//
// # IAM
//
// With a policy (-iam-policy, or a scenario's iam key, which replaces it;
// see ParsePolicy) every signed API call and registry call is authorized as
// the user arn:aws:iam::123456789012:user/sandbox, against the resources the
// Service Authorization Reference names for each action: an explicit Deny
// wins, then an Allow, else the call is refused with AWS's AccessDenied
// answer for its protocol and AWS's message. On top of the call's own
// action: codedeploy:GetDeploymentConfig on the configuration and
// codedeploy:GetApplicationRevision or RegisterApplicationRevision on the
// application for CreateDeployment (CodeDeploy's permissions reference);
// iam:PassRole for the roles of RegisterTaskDefinition and
// CreateDeploymentGroup, and for the roles in an ECS service's
// loadBalancers[].advancedConfiguration and lifecycle hooks (CreateService,
// UpdateService); GetSecretValue on each secret of a
// BatchGetSecretValue (refusals go into its Errors) and ListSecrets for its
// Filters; S3's rule that a missing key answers 404 only with s3:ListBucket,
// else 403. Registry calls are checked as the ECR actions they stand for
// (ecr:BatchGetImage, ecr:InitiateLayerUpload, ...);
// ecr:PutReplicationConfiguration and ecr:DescribeRegistry are checked on
// "*" (registry-level actions), ecr:DescribeImageReplicationStatus on the
// repository. sts:GetCallerIdentity
// and seed calls are never checked. Without a policy everything is allowed.
// Each call in the log lists the IAM actions it was checked against.
//
// IAM roles (CloudFormation's AWS::IAM::Role) keep their trust policy and
// inline policies; of managed policy ARNs only those in ManagedPolicies
// grant anything (the others' contents are AWS's). AssumeRoleWithWebIdentity
// on such a role checks its trust policy:
// a Federated principal that is the token issuer's OIDC provider ARN, the
// action, and StringEquals/StringLike conditions on <issuer>:aud and
// <issuer>:sub; otherwise AccessDenied "Not authorized to perform
// sts:AssumeRoleWithWebIdentity", as AWS answers. The sandbox cannot check
// GitHub's signature: it decodes the token's claims as they are. The
// session's credentials are then authorized with the role's policies (an
// explicit Deny in any wins), and refusals name the assumed-role ARN. Roles
// the sandbox does not know are assumed as before, with the user's policy.
// Registry calls (docker push) stay authorized as the user.
//
// StopDeployment answers Pending, as AWS does; the deployment is Stopped,
// with its rollback when asked, 5 simulated seconds later.
//
// CodeDeploy runs a lifecycle engine on a simulated Clock: blue/green Server
// deployments (COPY_AUTO_SCALING_GROUP or DISCOVER_EXISTING; green instances
// run ApplicationStop..ValidateService, then the AllowTraffic events, blue
// ones the BlockTraffic events) and ECS deployments (a green task set whose
// traffic weight follows the deployment config: all at once, linear or
// canary; a hook function of the AppSpec is invoked and waits for its status
// as a Lambda deployment's does), Lambda deployments (the AppSpec's alias
// moves from CurrentVersion to TargetVersion by RoutingConfig weights per
// the configuration, between the BeforeAllowTraffic and AfterAllowTraffic
// hooks), Ready with STOP_DEPLOYMENT and its timeout, the termination wait,
// auto-rollback as a new deployment, one active deployment per group. Custom
// configurations come from CreateDeploymentConfig. A Lambda hook function
// named in the AppSpec is invoked as the group's service role (in the call
// log as lambda Invoke with its payload, DeploymentId and
// LifecycleEventHookExecutionId); a role the sandbox knows
// (CloudFormation's; of the AWS managed policies it knows
// AWSCodeDeployRoleForLambda, which allows lambda:InvokeFunction on
// CodeDeployHook_* functions only) that may not invoke it, or a function
// that does not exist, fails the event at once. The function is then played by the sandbox: it reports Succeeded 5 s
// after the event starts, Failed when a scenario lifecycle entry matches
// (HOOK_EXECUTION_FAILURE), or nothing when a hang matches, so the hook
// fails after its hour; a client may report first with
// PutLifecycleEventHookExecutionStatus and the id that
// codedeploy.Service.LambdaHookExecutionID returns. The
// engine advances lazily on each call, so it is deterministic when a test
// stops the clock (Clock.SetScale(0)) and moves it with Clock.Advance. At the
// default DefaultTimeScale (600 simulated seconds per wall second) every
// built-in deployment config runs to its end within 15 s.
//
// ECS services with the ECS deployment controller deploy themselves:
// UpdateService with a new task definition (or forceNewDeployment) starts a
// service deployment (arn:aws:ecs:<region>:<account>:service-deployment/
// <cluster>/<service>/<id>) that follows the service's
// deploymentConfiguration.strategy: PENDING 5 s, then IN_PROGRESS through
// RECONCILE_SERVICE (10 s, only when it supersedes one in progress),
// PRE_SCALE_UP, SCALE_UP (60 s), POST_SCALE_UP and, for BLUE_GREEN, LINEAR
// and CANARY (which need loadBalancers[].advancedConfiguration),
// TEST_TRAFFIC_SHIFT (10 s), POST_TEST_TRAFFIC_SHIFT,
// PRODUCTION_TRAFFIC_SHIFT (10 s to the first weight; LINEAR steps every
// stepBakeTimeInMinutes, CANARY's 100 after canaryBakeTimeInMinutes),
// POST_PRODUCTION_TRAFFIC_SHIFT, then BAKE_TIME (bakeTimeInMinutes) and
// CLEAN_UP (30 s) to SUCCESSFUL. Lifecycle hooks run at the end of their
// stage: PAUSE hooks wait AWAITING_ACTION for ContinueServiceDeployment or
// their timeout's action; AWS_LAMBDA hooks are played by the sandbox (each
// invocation is in the call log as lambda Invoke with ECS's payload) and
// answer SUCCEEDED 5 s later (a function missing from the sandbox's Lambda
// fails the hook: Function not found) unless a scenario's ecsDeployments entry says
// FAILED or IN_PROGRESS (invoked again every 30 s until the timeout).
// Rollbacks (a failed hook, a timeout, ContinueServiceDeployment ROLLBACK,
// StopServiceDeployment ROLLBACK, a scenario's circuit breaker or alarms)
// are ROLLBACK_REQUESTED for 5 s, ROLLBACK_IN_PROGRESS while production
// and test traffic move back (10 s each, running those stages' Lambda
// hooks again: one failing then ends ROLLBACK_FAILED) and the new tasks
// stop (30 s), then ROLLBACK_SUCCESSFUL.
//
// With SetAgent(AgentExec, root) (awssim -agent exec, or agent: exec in a
// scenario) this host is the one instance of every Server deployment group
// and the sandbox is its CodeDeploy agent: the S3 bundle is unpacked under
// root/<group-id>/<deployment-id>/deployment-archive, Install copies the
// AppSpec's files and sets their modes, and each hook script runs for real
// with the agent's environment (LIFECYCLE_EVENT, DEPLOYMENT_ID,
// APPLICATION_NAME, DEPLOYMENT_GROUP_NAME, DEPLOYMENT_GROUP_ID, and
// BUNDLE_BUCKET, BUNDLE_KEY, BUNDLE_VERSION, BUNDLE_ETAG for S3 revisions)
// and no AWS variables, as on EC2: HOME is the agent's root/home, whose
// .aws/config names the sandbox as endpoint_url and its instance metadata
// service (/_awssim/imds/: the instance role's temporary credentials and
// the instance's region, the last deployment's) as
// ec2_metadata_service_endpoint, so the AWS CLI and SDKs reach the sandbox
// with the instance role and, like on EC2, without a configured region.
// Each script runs within its timeout and all of an event's within 3600 s,
// in real time; once it exits, its output must close within what is left
// of its timeout (a background process holding it fails the event, as the
// agent fails it). ApplicationStop and the BlockTraffic hooks come from the
// last successful install on the host, none on a blue/green replacement
// instance copying the Auto Scaling group, and a blue/green rollback runs
// the AllowTraffic hooks of the original instances' revision and the
// BlockTraffic hooks of the rolled-back one; the output goes to the
// deployment's own logs/scripts.log. The exit status decides the event and
// the output's last 2048 characters are its logTail. Traffic and waits stay
// simulated. One instance per group, since two on one host would share its
// ports; in-place groups without traffic control have one instance in either
// mode. testdata/sandbox/README.md has the details.
//
// # Scenarios
//
// A scenario (YAML or JSON; the -scenario file, or POST /_awssim/scenario at
// run time, which adds to what is there) seeds resources and sets faults:
//
//	timeScale: 600             # simulated seconds per wall second
//	seed:                      # API calls made in order, with AWS's request field names
//	  - {service: secretsmanager, operation: CreateSecret, input: {Name: app/db, SecretString: '{"u":"p"}'}}
//	  - {service: ecr, operation: CreateRepository, input: {repositoryName: app}}
//	  - {service: s3, operation: CreateBucket, input: {Bucket: bundles}}
//	  - {service: s3, operation: PutObject, input: {Bucket: bundles, Key: k, Body: "..."}}
//	  - {service: codedeploy, operation: CreateApplication, input: {applicationName: web, computePlatform: Server}}
//	  - {service: lambda, operation: CreateFunction, input: {FunctionName: fn, PackageType: Image, Role: arn:..., Code: {ImageUri: host/fn:v1}}}
//	faults:                    # API answers, matched by service and operation ("" = any)
//	  - {service: codedeploy, operation: GetDeployment, error: ThrottlingException, after: 2, count: 5}
//	  - {service: secretsmanager, status: 503, count: 1}       # a 5xx
//	  - {service: ecr, operation: DescribeImages, latency: 2s}  # delay, then answer normally
//	  - {service: s3, operation: PutObject, reset: true, count: 1} # connection reset
//	  - {service: ecs, operation: RegisterTaskDefinition, error: AccessDeniedException}
//	lifecycle:                 # a lifecycle event fails, with diagnostics
//	  - {deploymentGroup: web, event: ValidateService, errorCode: ScriptFailed,
//	     script: scripts/validate.sh, message: "...", logTail: "...", count: 1}
//	hangs:                     # deployments of a group stop at an event until stopped
//	  - {deploymentGroup: web, event: Install}
//	ecsDeployments:            # ECS service deployments of a service fail
//	  - {service: api, function: validate, hookStatus: FAILED, count: 1} # its Lambda hook answers
//	  - {service: api, circuitBreaker: true}      # the new tasks fail to start
//	  - {service: api, alarms: [api-5xx]}         # alarms in ALARM during the bake time
//	deniedSecrets: [app/locked] # reads answer AccessDeniedException
//	breakBlobUploads: 1        # registry blob uploads that fail with 500 (-1: all)
//	agent: exec                # Server hooks run on this host (default: simulated)
//	agentRoot: /tmp/cd-root    # the exec agent's deployment root (default: -agent-root, else a temp dir)
//	iam:                       # an IAM policy document; replaces the policy
//	  Version: "2012-10-17"
//	  Statement: [{Effect: Allow, Action: "codedeploy:*", Resource: "*"}]
//
// A fault lets `after` matching calls through, then affects `count` of them
// (0: all). Control endpoints: GET /_awssim/health, GET /_awssim/calls (every
// API and registry call: service, operation, status, time, iamActions), POST
// /_awssim/scenario, DELETE /_awssim/faults, POST /_awssim/clock
// ({"advance": "5m", "timeScale": 0}).
package awssim
