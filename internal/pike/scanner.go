package pike

import (
	"errors"
	"fmt"
)

// DefaultScanners are User-Agent fragments of SIP scanners and
// toll-fraud tools. sipsak is not among them: operators use it to test.
func DefaultScanners() []string {
	return []string{
		"friendly-scanner", // SIPVicious's default
		"sipcli",
		"VaxSIPUserAgent",
		"sipvicious",
		"iWar",
		"sundayddr",
		"SIPScan",
	}
}

// Scanners matches User-Agent values against fragments, ignoring ASCII
// case. A nil *Scanners matches nothing. It is read-only after
// NewScanners, so safe for concurrent use.
type Scanners struct {
	frags [][]byte // lower-cased
	// byFirst lists, for each lower-cased byte, the fragments starting
	// with it, so IsScanner reads the User-Agent once instead of once per
	// fragment.
	byFirst [256][]int
	// starts marks the bytes, in either case, that begin a fragment: a
	// table small enough to stay in L1 for the common byte, one that
	// begins none.
	starts [256]bool
}

// NewScanners builds a matcher for the given fragments.
func NewScanners(fragments []string) (*Scanners, error) {
	s := &Scanners{}
	var errs []error
	for _, f := range fragments {
		if f == "" {
			errs = append(errs, errors.New("empty scanner fragment would match every User-Agent"))
			continue
		}
		lf := lowerASCII(f)
		s.byFirst[lf[0]] = append(s.byFirst[lf[0]], len(s.frags))
		s.starts[lf[0]] = true
		s.starts[toUpper(lf[0])] = true
		s.frags = append(s.frags, lf)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("scanner list: %w", err)
	}
	return s, nil
}

// IsScanner reports whether userAgent contains one of the fragments. It
// does not allocate.
func (s *Scanners) IsScanner(userAgent []byte) bool {
	if s == nil {
		return false
	}
	for i, c := range userAgent {
		if !s.starts[c] {
			continue
		}
		for _, fi := range s.byFirst[toLower(c)] {
			if hasPrefixFold(userAgent[i:], s.frags[fi]) {
				return true
			}
		}
	}
	return false
}

// hasPrefixFold reports whether s starts with lowerPrefix, comparing ASCII
// letters case-insensitively; bytes.Contains would need a lower-cased copy
// of the User-Agent, an allocation per request.

func hasPrefixFold(s, lowerPrefix []byte) bool {
	if len(s) < len(lowerPrefix) {
		return false
	}
	for j, c := range lowerPrefix {
		if toLower(s[j]) != c {
			return false
		}
	}
	return true
}

func toLower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

func toUpper(c byte) byte {
	if 'a' <= c && c <= 'z' {
		return c - ('a' - 'A')
	}
	return c
}

func lowerASCII(s string) []byte {
	b := []byte(s)
	for i, c := range b {
		b[i] = toLower(c)
	}
	return b
}
