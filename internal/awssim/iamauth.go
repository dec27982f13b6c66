package awssim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

// SetPolicy sets the IAM policy every later call with the sandbox's
// credentials is authorized against; nil allows everything.
func (s *Server) SetPolicy(p *Policy) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.policy = p
}

// iamCall records the IAM actions one request was checked against. A nil
// *iamCall (seed calls) is never refused.
type iamCall struct {
	actions []string
}

// allow checks action on resource, recording it, and returns the
// AccessDenied message when the policy refuses it ("" when allowed). It
// runs with s.mu held.
func (s *Server) allow(ic *iamCall, action, resource string) string {
	if ic == nil {
		return ""
	}
	ic.actions = append(ic.actions, action)
	if s.policy == nil {
		return ""
	}
	d := s.policy.Evaluate(action, resource)
	if d == Allowed {
		return ""
	}
	why := "because no identity-based policy allows the " + action + " action"
	if d == ExplicitDeny {
		why = "with an explicit deny in an identity-based policy"
	}
	return fmt.Sprintf("User: %s is not authorized to perform: %s on resource: %s %s", callerARN, action, resource, why)
}

// iamCheck is one action on one resource that a request needs.
type iamCheck struct{ action, resource string }

// authorize checks an API request against the policy and returns the error
// to refuse it with, in its service's form.
func (s *Server) authorize(ic *iamCall, service, operation, region string, r *http.Request, body []byte) *Error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var in map[string]any
	json.Unmarshal(body, &in) // a bad body is the operation's to refuse
	var checks []iamCheck
	switch service {
	case "sts":
		if operation == "AssumeRole" {
			checks = []iamCheck{{"sts:AssumeRole", formValue(string(body), "RoleArn")}}
		}
	case "s3":
		return s.authorizeS3(ic, operation, r)
	case "lambda":
		checks = lambdaChecks(operation, region, r, in)
	default:
		checks = s.jsonChecks(service, operation, region, in)
	}
	for _, c := range checks {
		if msg := s.allow(ic, c.action, c.resource); msg != "" {
			code, status := "AccessDeniedException", 400
			switch service {
			case "sts":
				code, status = "AccessDenied", 403
			case "lambda":
				status = 403
			}
			return &Error{Status: status, Code: code, Message: msg}
		}
	}
	return nil
}

// authorizeS3 applies S3's rules: HeadObject is authorized as s3:GetObject,
// and a missing key answers 404 only to a caller that may list the bucket.
func (s *Server) authorizeS3(ic *iamCall, operation string, r *http.Request) *Error {
	bucket, key := s3Path(r)
	bucketARN := "arn:aws:s3:::" + bucket
	objectARN := bucketARN + "/" + key
	var action, resource string
	switch operation {
	case "ListBuckets":
		action, resource = "s3:ListAllMyBuckets", "*"
	case "CreateBucket":
		action, resource = "s3:CreateBucket", bucketARN
	case "HeadBucket", "ListObjectsV2":
		action, resource = "s3:ListBucket", bucketARN
	case "PutObject":
		action, resource = "s3:PutObject", objectARN
	case "GetObject", "HeadObject":
		action, resource = "s3:GetObject", objectARN
	default:
		return nil
	}
	denied := &Error{Status: 403, Code: "AccessDenied"}
	if denied.Message = s.allow(ic, action, resource); denied.Message != "" {
		return denied
	}
	if action != "s3:GetObject" {
		return nil
	}
	if b := s.s3.buckets[bucket]; b != nil && b.objects[key] != nil {
		return nil
	}
	if denied.Message = s.allow(ic, "s3:ListBucket", bucketARN); denied.Message != "" {
		return denied
	}
	return nil
}

// jsonChecks lists what a JSON-protocol operation needs, with the resources
// as the Service Authorization Reference names them (`*` where an action
// takes no resource).
func (s *Server) jsonChecks(service, operation, region string, in map[string]any) []iamCheck {
	str := func(key string) string { v, _ := in[key].(string); return v }
	list := func(key string) []string {
		var out []string
		vs, _ := in[key].([]any)
		for _, v := range vs {
			if v, ok := v.(string); ok {
				out = append(out, v)
			}
		}
		return out
	}
	action := service + ":" + operation
	one := func(resource string) []iamCheck { return []iamCheck{{action, resource}} }
	arn := func(kind, name string) string {
		return fmt.Sprintf("arn:aws:%s:%s:%s:%s%s", service, region, Account, kind, name)
	}
	switch service + ":" + operation {
	case "secretsmanager:ListSecrets", "ecr:GetAuthorizationToken", "ecs:DescribeTaskDefinition", "ecs:CreateCluster":
		return one("*")
	case "secretsmanager:BatchGetSecretValue":
		checks := one("*")
		if in["Filters"] != nil {
			checks = append(checks, iamCheck{"secretsmanager:ListSecrets", "*"})
		}
		return checks // and GetSecretValue on each secret, in the operation
	case "secretsmanager:CreateSecret":
		return one(s.secretARN(region, str("Name")))
	case "secretsmanager:GetSecretValue", "secretsmanager:PutSecretValue", "secretsmanager:DescribeSecret":
		return one(s.secretARN(region, str("SecretId")))
	case "ecr:CreateRepository", "ecr:DescribeImages", "ecr:BatchGetImage":
		return one(arn("repository/", str("repositoryName")))
	case "ecr:DescribeRepositories":
		names := list("repositoryNames")
		if len(names) == 0 {
			return one("*")
		}
		var checks []iamCheck
		for _, n := range names {
			checks = append(checks, iamCheck{action, arn("repository/", n)})
		}
		return checks
	case "ecs:RegisterTaskDefinition":
		checks := one("*")
		for _, role := range []string{str("taskRoleArn"), str("executionRoleArn")} {
			if role != "" {
				checks = append(checks, iamCheck{"iam:PassRole", role})
			}
		}
		return checks
	case "ecs:CreateService":
		return one(arn("service/", ecsName(orDefault(str("cluster")))+"/"+str("serviceName")))
	case "ecs:DescribeServices", "ecs:DescribeTaskSets":
		services := list("services")
		if operation == "DescribeTaskSets" {
			services = []string{str("service")}
		}
		var checks []iamCheck
		for _, svc := range services {
			checks = append(checks, iamCheck{action, arn("service/", ecsName(orDefault(str("cluster")))+"/"+ecsName(svc))})
		}
		return checks
	case "codedeploy:CreateApplication", "codedeploy:GetApplication":
		return one(arn("application:", str("applicationName")))
	case "codedeploy:GetDeploymentConfig":
		return one(arn("deploymentconfig:", str("deploymentConfigName")))
	case "codedeploy:CreateDeploymentGroup":
		checks := one(arn("deploymentgroup:", str("applicationName")+"/"+str("deploymentGroupName")))
		return append(checks, iamCheck{"iam:PassRole", str("serviceRoleArn")})
	case "codedeploy:GetDeploymentGroup", "codedeploy:CreateDeployment":
		return one(arn("deploymentgroup:", str("applicationName")+"/"+str("deploymentGroupName")))
	case "codedeploy:ListDeployments":
		if str("deploymentGroupName") == "" {
			return one("*")
		}
		return one(arn("deploymentgroup:", str("applicationName")+"/"+str("deploymentGroupName")))
	case "codedeploy:BatchGetDeployments":
		var checks []iamCheck
		for _, id := range list("deploymentIds") {
			checks = append(checks, iamCheck{action, s.deploymentGroupARN(region, id)})
		}
		return checks
	case "codedeploy:GetDeployment", "codedeploy:StopDeployment", "codedeploy:ContinueDeployment",
		"codedeploy:ListDeploymentTargets", "codedeploy:GetDeploymentTarget", "codedeploy:BatchGetDeploymentTargets":
		return one(s.deploymentGroupARN(region, str("deploymentId")))
	}
	return one("*")
}

func orDefault(cluster string) string {
	if cluster == "" {
		return "default"
	}
	return cluster
}

// secretARN names the secret requested as id: its ARN when it exists.
func (s *Server) secretARN(region, id string) string {
	if sec := s.findSecret(id); sec != nil {
		return sec.arn
	}
	if len(id) > 4 && id[:4] == "arn:" {
		return id
	}
	return fmt.Sprintf("arn:aws:secretsmanager:%s:%s:secret:%s", region, Account, id)
}

// deploymentGroupARN names the deployment group of a deployment, the
// resource CodeDeploy authorizes calls about a deployment against.
func (s *Server) deploymentGroupARN(region, id string) string {
	d, ok := s.cd.byID[id]
	if !ok {
		return "*"
	}
	return fmt.Sprintf("arn:aws:codedeploy:%s:%s:deploymentgroup:%s/%s", d.app.region, Account, d.app.ApplicationName, d.group.DeploymentGroupName)
}

// registryActions are the ECR actions the registry's operations stand for.
var registryActions = map[string]string{
	"GetManifest":    "ecr:BatchGetImage",
	"HeadManifest":   "ecr:BatchGetImage",
	"ListTags":       "ecr:ListImages",
	"GetBlob":        "ecr:GetDownloadUrlForLayer",
	"HeadBlob":       "ecr:BatchCheckLayerAvailability",
	"StartUpload":    "ecr:InitiateLayerUpload",
	"PatchUpload":    "ecr:UploadLayerPart",
	"GetUpload":      "ecr:UploadLayerPart",
	"CompleteUpload": "ecr:CompleteLayerUpload",
	"CancelUpload":   "ecr:UploadLayerPart",
	"PutManifest":    "ecr:PutImage",
	"DeleteManifest": "ecr:BatchDeleteImage",
	"DeleteBlob":     "ecr:BatchDeleteImage",
}

// authorizeRegistry checks a registry call as the ECR action it stands for
// and returns the DENIED message, or "".
func (s *Server) authorizeRegistry(ic *iamCall, req registryRequest) string {
	action, ok := registryActions[req.operation]
	if !ok {
		return ""
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	arn := fmt.Sprintf("arn:aws:ecr:us-east-1:%s:repository/%s", Account, req.repo)
	if repo := s.ecr.repos[req.repo]; repo != nil {
		arn = repo.arn
	}
	return s.allow(ic, action, arn)
}

// lambdaChecks lists what a Lambda operation needs: the action of its name on
// the function's ARN, qualified when the request names a version or alias
// (Qualifier), and iam:PassRole for a new function's execution role.
func lambdaChecks(operation, region string, r *http.Request, in map[string]any) []iamCheck {
	name := strings.Split(strings.TrimPrefix(r.URL.Path, "/2015-03-31/functions/"), "/")[0]
	if name == "" || name == r.URL.Path {
		name, _ = in["FunctionName"].(string)
	}
	if i := strings.Index(name, ":function:"); i >= 0 {
		name = name[i+len(":function:"):]
	}
	arn := fmt.Sprintf("arn:aws:lambda:%s:%s:function:%s", region, Account, name)
	if q := r.URL.Query().Get("Qualifier"); q != "" && !strings.Contains(name, ":") {
		arn += ":" + q
	}
	checks := []iamCheck{{"lambda:" + operation, arn}}
	if role, _ := in["Role"].(string); operation == "CreateFunction" && role != "" {
		checks = append(checks, iamCheck{"iam:PassRole", role})
	}
	return checks
}
