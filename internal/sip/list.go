package sip

// NextElem cuts the first element off a comma-separated header value
// (RFC 3261 §7.3.1: Contact, Route, Record-Route, Path, Via, Supported...).
// A ',' inside a quoted-string, inside <...> (a URI's user part may hold
// commas, RFC 4475 §3.1.1.2) or inside [...] does not separate.
//
// elem is trimmed of LWS and may be empty (",," or a trailing ','), so the
// caller decides whether its grammar allows that; RFC 3261's own lists
// (x *(COMMA x)) do not. rest is what follows the comma, or nil when there
// was none, which ends the list:
//
//	for rest := v; rest != nil; {
//		var elem []byte
//		elem, rest = NextElem(rest)
//		...
//	}
func NextElem(b []byte) (elem, rest []byte) {
	for i := 0; i < len(b); i++ {
		var j int
		switch b[i] {
		case ',':
			return trimLWS(b[:i]), b[i+1:]
		case '"':
			j = quotedEnd(b, i)
		case '<':
			j = closeAt(b, i, '>')
		case '[':
			j = closeAt(b, i, ']')
		default:
			continue
		}
		if j < 0 {
			break // unterminated: the rest is one element, for its parser to reject
		}
		i = j - 1
	}
	return trimLWS(b), nil
}

// closeAt returns the index past the first c after b[i], or -1.
func closeAt(b []byte, i int, c byte) int {
	for j := i + 1; j < len(b); j++ {
		if b[j] == c {
			return j + 1
		}
	}
	return -1
}

// eachElem walks the list b with NextElem and hands every element and its
// offset in b to parse, stopping at the first error or when parse returns
// false. Empty elements and an empty list are errors (RFC 4475 §3.1.2.1).
func eachElem(b []byte, what string, parse func(elem []byte) (bool, error)) error {
	for rest := b; rest != nil; {
		var elem []byte
		elem, rest = NextElem(rest)
		off := offsetOf(b, elem)
		if len(elem) == 0 {
			return badValue(what, "empty list element", off)
		}
		more, err := parse(elem)
		if err != nil {
			return shiftErr(err, off)
		}
		if !more {
			return nil
		}
	}
	return nil
}
