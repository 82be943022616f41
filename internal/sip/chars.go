package sip

// Character classes of the RFC 3261 §25.1 grammar, as 256-entry tables so
// the hot loops of the parsers cost one load per byte.

const (
	cToken uint8 = 1 << iota // token: alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~"
	cWS                      // SP / HTAB
	cLWS                     // SP / HTAB / CR / LF (folded header values keep their CRLF)
	cDigit                   // 0-9
	cAlpha                   // a-z A-Z
	cHex                     // 0-9 a-f A-F
)

var charClass = func() (t [256]uint8) {
	for c := 'a'; c <= 'z'; c++ {
		t[c] |= cToken | cAlpha
	}
	for c := 'A'; c <= 'Z'; c++ {
		t[c] |= cToken | cAlpha
	}
	for c := '0'; c <= '9'; c++ {
		t[c] |= cToken | cDigit | cHex
	}
	for _, c := range "abcdefABCDEF" {
		t[c] |= cHex
	}
	for _, c := range "-.!%*_+`'~" {
		t[c] |= cToken
	}
	t[' '] |= cWS | cLWS
	t['\t'] |= cWS | cLWS
	t['\r'] |= cLWS
	t['\n'] |= cLWS
	return t
}()

func isToken(c byte) bool { return charClass[c]&cToken != 0 }
func isWS(c byte) bool    { return charClass[c]&cWS != 0 }
func isLWS(c byte) bool   { return charClass[c]&cLWS != 0 }
func isDigit(c byte) bool { return charClass[c]&cDigit != 0 }
func isAlpha(c byte) bool { return charClass[c]&cAlpha != 0 }
func isHex(c byte) bool   { return charClass[c]&cHex != 0 }

// isTokenBytes reports whether b is a non-empty token.
func isTokenBytes(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	for _, c := range b {
		if !isToken(c) {
			return false
		}
	}
	return true
}

// trimLWS strips linear white space (including the CRLF of folded lines)
// from both ends of b.
func trimLWS(b []byte) []byte {
	i, j := 0, len(b)
	for i < j && isLWS(b[i]) {
		i++
	}
	for j > i && isLWS(b[j-1]) {
		j--
	}
	return b[i:j]
}

// lower folds an ASCII letter to lower case.
func lower(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// equalFold compares b with s, ASCII case-insensitively, without allocating.
func equalFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := 0; i < len(b); i++ {
		if lower(b[i]) != lower(s[i]) {
			return false
		}
	}
	return true
}

// atoiBytes parses a non-empty run of decimal digits that fits in 32 bits.
// ok is false on an empty input, a non-digit or an overflow (RFC 4475
// §3.1.2.4: overlarge values are errors, never wrapped).
func atoiBytes(b []byte) (n uint32, ok bool) {
	if len(b) == 0 {
		return 0, false
	}
	for len(b) > 1 && b[0] == '0' { // RFC 4475 §3.1.1.1: leading zeros are legal
		b = b[1:]
	}
	if len(b) > 10 {
		return 0, false
	}
	var v uint64
	for _, c := range b {
		if !isDigit(c) {
			return 0, false
		}
		v = v*10 + uint64(c-'0')
	}
	if v > 1<<32-1 {
		return 0, false
	}
	return uint32(v), true
}
