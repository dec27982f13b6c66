package config

import (
	"fmt"
	"slices"
	"strings"
)

// InputWarnings checks the INPUT_* variables in environ (KEY=value, as
// os.Environ gives them) and says, for each that the run will not read as
// meant, why: a variable that names no input (with the nearest input's
// name), an underscore spelling under the runner (which reads only
// InputKey's), or both spellings of one input set (InputKey's wins).
func InputWarnings(environ []string) []string {
	set := map[string]bool{}
	var keys []string
	inActions := false
	for _, kv := range environ {
		k, v, _ := strings.Cut(kv, "=")
		set[k] = true
		if strings.HasPrefix(k, "INPUT_") {
			keys = append(keys, k)
		}
		if k == "GITHUB_ACTIONS" {
			inActions = v == "true"
		}
	}
	slices.Sort(keys)
	var warnings []string
	for _, key := range keys {
		if w := inputWarning(key, set, inActions); w != "" {
			warnings = append(warnings, w)
		}
	}
	return warnings
}

func inputWarning(key string, set map[string]bool, inActions bool) string {
	for _, in := range Inputs {
		switch key {
		case InputKey(in.Name):
			return ""
		case UnderscoreKey(in.Name):
			switch {
			case inActions:
				return fmt.Sprintf("%s is not read under the runner: input %s is passed as %s (with: %s)", key, in.Name, InputKey(in.Name), in.Name)
			case set[InputKey(in.Name)]:
				return fmt.Sprintf("both %s and %s are set: %s is used", InputKey(in.Name), key, InputKey(in.Name))
			}
			return ""
		}
	}
	return fmt.Sprintf("%s names no input of the action: did you mean %s (%s)?", key, nearestInput(key), InputKey(nearestInput(key)))
}

// nearestInput is the input whose name is fewest edits from key's.
func nearestInput(key string) string {
	typed := strings.ToLower(strings.ReplaceAll(strings.TrimPrefix(key, "INPUT_"), "_", "-"))
	best, bestDist := "", -1
	for _, in := range Inputs {
		if d := levenshtein(typed, in.Name); bestDist < 0 || d < bestDist {
			best, bestDist = in.Name, d
		}
	}
	return best
}

// levenshtein is the edit distance between a and b, in bytes.
func levenshtein(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
