package deploy

// DescriptionLimit is the longest description CodeDeploy accepts, in
// characters (runes), as its quotas page counts them.
const DescriptionLimit = 100

// Description is the deployment's description: the user's text (or a
// default) trimmed so that the commit still fits in DescriptionLimit
// characters. The run link is left to the GitHub deployment and the summary.
func Description(text, commit string) string {
	if text == "" {
		text = "bluegreen-deploy"
	}
	if commit == "" {
		return trimRunes(text, DescriptionLimit)
	}
	if len(commit) > 12 {
		commit = commit[:12]
	}
	suffix := " (commit " + commit + ")"
	return trimRunes(text, DescriptionLimit-len(suffix)) + suffix
}

// trimRunes shortens s to at most n runes, ending with "…" when cut.
func trimRunes(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
