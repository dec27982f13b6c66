package report

import (
	"strings"
	"testing"
)

// TestFacts: a platform's facts are listed in the summary and the HTML
// page (code unless plain, linked when they have a link, left out when
// empty) and set the outputs they name.
func TestFacts(t *testing.T) {
	t.Parallel()
	res := &Result{Outcome: OutcomeDeployed, Deploy: &Deployment{
		ID: "arn:aws:ecs:eu-west-1:123456789012:service-deployment/c/s/x", Status: StatusSucceeded,
		Where: []Fact{{Label: "Service", Value: "api", Link: "https://console.example/api"}, {Label: "Strategy", Value: "LINEAR", Plain: true}, {Label: "Empty", Value: ""}},
		What:  []Fact{{Label: "Task definition", Value: "arn:td:7", Output: "task-definition-arn"}},
	}}
	md := Markdown(res)
	for _, want := range []string{"- **Service:** [`api`](https://console.example/api)\n", "- **Strategy:** LINEAR\n", "- **Status:** Succeeded\n- **Task definition:** `arn:td:7`\n"} {
		if !strings.Contains(md, want) {
			t.Errorf("summary lacks %q:\n%s", want, md)
		}
	}
	page := HTML(res)
	for _, want := range []string{`<li>Service: <a href="https://console.example/api"><code>api</code></a></li>`, "<li>Strategy: LINEAR</li>", "<li>Task definition: <code>arn:td:7</code></li>"} {
		if !strings.Contains(page, want) {
			t.Errorf("HTML page lacks %q", want)
		}
	}
	if strings.Contains(md, "Empty") || strings.Contains(page, "Empty") {
		t.Error("a fact without a value is listed")
	}
	rep, _, _ := newTestReporter(t)
	rep.OutputResult(res)
	if got := rep.Outputs(); got["task-definition-arn"] != "arn:td:7" {
		t.Errorf("output task-definition-arn = %q, want arn:td:7", got["task-definition-arn"])
	}
}
