package sip

import "bytes"

// ParseError reports a header value or URI that does not follow its
// grammar. What and Reason are short ASCII, so Error() can serve as the
// reason phrase of a 400 response (RFC 3261 §21.4.1).
type ParseError struct {
	What   string // the element being parsed: "URI", "Via", "name-addr", ...
	Reason string // what is wrong, e.g. "missing transport"
	Off    int    // offset in the parsed input where the problem was found
}

func (e *ParseError) Error() string { return "bad " + e.What + ": " + e.Reason }

// badValue builds a *ParseError. Only failure paths call it, so a
// successful parse never allocates.
func badValue(what, reason string, off int) error {
	return &ParseError{What: what, Reason: reason, Off: off}
}

// shiftErr re-bases the offset of a *ParseError found in a part of a
// larger input, so it counts from the start of that input.
func shiftErr(err error, by int) error {
	if pe, ok := err.(*ParseError); ok {
		pe.Off += by
	}
	return err
}

// offsetOf returns where sub starts inside b. Every field this package
// returns is a plain re-slice of its input, so sub and b share the end of
// their capacity and the difference of the capacities is the offset.
func offsetOf(b, sub []byte) int {
	if off := cap(b) - cap(sub); off >= 0 && off <= len(b) {
		return off
	}
	return len(b)
}

// skipLWSAt returns the index of the first non-LWS byte of b at or after i.
func skipLWSAt(b []byte, i int) int {
	for i < len(b) && isLWS(b[i]) {
		i++
	}
	return i
}

// tokenEnd returns the end of the run of token characters starting at i.
func tokenEnd(b []byte, i int) int {
	for i < len(b) && isToken(b[i]) {
		i++
	}
	return i
}

// quotedEnd returns the index just past the quoted-string that starts with
// the '"' at b[i], or -1 when it is unterminated or holds a byte that
// RFC 3261 §25.1 qdtext and quoted-pair exclude (controls other than LWS;
// CR and LF only as folding). Bytes >= 0x80 pass unchecked as UTF8-NONASCII.
func quotedEnd(b []byte, i int) int {
	for j := i + 1; j < len(b); j++ {
		c := b[j]
		switch {
		case c == '"':
			return j + 1
		case c == '\\':
			j++ // quoted-pair = "\" (%x00-09 / %x0B-0C / %x0E-7F)
			if j >= len(b) || b[j] == '\r' || b[j] == '\n' || b[j] >= 0x80 {
				return -1
			}
		case (c < 0x20 && !isLWS(c)) || c == 0x7f:
			return -1
		}
	}
	return -1
}

// cutQuoted splits b at the first sep outside a quoted-string. rest is nil
// when there is no sep, so "a;" (rest empty) and "a" (rest nil) differ.
// An unterminated quoted-string runs to the end of b.
func cutQuoted(b []byte, sep byte) (elem, rest []byte) {
	for i := 0; ; {
		end := len(b)
		if k := bytes.IndexByte(b[i:], sep); k >= 0 {
			end = i + k
		}
		q := bytes.IndexByte(b[i:end], '"')
		if q < 0 {
			if end == len(b) {
				return b, nil
			}
			return b[:end], b[end+1:]
		}
		if i = quotedEnd(b, i+q); i < 0 {
			return b, nil
		}
	}
}

// splitParam splits one generic-param into its name and value, dropping the
// LWS that RFC 3261 §25.1 EQUAL (SWS "=" SWS) allows around '='.
func splitParam(elem []byte) (name, val []byte, eq bool) {
	elem = trimLWS(elem)
	i := bytes.IndexByte(elem, '=')
	if i < 0 {
		return elem, nil, false
	}
	return trimLWS(elem[:i]), trimLWS(elem[i+1:]), true
}

// Params is a raw generic-param list as on the wire (RFC 3261 §25.1:
// uri-parameters, via-params, contact-params, from-param, ...), for
// example ";lr;transport=tcp". The parsers of this package store it from
// its leading ';' on, with any LWS the sender put around ';' and '='; the
// methods accept it with or without that leading ';'. Lookups are lazy and
// compare names ASCII case-insensitively as written (RFC 3261 §7.3.1).
// Values come back raw: a quoted-string keeps its quotes (see Unquote).
type Params []byte

// Get returns the value of the first parameter called name. A parameter
// present without "=value" (a flag such as ";lr") gives ok with a nil val.
func (p Params) Get(name string) (val []byte, ok bool) {
	for rest := []byte(p); rest != nil; {
		var elem []byte
		elem, rest = cutQuoted(rest, ';')
		n, v, _ := splitParam(elem)
		if len(n) > 0 && equalFold(n, name) {
			return v, true
		}
	}
	return nil, false
}

// Has reports whether a parameter called name is present.
func (p Params) Has(name string) bool {
	_, ok := p.Get(name)
	return ok
}

// Each calls fn for every non-empty parameter in order until fn returns
// false. val is nil for a flag parameter.
func (p Params) Each(fn func(name, val []byte) bool) {
	for rest := []byte(p); rest != nil; {
		var elem []byte
		elem, rest = cutQuoted(rest, ';')
		if n, v, _ := splitParam(elem); len(n) > 0 || v != nil {
			if !fn(n, v) {
				return
			}
		}
	}
}

// Valid reports whether p is a well-formed *(SEMI generic-param) list
// (RFC 3261 §25.1), the leading ';' being optional.
func (p Params) Valid() bool {
	_, reason := p.firstBad(checkGenericParam)
	return reason == ""
}

// paramCheck inspects one parameter and returns why it is wrong, or "".
type paramCheck func(name, val []byte, eq bool) string

// firstBad walks p and returns the offset and reason of the first bad
// element. Only the element before the first ';' may be empty (that is
// the optional leading ';'); ";;" and a trailing ';' are errors
// (RFC 4475 §3.1.2.1).
func (p Params) firstBad(check paramCheck) (off int, reason string) {
	for rest, first := []byte(p), true; rest != nil; first = false {
		var elem []byte
		elem, rest = cutQuoted(rest, ';')
		if first && len(trimLWS(elem)) == 0 {
			continue
		}
		name, val, eq := splitParam(elem)
		if r := check(name, val, eq); r != "" {
			return offsetOf(p, trimLWS(elem)), r
		}
	}
	return 0, ""
}

// checkGenericParam applies RFC 3261 §25.1
// generic-param = token [ EQUAL gen-value ], gen-value = token / host /
// quoted-string. A bare IPv6 address is accepted too, since Via's
// received= is an IPv6address without brackets (RFC 5118 §4.5).
func checkGenericParam(name, val []byte, eq bool) string {
	switch {
	case len(name) == 0 && !eq:
		return "empty parameter"
	case !isTokenBytes(name):
		return "bad parameter name"
	case eq && !validGenValue(val):
		return "bad parameter value"
	}
	return ""
}

func validGenValue(v []byte) bool {
	switch {
	case len(v) == 0:
		return false
	case v[0] == '"':
		return quotedEnd(v, 0) == len(v)
	case isTokenBytes(v):
		return true // hostnames and IPv4 addresses are tokens too
	case v[0] == '[':
		return validIPv6Ref(v)
	}
	return validIPv6(v)
}
