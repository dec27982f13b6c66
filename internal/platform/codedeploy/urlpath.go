package codedeploy

import "regexp"

// pathPunct is the punctuation RFC 3986 allows in a URL path besides
// letters and digits: unreserved, sub-delims, ':', '@' and '/'.
const pathPunct = `-._~!$&'()*+,;=:@/`

// healthPathPattern matches an origin-form request target: an absolute
// path of RFC 3986 path characters and %XX escapes, then an optional
// query, which may also hold '?'. Newlines, spaces, quotes, '#', '\' and
// the like can never reach a server as part of one.
var healthPathPattern = regexp.MustCompile(`^/(?:[A-Za-z0-9` + regexp.QuoteMeta(pathPunct) + `]|%[0-9A-Fa-f]{2})*` +
	`(?:\?(?:[A-Za-z0-9` + regexp.QuoteMeta(pathPunct) + `?]|%[0-9A-Fa-f]{2})*)?$`)
