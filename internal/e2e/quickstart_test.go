package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// dropAction removes action from the Action of every IAM statement in a
// YAML document (a statement left with no action is removed) and reports
// how many it removed. Tags such as CloudFormation's !Sub are kept.
func dropAction(doc []byte, action string) ([]byte, int, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(doc, &root); err != nil {
		return nil, 0, err
	}
	removed := dropActionNode(&root, action)
	out, err := yaml.Marshal(&root)
	return out, removed, err
}

func dropActionNode(n *yaml.Node, action string) int {
	removed := 0
	if n.Kind == yaml.SequenceNode {
		kept := n.Content[:0]
		for _, item := range n.Content {
			if actions := statementActions(item); actions != nil {
				before := len(actions.Content)
				actions.Content = slices.DeleteFunc(actions.Content, func(a *yaml.Node) bool { return a.Value == action })
				removed += before - len(actions.Content)
				if len(actions.Content) == 0 {
					continue
				}
			}
			kept = append(kept, item)
		}
		n.Content = kept
	}
	for _, c := range n.Content {
		removed += dropActionNode(c, action)
	}
	return removed
}

// statementActions returns an IAM statement's Action as a list node (a
// single action becomes a list of one), or nil when n has no Action.
func statementActions(n *yaml.Node) *yaml.Node {
	if n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value != "Action" {
			continue
		}
		if v := n.Content[i+1]; v.Kind == yaml.ScalarNode {
			n.Content[i+1] = &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Style: yaml.FlowStyle, Content: []*yaml.Node{v}}
		}
		return n.Content[i+1]
	}
	return nil
}

func TestDropAction(t *testing.T) {
	t.Parallel()
	const doc = `Statement:
  - Action: [a:One, a:Two]
    Resource: !Sub "arn:${AWS::Partition}:x"
  - Action: a:Two
    Resource: "*"
  - Action: a:Three
    Resource: "*"
`
	out, removed, err := dropAction([]byte(doc), "a:Two")
	if err != nil || removed != 2 {
		t.Fatalf("removed %d (%v), want 2", removed, err)
	}
	var got struct {
		Statement []struct {
			Action []string `yaml:"Action"`
		} `yaml:"Statement"`
	}
	if err := yaml.Unmarshal(out, &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Statement) != 2 || !slices.Equal(got.Statement[0].Action, []string{"a:One"}) || !slices.Equal(got.Statement[1].Action, []string{"a:Three"}) {
		t.Errorf("statements %+v, want [a:One] and [a:Three]\n%s", got.Statement, out)
	}
	if !strings.Contains(string(out), `!Sub "arn:${AWS::Partition}:x"`) {
		t.Errorf("the !Sub tag is lost:\n%s", out)
	}
	if _, removed, _ := dropAction([]byte(doc), "a:Four"); removed != 0 {
		t.Errorf("removed %d of an action no statement has", removed)
	}
}

// readmeWorkflow is a README block marked as a quick-start workflow:
//
//	<!-- testdata/workflows/quickstart-x.yml -->
//	```yaml
var readmeWorkflow = regexp.MustCompile("(?s)<!-- (testdata/workflows/[^ ]+\\.yml) -->\n```yaml\n(.*?)```\n")

// TestQuickStartWorkflowsAreREADME checks that each quick-start workflow the
// end-to-end tests run is the README's, but for the differences their
// headers list; and that each of the README's has one.
func TestQuickStartWorkflowsAreREADME(t *testing.T) {
	t.Parallel()
	root, err := RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(root, "testdata/workflows/quickstart-*.yml"))
	blocks := readmeWorkflow.FindAllSubmatch(readme, -1)
	if len(files) == 0 || len(blocks) != len(files) {
		t.Errorf("%d quick-start workflows in testdata/workflows, %d marked in the README; want the same, at least one", len(files), len(blocks))
	}
	for _, b := range blocks {
		name := string(b[1])
		t.Run(filepath.Base(name), func(t *testing.T) {
			want, err := asRunHere(b[2])
			if err != nil {
				t.Fatalf("the README's block for %s: %v", name, err)
			}
			data, err := os.ReadFile(filepath.Join(root, name))
			if err != nil {
				t.Fatal(err)
			}
			var got map[string]any
			if err := yaml.Unmarshal(data, &got); err != nil {
				t.Fatal(err)
			}
			if got["on"] != "workflow_dispatch" || got["name"] == nil {
				t.Errorf("%s: on %v, name %v; want workflow_dispatch and a name", name, got["on"], got["name"])
			}
			delete(got, "on")
			delete(got, "name")
			if !reflect.DeepEqual(got, want) {
				g, _ := yaml.Marshal(got)
				w, _ := yaml.Marshal(want)
				t.Errorf("%s is not the README's workflow; it has\n%s\nthe README's, as run here:\n%s", name, g, w)
			}
		})
	}
}

// asRunHere applies to a README quick-start workflow the differences the
// testdata copies list: no trigger (act's is set there), no checkout,
// `uses: ./`, us-east-1 for eu-west-1, role-to-assume from env ROLE_ARN,
// testdata/app as the context, no environment.
func asRunHere(block []byte) (map[string]any, error) {
	var wf map[string]any
	if err := yaml.Unmarshal([]byte(strings.ReplaceAll(string(block), "eu-west-1", "us-east-1")), &wf); err != nil {
		return nil, err
	}
	delete(wf, "on")
	jobs, _ := wf["jobs"].(map[string]any)
	for name, job := range jobs {
		job, ok := job.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("job %s is not a mapping", name)
		}
		steps, _ := job["steps"].([]any)
		kept := steps[:0]
		for _, step := range steps {
			step, _ := step.(map[string]any)
			switch step["uses"] {
			case "actions/checkout@v4":
				continue
			case "bluegreen-deploy/bluegreen-deploy@v1":
				step["uses"] = "./"
				with, ok := step["with"].(map[string]any)
				if !ok {
					return nil, fmt.Errorf("job %s: the action's step has no with", name)
				}
				if _, ok := with["role-to-assume"]; ok {
					with["role-to-assume"] = "${{ env.ROLE_ARN }}"
				}
				if _, ok := with["ecr-repository"]; ok {
					with["context"] = "testdata/app"
				}
				delete(with, "environment")
			}
			kept = append(kept, step)
		}
		job["steps"] = kept
	}
	return wf, nil
}
