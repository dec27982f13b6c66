package codedeploy

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim"
)

// cdHookTimeout is how long CodeDeploy waits for a Lambda hook function to
// report its status through PutLifecycleEventHookExecutionStatus.
const cdHookTimeout = time.Hour

// cdLambdaSpec is what a Lambda AppSpec says: the function, its alias, the
// versions traffic moves between and the hook function of each event.
type cdLambdaSpec struct {
	name, alias, current, target string
	hooks                        map[string]string
}

// cdLambdaAppSpec reads a Lambda AppSpec (YAML or JSON) given inline.
func cdLambdaAppSpec(c *cdRawString) (cdSpec, error) {
	invalid := func(format string, args ...any) (cdSpec, error) {
		return cdSpec{}, awssim.Errorf("InvalidRevisionException", format, args...)
	}
	if c == nil || c.Content == "" {
		return invalid("The AppSpec content is empty.")
	}
	if sum := sha256.Sum256([]byte(c.Content)); c.Sha256 != "" && c.Sha256 != hex.EncodeToString(sum[:]) {
		return invalid("The AppSpec content's SHA-256 %s does not match the content's %x.", c.Sha256, sum)
	}
	type function struct {
		Type       string `yaml:"Type"`
		Properties struct {
			Name           string `yaml:"Name"`
			Alias          string `yaml:"Alias"`
			CurrentVersion string `yaml:"CurrentVersion"`
			TargetVersion  string `yaml:"TargetVersion"`
		} `yaml:"Properties"`
	}
	var doc struct {
		Resources []map[string]function `yaml:"Resources"`
		Hooks     []map[string]string   `yaml:"Hooks"`
	}
	if err := yaml.Unmarshal([]byte(c.Content), &doc); err != nil {
		return invalid("The AppSpec file cannot be parsed: %v", err)
	}
	var spec *cdLambdaSpec
	for _, res := range doc.Resources {
		for _, fn := range res {
			if fn.Type != "AWS::Lambda::Function" {
				return invalid("The AppSpec resource type %q is not AWS::Lambda::Function.", fn.Type)
			}
			if spec != nil {
				return invalid("The AppSpec file must have exactly one AWS::Lambda::Function resource.")
			}
			p := fn.Properties
			spec = &cdLambdaSpec{name: p.Name, alias: p.Alias, current: p.CurrentVersion, target: p.TargetVersion, hooks: map[string]string{}}
		}
	}
	switch {
	case spec == nil:
		return invalid("The AppSpec file must have an AWS::Lambda::Function resource.")
	case spec.name == "" || spec.alias == "" || spec.current == "" || spec.target == "":
		return invalid("The AWS::Lambda::Function resource must have Name, Alias, CurrentVersion and TargetVersion properties.")
	}
	for _, h := range doc.Hooks {
		for event, fn := range h {
			if event != "BeforeAllowTraffic" && event != "AfterAllowTraffic" {
				return invalid("The AppSpec hook %q is not valid for the Lambda compute platform: use BeforeAllowTraffic or AfterAllowTraffic.", event)
			}
			spec.hooks[event] = fn
		}
	}
	return cdSpec{lambda: spec, hooks: map[string][]string{}}, nil
}

// cdLambdaRun is what a Lambda deployment does to its function's alias.
type cdLambdaRun struct {
	spec   cdLambdaSpec
	alias  awssim.Alias // once the deployment has checked the function
	weight float64      // the target version's share of traffic, in percent
}

// cdHook is one invocation of a hook function, waiting for its status.
type cdHook struct {
	event, function, id string
	status              string         // Pending until reported, then Succeeded or Failed
	auto                string         // what the sandbox reports as the hook function; "" never
	message             string         // why it failed, from the scenario
	fault               *cdDiagnostics // an ECS hook's diagnostics, from the scenario
	done                bool
}

func (s *Service) cdLambdaOps() map[string]awssim.JSONOp {
	return map[string]awssim.JSONOp{
		"PutLifecycleEventHookExecutionStatus": s.cdPutHookStatus,
		"CreateDeploymentConfig":               s.cdCreateDeploymentConfig,
	}
}

// lambda: the target version takes the alias's traffic per the
// configuration, between the BeforeAllowTraffic and AfterAllowTraffic hooks.
func (p *cdPlanner) lambda() {
	d := p.d
	run := &cdLambdaRun{spec: *d.spec.lambda}
	d.lambda = run
	tgs := d.addTargets([]string{run.spec.name + ":" + run.spec.alias}, "", cdAllowEvents)
	tgs[0].arn = fmt.Sprintf("arn:aws:lambda:%s:%s:function:%s:%s", d.app.region, awssim.Account, run.spec.name, run.spec.alias)
	p.add(0, func(t time.Time) {
		alias, code, msg := p.s.cdCheckLambda(run.spec, d.config)
		if code != "" {
			p.s.cdEnd(d, t, "Failed", code, msg, false)
			return
		}
		run.alias = alias
	})
	p.hookEvent(tgs[0], "BeforeAllowTraffic", run.spec.hooks["BeforeAllowTraffic"])
	p.begin(tgs, "AllowTraffic")
	var prev time.Duration
	for _, ws := range d.config.weights() {
		p.add(ws.after-prev, func(time.Time) { run.shift(ws.weight) })
		prev = ws.after
	}
	p.end(tgs, "AllowTraffic", cdGap)
	p.hookEvent(tgs[0], "AfterAllowTraffic", run.spec.hooks["AfterAllowTraffic"])
	p.add(cdGap, func(t time.Time) { p.s.cdSucceed(d, t) })
}

// shift gives the target version weight percent of the alias's traffic.
func (run *cdLambdaRun) shift(weight float64) {
	run.weight = weight
	if run.alias != nil {
		run.alias.Route(run.spec.current, run.spec.target, weight)
	}
}

// cdCheckLambda returns the alias a Lambda AppSpec names, or the error code
// and message of the deployment when the function does not match it.
//
// CreateDeployment accepts an AppSpec whose CurrentVersion is its
// TargetVersion, and the deployment then fails with AWS's message and no
// detail, unless the configuration shifts all traffic at once
// (terraform-aws-modules/terraform-aws-lambda#82 and #85).
func (s *Service) cdCheckLambda(spec cdLambdaSpec, config *cdConfig) (awssim.Alias, string, string) {
	if spec.current == spec.target && len(config.weights()) > 1 {
		return nil, "INVALID_LAMBDA_CONFIGURATION", "The deployment failed because the AppSpec file that specifies the AWS Lambda deployment configuration is missing or has an invalid configuration."
	}
	return s.Peers.Aliases.Alias(spec.name, spec.alias, spec.current, spec.target, s.Clock.Now())
}

// hookEvent runs an event of a Lambda or ECS deployment whose hook is
// function fn ("": none): the sandbox invokes the function and waits for
// its status, which the sandbox reports itself after cdEventTime
// (Succeeded, or Failed per the scenario) unless the scenario makes it hang
// or a client reports first with PutLifecycleEventHookExecutionStatus.
// Unreported, the hook fails after cdHookTimeout.
func (p *cdPlanner) hookEvent(tg *cdTarget, event, fn string) {
	d, s := p.d, p.s
	p.add(cdGap, func(t time.Time) {
		ev := tg.event(event)
		ev.Status, ev.StartTime = "InProgress", cdTimePtr(t)
		first := !d.begun
		d.begun = true
		if fn == "" {
			return
		}
		h := &cdHook{event: event, function: fn, id: cdHookID(), status: "Pending", auto: "Succeeded"}
		d.hooks[event] = h
		deadline := t.Add(cdEventTime)
		if why := s.cdInvokeHook(d, h); why != "" {
			h.auto, h.message, deadline = "Failed", why, t
		} else if f, failed := s.cdLifecycleFault(d, event); failed {
			h.auto, h.message = "Failed", f.Message
			if d.ecs != nil {
				diag := d.diagnostics(f)
				h.fault = &diag
			}
		} else if s.cdHangs(d, event, first) {
			h.auto, deadline = "", t.Add(cdHookTimeout)
		}
		d.wait = &cdWait{deadline: deadline}
	})
	p.add(0, func(t time.Time) {
		ev := tg.event(event)
		ev.EndTime = cdTimePtr(t)
		h := d.hooks[event]
		if h == nil {
			ev.Status = "Succeeded"
			return
		}
		h.done = true
		if h.status == "Pending" && h.auto != "" {
			h.status = h.auto
		}
		if h.status == "Succeeded" {
			ev.Status = "Succeeded"
			return
		}
		ev.Status = "Failed"
		diag := cdDiagnostics{ErrorCode: "ScriptFailed", ScriptName: h.function, Message: h.message}
		msg := fmt.Sprintf("The %s hook function %s reported Failed.", event, h.function)
		if h.status == "Pending" {
			diag.ErrorCode = "ScriptTimedOut"
			msg = fmt.Sprintf("The %s hook function %s did not report a status within %s.", event, h.function, cdHookTimeout)
		}
		if diag.Message == "" {
			diag.Message = msg
		}
		if d.ecs != nil {
			if h.status == "Failed" && h.fault != nil {
				diag = *h.fault
			}
			p.fail(t, []*cdTarget{tg}, event, diag)
			return
		}
		ev.Diagnostics = &diag
		s.cdEnd(d, t, "Failed", "HOOK_EXECUTION_FAILURE", "Deployment failed: "+msg, d.rollbackOn("DEPLOYMENT_FAILURE"))
	})
}

// cdInvokeHook invokes a hook function as CodeDeploy does, as the group's
// service role, and logs the invocation (lambda Invoke, checked against
// lambda:InvokeFunction) with its payload, the DeploymentId and
// LifecycleEventHookExecutionId the function reports its status with (AppSpec
// 'hooks' section, sample Lambda hook function). A role the sandbox knows
// (CloudFormation's) must allow lambda:InvokeFunction on the function:
// AWSCodeDeployRoleForLambda allows it on functions named CodeDeployHook_*
// only; a function that does not exist fails the event too. It returns why
// the invocation failed, in the sandbox's words, or "".
func (s *Service) cdInvokeHook(d *cdDeployment, h *cdHook) string {
	arn := h.function
	if !strings.HasPrefix(arn, "arn:") {
		arn = fmt.Sprintf("arn:aws:lambda:%s:%s:function:%s", d.app.region, awssim.Account, h.function)
	}
	payload, _ := json.Marshal(map[string]string{"DeploymentId": d.id, "LifecycleEventHookExecutionId": h.id})
	call := awssim.Call{Service: "lambda", Operation: "Invoke", Status: 200, IAMActions: []string{"lambda:InvokeFunction"}, Payload: payload}
	why := ""
	if allowed, known := s.RoleAllows(d.group.ServiceRoleArn, "lambda:InvokeFunction", arn); known && !allowed {
		call.Status = 403
		why = fmt.Sprintf("The deployment group's service role %s is not authorized to perform lambda:InvokeFunction on %s (AWSCodeDeployRoleForLambda allows it on functions named CodeDeployHook_* only).", d.group.ServiceRoleArn, arn)
	} else if s.Peers.Functions != nil && !s.Peers.Functions.Function(h.function) {
		call.Status = 404
		why = fmt.Sprintf("The %s hook function %s does not exist: Function not found: %s", h.event, h.function, arn)
	}
	s.RecordLocked(call)
	return why
}

// cdHookID returns a new lifecycleEventHookExecutionId.
func cdHookID() string {
	return cdRandom("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 88)
}

// lambdaRollback moves the alias back to the version the failed or stopped
// deployment shifted traffic from.
func (p *cdPlanner) lambdaRollback(from *cdLambdaRun) {
	d := p.d
	spec := from.spec
	spec.current, spec.target, spec.hooks = from.spec.target, from.spec.current, map[string]string{}
	run := &cdLambdaRun{spec: spec, alias: from.alias, weight: 100 - from.weight}
	d.lambda = run
	d.spec = cdSpec{lambda: &spec, hooks: map[string][]string{}}
	tgs := d.addTargets([]string{spec.name + ":" + spec.alias}, "", cdAllowEvents)
	tgs[0].arn = fmt.Sprintf("arn:aws:lambda:%s:%s:function:%s:%s", d.app.region, awssim.Account, spec.name, spec.alias)
	p.hookEvent(tgs[0], "BeforeAllowTraffic", "")
	p.begin(tgs, "AllowTraffic")
	p.add(cdGap, func(time.Time) { run.shift(100) })
	p.end(tgs, "AllowTraffic", cdGap)
	p.hookEvent(tgs[0], "AfterAllowTraffic", "")
	p.add(cdGap, func(t time.Time) { p.s.cdSucceed(d, t) })
}

// lambdaTargetInfo renders a Lambda deployment's target (LambdaTarget).
func (d *cdDeployment) lambdaTargetInfo(t *cdTarget) any {
	run := d.lambda
	type functionInfo struct {
		FunctionName        string       `json:"functionName"`
		FunctionAlias       string       `json:"functionAlias"`
		CurrentVersion      string       `json:"currentVersion"`
		TargetVersion       string       `json:"targetVersion"`
		TargetVersionWeight awssim.Float `json:"targetVersionWeight"`
	}
	return map[string]any{
		"deploymentTargetType": "LambdaTarget",
		"lambdaTarget": map[string]any{
			"deploymentId":    d.id,
			"targetId":        t.id,
			"targetArn":       t.arn,
			"status":          t.status(d),
			"lastUpdatedAt":   awssim.Time(t.lastUpdated(d)),
			"lifecycleEvents": t.events,
			"lambdaFunctionInfo": functionInfo{
				FunctionName: run.spec.name, FunctionAlias: run.spec.alias,
				CurrentVersion: run.spec.current, TargetVersion: run.spec.target,
				TargetVersionWeight: awssim.Float(run.weight),
			},
		},
	}
}

func (s *Service) cdPutHookStatus(r *awssim.Request) (any, error) {
	var in struct {
		DeploymentID                  string `json:"deploymentId"`
		LifecycleEventHookExecutionID string `json:"lifecycleEventHookExecutionId"`
		Status                        string `json:"status"`
	}
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	d, err := s.cdAt(in.DeploymentID)
	if err != nil {
		return nil, err
	}
	if in.Status != "Succeeded" && in.Status != "Failed" {
		return nil, awssim.Errorf("InvalidLifecycleEventHookExecutionStatusException", "The status %q is not valid: a hook reports Succeeded or Failed.", in.Status)
	}
	var h *cdHook
	for _, hook := range d.hooks {
		if hook.id == in.LifecycleEventHookExecutionID {
			h = hook
		}
	}
	if h == nil {
		return nil, awssim.Errorf("InvalidLifecycleEventHookExecutionIdException", "The lifecycle event hook execution id %s does not belong to deployment %s.", in.LifecycleEventHookExecutionID, d.id)
	}
	if h.done || h.status != "Pending" || d.terminal() {
		return nil, awssim.Errorf("LifecycleEventAlreadyCompletedException", "The lifecycle event %s of deployment %s has already completed.", h.event, d.id)
	}
	h.status = in.Status
	d.resume(s.Clock.Now())
	return map[string]string{"lifecycleEventHookExecutionId": h.id}, nil
}

// LambdaHookExecutionID returns the lifecycleEventHookExecutionId that the
// sandbox passed to the hook function of a Lambda or ECS deployment's event, as a
// hook function would receive it, once the event has started.
func (s *Service) LambdaHookExecutionID(deploymentID, event string) (string, bool) {
	s.Lock()
	defer s.Unlock()
	s.cdAdvance()
	d, ok := s.cd.byID[deploymentID]
	if !ok || d.hooks[event] == nil {
		return "", false
	}
	return d.hooks[event].id, true
}
