// Package usage answers the binary's command line: --help prints the
// inputs table from action.yml (the same file the runner reads) and
// --version the build's version. With no arguments the action runs.
package usage

import (
	"fmt"
	"io"
	"runtime/debug"
	"strings"
	"text/tabwriter"

	"gopkg.in/yaml.v3"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/config"
	"github.com/bluegreen-deploy/bluegreen-deploy/internal/exitcode"
)

// Input is one input as action.yml declares it.
type Input struct {
	Name        string
	Description string
	Default     string
}

// Manifest is the part of action.yml that --help shows.
type Manifest struct {
	Name        string
	Description string
	Inputs      []Input // in action.yml's order
}

// Parse reads action.yml.
func Parse(actionYAML []byte) (*Manifest, error) {
	var doc struct {
		Name        string    `yaml:"name"`
		Description string    `yaml:"description"`
		Inputs      yaml.Node `yaml:"inputs"`
	}
	if err := yaml.Unmarshal(actionYAML, &doc); err != nil {
		return nil, fmt.Errorf("parsing action.yml: %w", err)
	}
	m := &Manifest{Name: doc.Name, Description: oneLine(doc.Description)}
	for i := 0; i+1 < len(doc.Inputs.Content); i += 2 {
		in := Input{Name: doc.Inputs.Content[i].Value}
		var fields struct {
			Description string `yaml:"description"`
			Default     string `yaml:"default"`
		}
		if err := doc.Inputs.Content[i+1].Decode(&fields); err != nil {
			return nil, fmt.Errorf("parsing action.yml input %s: %w", in.Name, err)
		}
		in.Description, in.Default = oneLine(fields.Description), fields.Default
		m.Inputs = append(m.Inputs, in)
	}
	return m, nil
}

// Handle answers args (os.Args[1:]): --help or -h prints usage, --version
// the version; anything else is refused. done is false when there are no
// arguments: then the action runs.
func Handle(args []string, actionYAML []byte, version string, stdout io.Writer) (code int, done bool) {
	if len(args) == 0 {
		return 0, false
	}
	switch args[0] {
	case "--version", "-version":
		fmt.Fprintf(stdout, "bluegreen-deploy %s\n", Version(version))
		return exitcode.OK, true
	case "--help", "-help", "-h", "help":
		m, err := Parse(actionYAML)
		if err != nil {
			fmt.Fprintln(stdout, err)
			return exitcode.Failed, true
		}
		m.Write(stdout, Version(version))
		return exitcode.OK, true
	}
	fmt.Fprintf(stdout, "bluegreen-deploy takes its inputs as INPUT_<NAME> variables, not arguments: %q (see --help)\n", strings.Join(args, " "))
	return exitcode.BadInput, true
}

// Write prints the usage: how to pass inputs, and every input with its
// default and description.
func (m *Manifest) Write(w io.Writer, version string) {
	fmt.Fprintf(w, "%s %s: %s\n\n", m.Name, version, m.Description)
	fmt.Fprintf(w, `Usage: inputs are environment variables, as the Actions runner passes them:
  env 'INPUT_PARSE-JSON-SECRETS=true' INPUT_SECRETS=prod/app/db AWS_REGION=eu-west-1 ./%[1]s
Outside Actions the underscore spelling works too (a shell cannot export a name with '-'):
  INPUT_PARSE_JSON_SECRETS=true INPUT_SECRETS=prod/app/db AWS_REGION=eu-west-1 ./%[1]s
Under the runner only the hyphen form is read; an INPUT_* variable that names no input is warned about.

Inputs:
`, m.Name)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  INPUT\tVARIABLE\tDEFAULT\tDESCRIPTION")
	for _, in := range m.Inputs {
		def := in.Default
		if def == "" {
			def = "-"
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", in.Name, config.InputKey(in.Name), def, in.Description)
	}
	tw.Flush()
	fmt.Fprintln(w, "\nFlags: --help, --version. Exit status: 0 success, 1 failure, 2 invalid inputs.")
}

// Version is set when the build set it with -ldflags "-X main.version=...";
// else the module's version from the build info, with the commit when the
// build recorded one.
func Version(set string) string {
	if set != "" {
		return set
	}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	v := info.Main.Version
	for _, s := range info.Settings {
		if s.Key == "vcs.revision" && len(s.Value) >= 12 {
			v += " (" + s.Value[:12] + ")"
		}
	}
	return v
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
