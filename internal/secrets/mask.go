package secrets

import (
	"encoding/base64"
	"encoding/json"
	"net/url"
	"strings"
)

// maskForms returns the strings to mask so that value cannot show in a log:
// the value, each of its lines (the runner masks line by line, so a
// multi-line mask alone never matches), and the forms a tool might print it
// in: base64 (standard and URL alphabets, unpadded, so the padded forms are
// covered too), URL query and path escaping, and JSON string escaping.
func maskForms(value string) []string {
	if strings.TrimSpace(value) == "" {
		return nil
	}
	parts := []string{value}
	if strings.ContainsAny(value, "\r\n") {
		for line := range strings.Lines(value) {
			line = strings.TrimRight(line, "\r\n")
			if t := strings.TrimSpace(line); t != "" {
				parts = append(parts, line, t)
			}
		}
	}
	var forms []string
	for _, p := range parts {
		quoted, _ := json.Marshal(p)
		forms = append(forms, p,
			base64.RawStdEncoding.EncodeToString([]byte(p)),
			base64.RawURLEncoding.EncodeToString([]byte(p)),
			url.QueryEscape(p),
			url.PathEscape(p),
			string(quoted[1:len(quoted)-1]),
		)
	}
	return forms
}

func base64Std(b []byte) string { return base64.StdEncoding.EncodeToString(b) }
