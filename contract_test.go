package main

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/config"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/pipeline"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/report"
)

// actionFile is the part of action.yml the contract test reads.
type actionFile struct {
	Inputs  yaml.Node `yaml:"inputs"`
	Outputs yaml.Node `yaml:"outputs"`
	Runs    struct {
		Using string `yaml:"using"`
	} `yaml:"runs"`
}

type actionInput struct {
	Description string  `yaml:"description"`
	Default     *string `yaml:"default"`
}

// TestContract fails when action.yml, the config package and the README's
// input and output tables drift apart.
func TestContract(t *testing.T) {
	data, err := os.ReadFile("action.yml")
	if err != nil {
		t.Fatal(err)
	}
	var action actionFile
	if err := yaml.Unmarshal(data, &action); err != nil {
		t.Fatalf("parsing action.yml: %v", err)
	}
	if action.Runs.Using != "docker" {
		t.Errorf("action.yml runs.using = %q, want docker", action.Runs.Using)
	}

	// action.yml inputs, in order, with their defaults.
	var yamlInputs []config.Input
	for i := 0; i+1 < len(action.Inputs.Content); i += 2 {
		name := action.Inputs.Content[i].Value
		var in actionInput
		if err := action.Inputs.Content[i+1].Decode(&in); err != nil {
			t.Fatalf("input %s: %v", name, err)
		}
		if in.Description == "" {
			t.Errorf("action.yml input %q has no description", name)
		}
		if in.Default == nil {
			t.Errorf("action.yml input %q has no default", name)
			continue
		}
		yamlInputs = append(yamlInputs, config.Input{Name: name, Default: *in.Default})
	}
	if !slices.Equal(yamlInputs, config.Inputs) {
		t.Errorf("action.yml inputs and config.Inputs differ:\naction.yml: %v\nconfig:     %v", yamlInputs, config.Inputs)
	}

	var yamlOutputs []string
	for i := 0; i+1 < len(action.Outputs.Content); i += 2 {
		yamlOutputs = append(yamlOutputs, action.Outputs.Content[i].Value)
		var out struct {
			Description string `yaml:"description"`
		}
		if err := action.Outputs.Content[i+1].Decode(&out); err != nil || out.Description == "" {
			t.Errorf("action.yml output %q has no description", action.Outputs.Content[i].Value)
		}
	}
	if !slices.Equal(yamlOutputs, report.Outputs) {
		t.Errorf("action.yml outputs and report.Outputs differ:\naction.yml: %v\nconfig:     %v", yamlOutputs, report.Outputs)
	}

	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	readmeInputs := tableRows(t, string(readme), "## Inputs", 3)
	var want [][]string
	for _, in := range config.Inputs {
		def := ""
		if in.Default != "" {
			def = "`" + in.Default + "`"
		}
		want = append(want, []string{"`" + in.Name + "`", def})
	}
	var got [][]string
	for _, row := range readmeInputs {
		got = append(got, row[:2])
	}
	if !slices.EqualFunc(got, want, slices.Equal) {
		t.Errorf("README inputs table (name, default) and config.Inputs differ:\nREADME: %v\nconfig: %v", got, want)
	}
	var readmeOutputs []string
	for _, row := range tableRows(t, string(readme), "## Outputs", 2) {
		readmeOutputs = append(readmeOutputs, strings.Trim(row[0], "`"))
	}
	if !slices.Equal(readmeOutputs, report.Outputs) {
		t.Errorf("README outputs table and report.Outputs differ:\nREADME: %v\nconfig: %v", readmeOutputs, report.Outputs)
	}
}

// TestEveryInputIsRead fails when config.Inputs declares an input that
// config.Load never reads.
func TestEveryInputIsRead(t *testing.T) {
	read := map[string]bool{}
	enableAll := map[string]string{ // every stage on, so every input is looked at
		"INPUT_SECRETS":                     "app/db",
		"INPUT_ECR-REPOSITORY":              "app",
		"INPUT_CODEDEPLOY-APPLICATION":      "app",
		"INPUT_CODEDEPLOY-DEPLOYMENT-GROUP": "app-prod",
	}
	config.Load(func(key string) string {
		read[key] = true
		return enableAll[key]
	}, pipeline.Platforms())
	for _, in := range config.Inputs {
		key := config.InputKey(in.Name)
		if !read[key] {
			t.Errorf("input %q is declared but config.Load never reads %s", in.Name, key)
		}
	}
}

var tableRow = regexp.MustCompile(`^\|(.*)\|\s*$`)

// tableRows returns the cells of the first markdown table after heading,
// without its header and separator rows.
func tableRows(t *testing.T, doc, heading string, columns int) [][]string {
	t.Helper()
	_, after, ok := strings.Cut(doc, "\n"+heading+"\n")
	if !ok {
		t.Fatalf("README has no %q section", heading)
	}
	var rows [][]string
	inTable := false
	for line := range strings.Lines(after) {
		m := tableRow.FindStringSubmatch(strings.TrimRight(line, "\n"))
		if m == nil {
			if inTable {
				break
			}
			continue
		}
		inTable = true
		if strings.HasPrefix(m[1], "---") {
			continue
		}
		cells := strings.Split(m[1], " | ")
		for i := range cells {
			cells[i] = strings.TrimSpace(cells[i])
		}
		if len(cells) < columns {
			t.Fatalf("README %s row %q has %d cells, want %d", heading, line, len(cells), columns)
		}
		rows = append(rows, cells)
	}
	if len(rows) < 1 {
		t.Fatalf("README %s has no table", heading)
	}
	return rows[1:] // without the header
}
