package deploytest

import (
	"errors"
	"os"
	"testing"
	"unicode/utf16"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/deploy"
)

// FuzzAppSpec fuzzes an appspec parser from the seed files: parse must give
// no error or an *deploy.AppSpecError whose line is in the file.
func FuzzAppSpec(f *testing.F, seeds []string, parse func(data []byte) error) {
	for _, p := range seeds {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		err := parse(data)
		var ae *deploy.AppSpecError
		switch {
		case err != nil && !errors.As(err, &ae):
			t.Fatalf("error %v is a %T, want *deploy.AppSpecError", err, err)
		case err != nil && ae.Line > YAMLLines(data):
			t.Fatalf("error at line %d of a %d-line file", ae.Line, YAMLLines(data))
		}
	})
}

// YAMLLines counts the lines of a YAML document as YAML does: it reads UTF-16
// when the file starts with its byte order mark, and breaks lines at CR LF,
// CR, LF, NEL, LS and PS (YAML 1.1, as gopkg.in/yaml.v3 reads it; an editor
// that honours CR shows the same lines).
func YAMLLines(data []byte) int {
	text := []rune(string(data))
	if len(data) >= 2 && (data[0] == 0xff && data[1] == 0xfe || data[0] == 0xfe && data[1] == 0xff) {
		units := make([]uint16, 0, len(data)/2)
		for i := 2; i+1 < len(data); i += 2 {
			if data[0] == 0xff {
				units = append(units, uint16(data[i])|uint16(data[i+1])<<8)
			} else {
				units = append(units, uint16(data[i])<<8|uint16(data[i+1]))
			}
		}
		text = utf16.Decode(units)
	}
	lines := 1
	for i, r := range text {
		switch r {
		case '\n':
			if i == 0 || text[i-1] != '\r' {
				lines++
			}
		case '\r', '\u0085', '\u2028', '\u2029':
			lines++
		}
	}
	return lines
}
