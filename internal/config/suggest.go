package config

import (
	"fmt"
	"strings"
)

// suggest ends an "unknown key" message with the key the user probably
// meant, or else with the keys that are allowed there.
func suggest(key string, fields []field) string {
	// A third of the key's letters changed, or one for short keys, still
	// reads as a typo; more is a different word.
	best, bestDist := "", max(1, len(key)/3)+1
	keys := make([]string, len(fields))
	for i, f := range fields {
		keys[i] = f.key
		if d := editDistance(key, f.key); d < bestDist {
			best, bestDist = f.key, d
		}
	}
	switch {
	case best != "":
		return fmt.Sprintf(" (did you mean %s?)", best)
	case len(keys) > 0:
		return fmt.Sprintf(" (known keys: %s)", strings.Join(keys, ", "))
	default:
		return ""
	}
}

// editDistance is the Levenshtein distance between a and b, in bytes.
func editDistance(a, b string) int {
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
