package deploy

// DescriptionLimit is the longest description CodeDeploy accepts.
const DescriptionLimit = 256

// Description is the deployment's description: the user's text (or a
// default) trimmed so that the commit and the run link still fit in
// DescriptionLimit characters.
func Description(text, commit, runURL string) string {
	var suffix string
	if len(commit) > 12 {
		commit = commit[:12]
	}
	switch {
	case commit != "" && runURL != "":
		suffix = "commit " + commit + ", " + runURL
	case commit != "":
		suffix = "commit " + commit
	default:
		suffix = runURL
	}
	if text == "" {
		text = "bluegreen-deploy"
	}
	if suffix == "" {
		return trimRunes(text, DescriptionLimit)
	}
	suffix = " (" + suffix + ")"
	room := DescriptionLimit - len([]rune(suffix))
	if room < 1 {
		return trimRunes(text, DescriptionLimit)
	}
	return trimRunes(text, room) + suffix
}

// trimRunes shortens s to at most n runes, ending with "…" when cut.
func trimRunes(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
