package cloudformation

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim"
)

// provisioner creates one resource of a type from its evaluated properties,
// with the lock held. Types the sandbox models are created through their
// service's own operations (awssim.Server.Provision); network and load
// balancer types are recorded with the ids, ARNs and attributes
// CloudFormation gives them.
type provisioner func(c *creation, p props) (*physical, error)

// creation is the context of one resource's creation.
type creation struct {
	s       *Service
	st      *stack
	logical string
	reuse   string // the physical name of the resource an update replaces
}

// props are a resource's evaluated properties.
type props map[string]any

func (p props) str(k string) string { v, _ := p[k].(string); return v }

// name returns the name property k, or a generated name as CloudFormation
// makes them: stack-logical-RANDOM, lower case when lower, cut to max.
func (c *creation) name(p props, k string, lower bool, max int) string {
	if c.reuse != "" && p.str(k) == "" {
		return c.reuse
	}
	if n := p.str(k); n != "" {
		return n
	}
	n := c.st.name + "-" + c.logical + "-" + strings.ToUpper(awssim.RandomAlnum(12))
	if lower {
		n = strings.ToLower(n)
	}
	if len(n) > max {
		n = n[len(n)-max:]
		n = strings.TrimLeft(n, "-")
	}
	return n
}

func (c *creation) arn(service, resource string) string {
	return fmt.Sprintf("arn:aws:%s:%s:%s:%s", service, c.st.region, awssim.Account, resource)
}

// provision calls a service's operation and returns its result as a map.
func (c *creation) provision(service, operation string, input map[string]any) (map[string]any, error) {
	out, err := c.s.Provision(service, operation, c.st.region, input)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	data, _ := json.Marshal(out)
	json.Unmarshal(data, &m)
	return m, nil
}

func hexID(prefix string) string { return prefix + strings.ToLower(awssim.RandomAlnum(17)) }

// provisioners are the resource types the sandbox creates.
var provisioners = map[string]provisioner{
	"AWS::IAM::Role":                            createRole,
	"AWS::IAM::OIDCProvider":                    createOIDCProvider,
	"AWS::IAM::InstanceProfile":                 createInstanceProfile,
	"AWS::ECR::Repository":                      createRepository,
	"AWS::S3::Bucket":                           createBucket,
	"AWS::SecretsManager::Secret":               createSecret,
	"AWS::CodeDeploy::Application":              createApplication,
	"AWS::CodeDeploy::DeploymentGroup":          createDeploymentGroup,
	"AWS::ECS::Cluster":                         createCluster,
	"AWS::ECS::TaskDefinition":                  createTaskDefinition,
	"AWS::ECS::Service":                         createECSService,
	"AWS::Lambda::Function":                     createFunction,
	"AWS::Lambda::Version":                      createVersion,
	"AWS::Lambda::Alias":                        createAlias,
	"AWS::AutoScaling::AutoScalingGroup":        recordASG,
	"AWS::EC2::Instance":                        recordInstance,
	"AWS::EC2::SecurityGroup":                   recordSecurityGroup,
	"AWS::EC2::LaunchTemplate":                  recordLaunchTemplate,
	"AWS::ElasticLoadBalancingV2::LoadBalancer": recordLoadBalancer,
	"AWS::ElasticLoadBalancingV2::TargetGroup":  recordTargetGroup,
	"AWS::ElasticLoadBalancingV2::Listener":     recordListener,
	"AWS::ElasticLoadBalancingV2::ListenerRule": recordListenerRule,
	"AWS::Logs::LogGroup":                       recordLogGroup,
}

func createRole(c *creation, p props) (*physical, error) {
	name := c.name(p, "RoleName", false, 64)
	path := p.str("Path")
	if path == "" {
		path = "/"
	}
	arn := "arn:aws:iam::" + awssim.Account + ":role" + path + name
	trustDoc, _ := json.Marshal(p["AssumeRolePolicyDocument"])
	trust, err := awssim.ParseTrustPolicy(trustDoc)
	if err != nil {
		return nil, err
	}
	role := &awssim.Role{ARN: arn, Trust: trust}
	policies, _ := p["Policies"].([]any)
	for _, x := range policies {
		pol, _ := x.(map[string]any)
		doc, _ := json.Marshal(pol["PolicyDocument"])
		parsed, err := awssim.ParsePolicy(doc)
		if err != nil {
			return nil, fmt.Errorf("policy %v: %w", pol["PolicyName"], err)
		}
		role.Policies = append(role.Policies, parsed)
	}
	managed, _ := p["ManagedPolicyArns"].([]any)
	for _, x := range managed {
		arn, _ := x.(string)
		if doc, ok := awssim.ManagedPolicies[arn]; ok {
			parsed, err := awssim.ParsePolicy([]byte(doc))
			if err != nil {
				return nil, fmt.Errorf("managed policy %s: %w", arn, err)
			}
			role.Policies = append(role.Policies, parsed)
		}
	}
	c.s.PutRole(role)
	return &physical{ID: name, Attrs: map[string]any{"Arn": arn, "RoleId": "AROA" + strings.ToUpper(awssim.RandomAlnum(17))}}, nil
}

func createOIDCProvider(c *creation, p props) (*physical, error) {
	host := strings.TrimPrefix(p.str("Url"), "https://")
	arn := "arn:aws:iam::" + awssim.Account + ":oidc-provider/" + host
	return &physical{ID: arn, Attrs: map[string]any{"Arn": arn}}, nil
}

func createInstanceProfile(c *creation, p props) (*physical, error) {
	name := c.name(p, "InstanceProfileName", false, 128)
	return &physical{ID: name, Attrs: map[string]any{"Arn": "arn:aws:iam::" + awssim.Account + ":instance-profile/" + name}}, nil
}

func createRepository(c *creation, p props) (*physical, error) {
	name := c.name(p, "RepositoryName", true, 256)
	in := map[string]any{"repositoryName": name}
	if m := p.str("ImageTagMutability"); m != "" {
		in["imageTagMutability"] = m
	}
	out, err := c.provision("ecr", "CreateRepository", in)
	if err != nil {
		return nil, err
	}
	if doc, ok := p["RepositoryPolicyText"]; ok {
		text, isString := doc.(string)
		if !isString {
			data, _ := json.Marshal(doc)
			text = string(data)
		}
		if _, err := c.provision("ecr", "SetRepositoryPolicy", map[string]any{"repositoryName": name, "policyText": text}); err != nil {
			return nil, err
		}
	}
	repo, _ := out["repository"].(map[string]any)
	return &physical{ID: name, Attrs: map[string]any{"Arn": repo["repositoryArn"], "RepositoryUri": repo["repositoryUri"]}}, nil
}

func createBucket(c *creation, p props) (*physical, error) {
	name := c.name(p, "BucketName", true, 63)
	if _, err := c.provision("s3", "CreateBucket", map[string]any{"Bucket": name}); err != nil {
		return nil, err
	}
	return &physical{ID: name, Attrs: map[string]any{"Arn": "arn:aws:s3:::" + name, "DomainName": name + ".s3.amazonaws.com",
		"RegionalDomainName": name + ".s3." + c.st.region + ".amazonaws.com"}}, nil
}

func createSecret(c *creation, p props) (*physical, error) {
	in := map[string]any{"Name": c.name(p, "Name", false, 512)}
	if s := p.str("SecretString"); s != "" {
		in["SecretString"] = s
	}
	out, err := c.provision("secretsmanager", "CreateSecret", in)
	if err != nil {
		return nil, err
	}
	return &physical{ID: fmt.Sprint(out["ARN"]), Attrs: map[string]any{"Id": out["ARN"]}}, nil
}

func createApplication(c *creation, p props) (*physical, error) {
	name := c.name(p, "ApplicationName", false, 100)
	platform := p.str("ComputePlatform")
	if platform == "" {
		platform = "Server"
	}
	if _, err := c.provision("codedeploy", "CreateApplication", map[string]any{"applicationName": name, "computePlatform": platform}); err != nil {
		return nil, err
	}
	return &physical{ID: name, Attrs: map[string]any{}}, nil
}

func createDeploymentGroup(c *creation, p props) (*physical, error) {
	in := lowerCamel(map[string]any(p)).(map[string]any)
	in["deploymentGroupName"] = c.name(p, "DeploymentGroupName", false, 100)
	if _, err := c.provision("codedeploy", "CreateDeploymentGroup", in); err != nil {
		return nil, err
	}
	return &physical{ID: in["deploymentGroupName"].(string), Attrs: map[string]any{}}, nil
}

func createCluster(c *creation, p props) (*physical, error) {
	name := c.name(p, "ClusterName", false, 255)
	out, err := c.provision("ecs", "CreateCluster", map[string]any{"clusterName": name})
	if err != nil {
		return nil, err
	}
	cl, _ := out["cluster"].(map[string]any)
	return &physical{ID: name, Attrs: map[string]any{"Arn": cl["clusterArn"]}}, nil
}

func createTaskDefinition(c *creation, p props) (*physical, error) {
	in := lowerCamel(map[string]any(p)).(map[string]any)
	if in["family"] == nil {
		in["family"] = c.st.name + "-" + c.logical + "-" + strings.ToUpper(awssim.RandomAlnum(12))
	}
	out, err := c.provision("ecs", "RegisterTaskDefinition", in)
	if err != nil {
		return nil, err
	}
	td, _ := out["taskDefinition"].(map[string]any)
	arn := fmt.Sprint(td["taskDefinitionArn"])
	return &physical{ID: arn, Attrs: map[string]any{"TaskDefinitionArn": arn}}, nil
}

func createECSService(c *creation, p props) (*physical, error) {
	in := lowerCamel(map[string]any(p)).(map[string]any)
	in["serviceName"] = c.name(p, "ServiceName", false, 255)
	out, err := c.provision("ecs", "CreateService", in)
	if err != nil {
		return nil, err
	}
	svc, _ := out["service"].(map[string]any)
	arn := fmt.Sprint(svc["serviceArn"])
	return &physical{ID: arn, Attrs: map[string]any{"Name": in["serviceName"], "ServiceArn": arn}}, nil
}

func createFunction(c *creation, p props) (*physical, error) {
	in := map[string]any{}
	for k, v := range p {
		in[k] = apiType(k, v)
	}
	in["FunctionName"] = c.name(p, "FunctionName", false, 64)
	if _, err := c.provision("lambda", "CreateFunction", in); err != nil {
		return nil, err
	}
	name := in["FunctionName"].(string)
	return &physical{ID: name, Attrs: map[string]any{"Arn": c.arn("lambda", "function:"+name)}}, nil
}

// createVersion publishes a version; the function's versions count from 1
// as the stack created it.
func createVersion(c *creation, p props) (*physical, error) {
	fn := p.str("FunctionName")
	fn = fn[strings.LastIndex(fn, ":")+1:]
	if _, err := c.provision("lambda", "PublishVersion", map[string]any{"FunctionName": fn}); err != nil {
		return nil, err
	}
	c.st.versions[fn]++
	v := fmt.Sprint(c.st.versions[fn])
	arn := c.arn("lambda", "function:"+fn+":"+v)
	return &physical{ID: arn, Attrs: map[string]any{"Version": v, "FunctionArn": arn}}, nil
}

func createAlias(c *creation, p props) (*physical, error) {
	fn := p.str("FunctionName")
	fn = fn[strings.LastIndex(fn, ":")+1:]
	in := map[string]any{"FunctionName": fn, "Name": p.str("Name"), "FunctionVersion": p.str("FunctionVersion")}
	if _, err := c.provision("lambda", "CreateAlias", in); err != nil {
		return nil, err
	}
	arn := c.arn("lambda", "function:"+fn+":"+p.str("Name"))
	return &physical{ID: arn, Attrs: map[string]any{"AliasArn": arn}}, nil
}

// recordASG records the group; CodeDeploy's deployment groups that name it
// start its instances (the sandbox's fleet of two per group).
func recordASG(c *creation, p props) (*physical, error) {
	name := c.name(p, "AutoScalingGroupName", false, 255)
	return &physical{ID: name, Attrs: map[string]any{}}, nil
}

func recordInstance(c *creation, p props) (*physical, error) {
	return &physical{ID: hexID("i-"), Attrs: map[string]any{"PublicIp": "198.51.100.10", "PrivateIp": "10.0.0.10",
		"PublicDnsName": "ec2-198-51-100-10.compute-1.amazonaws.com", "PrivateDnsName": "ip-10-0-0-10.ec2.internal",
		"AvailabilityZone": c.st.region + "a"}}, nil
}

func recordSecurityGroup(c *creation, p props) (*physical, error) {
	id := hexID("sg-")
	return &physical{ID: id, Attrs: map[string]any{"GroupId": id, "VpcId": p["VpcId"]}}, nil
}

func recordLaunchTemplate(c *creation, p props) (*physical, error) {
	return &physical{ID: hexID("lt-"), Attrs: map[string]any{"LatestVersionNumber": "1", "DefaultVersionNumber": "1"}}, nil
}

func recordLoadBalancer(c *creation, p props) (*physical, error) {
	name := c.name(p, "Name", false, 32)
	full := "app/" + name + "/" + strings.ToLower(awssim.RandomAlnum(16))
	dns := name + "-1234567890." + c.st.region + ".elb.amazonaws.com"
	return &physical{ID: c.arn("elasticloadbalancing", "loadbalancer/"+full), Attrs: map[string]any{
		"DNSName": dns, "LoadBalancerFullName": full, "LoadBalancerName": name, "CanonicalHostedZoneID": "Z35SXDOTRQ7X7K",
		"SecurityGroups": p["SecurityGroups"], "LoadBalancerArn": c.arn("elasticloadbalancing", "loadbalancer/"+full)}}, nil
}

func recordTargetGroup(c *creation, p props) (*physical, error) {
	name := c.name(p, "Name", false, 32)
	full := "targetgroup/" + name + "/" + strings.ToLower(awssim.RandomAlnum(16))
	arn := c.arn("elasticloadbalancing", full)
	return &physical{ID: arn, Attrs: map[string]any{"TargetGroupName": name, "TargetGroupFullName": full, "TargetGroupArn": arn, "LoadBalancerArns": []any{}}}, nil
}

func recordListener(c *creation, p props) (*physical, error) {
	lb := strings.TrimPrefix(p.str("LoadBalancerArn"), c.arn("elasticloadbalancing", "loadbalancer/"))
	arn := c.arn("elasticloadbalancing", "listener/"+lb+"/"+strings.ToLower(awssim.RandomAlnum(16)))
	return &physical{ID: arn, Attrs: map[string]any{"ListenerArn": arn}}, nil
}

func recordListenerRule(c *creation, p props) (*physical, error) {
	l := strings.TrimPrefix(p.str("ListenerArn"), c.arn("elasticloadbalancing", "listener/"))
	arn := c.arn("elasticloadbalancing", "listener-rule/"+l+"/"+strings.ToLower(awssim.RandomAlnum(16)))
	return &physical{ID: arn, Attrs: map[string]any{"RuleArn": arn, "IsDefault": "false"}}, nil
}

func recordLogGroup(c *creation, p props) (*physical, error) {
	name := c.name(p, "LogGroupName", false, 512)
	return &physical{ID: name, Attrs: map[string]any{"Arn": c.arn("logs", "log-group:"+name+":*")}}, nil
}

// camelExceptions are CloudFormation property names whose API field is not
// the name with its first letter lowered.
var camelExceptions = map[string]string{"ECSServices": "ecsServices", "ARN": "arn"}

// lowerCamel turns CloudFormation's property names into the JSON APIs'
// (ApplicationName -> applicationName), recursively; map keys that are not
// capitalized (log options, tags' values) stay as they are.
func lowerCamel(v any) any {
	switch v := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, x := range v {
			if e, ok := camelExceptions[k]; ok {
				k = e
			} else if k != "" && k[0] >= 'A' && k[0] <= 'Z' {
				k = strings.ToLower(k[:1]) + k[1:]
			}
			out[k] = apiType(k, lowerCamel(x))
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = lowerCamel(x)
		}
		return out
	}
	return v
}

// numberFields and boolFields are API fields that CloudFormation converts
// from the strings a Ref to a parameter gives, as the resource schemas type
// them.
var (
	numberFields = map[string]bool{"desiredCount": true, "containerPort": true, "hostPort": true, "terminationWaitTimeInMinutes": true,
		"waitTimeInMinutes": true, "healthCheckGracePeriodSeconds": true, "minimumHealthyPercent": true, "maximumPercent": true,
		"bakeTimeInMinutes": true, "memoryReservation": true, "stopTimeout": true, "MemorySize": true, "Timeout": true}
	boolFields = map[string]bool{"enabled": true, "essential": true, "enable": true, "rollback": true}
)

// apiType converts a string value of a number or boolean field.
func apiType(key string, v any) any {
	s, ok := v.(string)
	switch {
	case !ok:
	case numberFields[key]:
		if n, err := strconv.Atoi(s); err == nil {
			return n
		}
	case boolFields[key] && (s == "true" || s == "false"):
		return s == "true"
	}
	return v
}
