package report

import (
	"errors"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// scrubAnywhere is the length from which a secret value is scrubbed wherever
// it occurs in free text. A shorter value ("1", "true") is scrubbed only as a
// whole token, so that the ids, numbers and words around it survive.
const scrubAnywhere = 8

// scrub replaces the values in s, longest first, with ***: long ones
// wherever they occur, short ones only where no letter, digit, '_' or '-'
// touches them on either side. It is for free text the action did not write
// (AWS error messages, a hook's log tail), never for ids, URIs or names.
func scrub(s string, values []string) string {
	values = slices.Clone(values)
	slices.SortFunc(values, func(a, b string) int { return len(b) - len(a) })
	for _, v := range values {
		if v == "" {
			continue
		}
		if len(v) >= scrubAnywhere {
			s = strings.ReplaceAll(s, v, "***")
			continue
		}
		s = replaceTokens(s, v)
	}
	return s
}

// replaceTokens replaces each occurrence of v in s that stands as a token.
func replaceTokens(s, v string) string {
	var b strings.Builder
	done := 0 // s[:done] is written
	for from := 0; ; {
		i := strings.Index(s[from:], v)
		if i < 0 {
			break
		}
		start, end := from+i, from+i+len(v)
		before, _ := utf8.DecodeLastRuneInString(s[:start])
		after, _ := utf8.DecodeRuneInString(s[end:])
		if (start == 0 || !wordRune(before)) && (end == len(s) || !wordRune(after)) {
			b.WriteString(s[done:start])
			b.WriteString("***")
			done, from = end, end
			continue
		}
		from = start + 1
	}
	b.WriteString(s[done:])
	return b.String()
}

func wordRune(r rune) bool {
	return r == '_' || r == '-' || unicode.IsLetter(r) || unicode.IsDigit(r)
}

// Scrub passes the result's foreign text, the text that came from AWS or a
// hook rather than from the action (the deployment's error message, the
// failing event's message and log tail, an API error's message), through
// clean, wherever it appears, the error included, so that what renders the
// result (outputs, summary, annotations) holds no secret value. The action's
// own words around it stay as they are, and the error keeps its chain.
// The targets' results are scrubbed too.
func (res *Result) Scrub(clean func(string) string) {
	var foreign []string
	if d := res.Deploy; d != nil {
		foreign = append(foreign, d.ErrorMessage)
		if f := d.Failure; f != nil {
			foreign = append(foreign, f.Message, f.LogTail)
		}
	}
	var api interface{ ErrorMessage() string } // smithy.APIError
	if errors.As(res.Err, &api) {
		foreign = append(foreign, api.ErrorMessage())
	}
	if res.Err != nil {
		msg := res.Err.Error()
		for _, f := range foreign {
			if f != "" {
				msg = strings.ReplaceAll(msg, f, clean(f))
			}
		}
		if msg != res.Err.Error() {
			res.Err = &scrubbedError{msg: msg, err: res.Err}
		}
	}
	if d := res.Deploy; d != nil {
		d.ErrorMessage = clean(d.ErrorMessage)
		if f := d.Failure; f != nil {
			f.Message = clean(f.Message)
			f.LogTail = clean(f.LogTail)
		}
	}
	for _, t := range res.Targets {
		if t.Result != nil {
			t.Result.Scrub(clean)
		}
	}
}

// scrubbedError is an error whose text had secret values taken out.
type scrubbedError struct {
	msg string
	err error
}

func (e *scrubbedError) Error() string { return e.msg }
func (e *scrubbedError) Unwrap() error { return e.err }
