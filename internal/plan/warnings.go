package plan

import "fmt"

// Situation is what the target's reads found that a reviewer should know
// before the deploy runs.
type Situation struct {
	// Active is another deployment in progress in the group or service;
	// OnActive is what the deploy would do about it (on-active-deployment).
	Active, OnActive string
	// AutoRollback: a failed deployment rolls back by itself.
	AutoRollback bool
	// Alarms is how many CloudWatch alarms can stop the deployment.
	Alarms int
	// Newer is a deployment of a newer workflow run that is live or in
	// progress: with supersede-check the deploy would step aside.
	Newer string
	// Pause: on-ready is pause; ReadyWait: the group or service stops at
	// Ready (a CodeDeploy Ready wait, an ECS-native hook that pauses).
	Pause, ReadyWait bool
}

// Warn adds the warnings of s, and one for each secret the deploy could
// not fetch.
func (p *Plan) Warn(s Situation) {
	for _, sec := range p.Secrets {
		if !sec.Fetchable() {
			p.Warnings = append(p.Warnings, fmt.Sprintf("secret %q: %s: the deploy would fail fetching it", sec.ID, sec.Status))
		}
	}
	if s.Active != "" {
		what := map[string]string{
			"wait": "the deploy would wait for it to end", "stop": "the deploy would stop it (on-active-deployment: stop)",
			"fail": "the deploy would fail (on-active-deployment: fail)",
		}[s.OnActive]
		if what == "" {
			what = "the deploy would wait for it to end"
		}
		p.Warnings = append(p.Warnings, fmt.Sprintf("deployment %s is in progress: %s", s.Active, what))
	}
	if s.Newer != "" {
		p.Warnings = append(p.Warnings, fmt.Sprintf("deployment %s of a newer workflow run is live: this run's deploy would be superseded", s.Newer))
	}
	if !s.AutoRollback {
		p.Warnings = append(p.Warnings, "auto-rollback is off: a failed deployment stays failed until someone rolls it back")
	}
	if s.Alarms == 0 {
		p.Warnings = append(p.Warnings, "no alarms: nothing stops the deployment when the new revision misbehaves under traffic")
	}
	if s.Pause && !s.ReadyWait {
		p.Warnings = append(p.Warnings, "on-ready: pause, but the deployment does not wait at Ready: traffic would move without a pause")
	}
}
