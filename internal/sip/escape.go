package sip

import "bytes"

// unhex returns the value of a hex digit the caller has checked.
func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c >= 'a':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}

// Unescape appends src to dst with every %HH escape (RFC 3261 §25.1
// escaped) decoded exactly once: "%2541" gives "%41", never "A"
// (RFC 4475 §3.1.1.3), and "%00" gives a NUL byte, which must not shorten
// anything (RFC 4475 §3.1.1.4). A '%' without two hex digits is an error,
// and dst comes back as it was given.
func Unescape(dst, src []byte) ([]byte, error) {
	n := len(dst)
	for i := 0; i < len(src); i++ {
		c := src[i]
		if c == '%' {
			if i+2 >= len(src) || !isHex(src[i+1]) || !isHex(src[i+2]) {
				return dst[:n], badValue("escape", "bad escape", i)
			}
			c = unhex(src[i+1])<<4 | unhex(src[i+2])
			i += 2
		}
		dst = append(dst, c)
	}
	return dst, nil
}

// Unquote returns the inside of a quoted-string without its quotes, with
// quoted-pairs left as written; b comes back unchanged if it is not one
// well-formed quoted-string. Use UnquoteTo to resolve the quoted-pairs.
func Unquote(b []byte) []byte {
	if len(b) >= 2 && b[0] == '"' && quotedEnd(b, 0) == len(b) {
		return b[1 : len(b)-1]
	}
	return b
}

// UnquoteTo appends the text of the quoted-string b to dst, dropping the
// quotes and the '\' of each quoted-pair (RFC 3261 §25.1). Anything else
// is appended as it is.
func UnquoteTo(dst, b []byte) []byte {
	in := Unquote(b)
	if len(in) == len(b) {
		return append(dst, b...)
	}
	for i := 0; i < len(in); i++ {
		if in[i] == '\\' && i+1 < len(in) {
			i++
		}
		dst = append(dst, in[i])
	}
	return dst
}

// uriUnit reads one character of a URI component at b[i], decoding an
// escape, and returns it with the number of bytes it took. RFC 3261
// §19.1.4 makes an escape equal to the character it encodes except for
// reserved characters, so those come back marked with 0x100 to stay
// distinct from their literal form.
func uriUnit(b []byte, i int) (c int, n int) {
	if b[i] == '%' && i+2 < len(b) && isHex(b[i+1]) && isHex(b[i+2]) {
		v := unhex(b[i+1])<<4 | unhex(b[i+2])
		if uriClass[v]&uReserved != 0 {
			return 0x100 | int(v), 3
		}
		return int(v), 3
	}
	return int(b[i]), 1
}

// foldUnit folds a uriUnit to lower case.
func foldUnit(c int) int {
	if c < 0x100 {
		return int(lower(byte(c)))
	}
	return c
}

// escEqual compares two URI components with escapes decoded, and
// case-insensitively when fold is set.
func escEqual(a, b []byte, fold bool) bool {
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		ca, na := uriUnit(a, i)
		cb, nb := uriUnit(b, j)
		if fold {
			ca, cb = foldUnit(ca), foldUnit(cb)
		}
		if ca != cb {
			return false
		}
		i, j = i+na, j+nb
	}
	return i == len(a) && j == len(b)
}

// escEqualString compares a URI component with a plain lower-case name,
// escapes decoded, case-insensitively.
func escEqualString(b []byte, s string) bool {
	j := 0
	for i := 0; i < len(b); j++ {
		c, n := uriUnit(b, i)
		if j >= len(s) || foldUnit(c) != int(lower(s[j])) {
			return false
		}
		i += n
	}
	return j == len(s)
}

// URIEqual compares two URIs by the rules of RFC 3261 §19.1.4: sip never
// equals sips; user and password compare case-sensitively, the rest
// case-insensitively, all with escapes of unreserved characters decoded;
// a port, or a user, ttl, method, maddr or transport parameter, present in
// only one URI makes them differ; other parameters present in only one
// are ignored; headers must match as multisets. URIs of other schemes are
// equal when scheme and Opaque are.
func URIEqual(a, b *URI) bool {
	if !bytes.EqualFold(a.Scheme, b.Scheme) {
		return false
	}
	if !a.IsSIP() {
		return escEqual(a.Opaque, b.Opaque, false)
	}
	return escEqual(a.User, b.User, false) &&
		(a.Password == nil) == (b.Password == nil) &&
		escEqual(a.Password, b.Password, false) &&
		bytes.EqualFold(a.Host, b.Host) &&
		(a.PortRaw == nil) == (b.PortRaw == nil) && a.Port == b.Port &&
		paramsEqual(a.Params, b.Params) &&
		headersEqual(a.Headers, b.Headers)
}

// sticky names the uri-parameters that RFC 3261 §19.1.4 lets no URI omit
// when the other has them, because each has a default that changes where
// a request goes.
var sticky = [...]string{"user", "ttl", "method", "maddr", "transport"}

func isSticky(name []byte) bool {
	for _, s := range sticky {
		if escEqualString(name, s) {
			return true
		}
	}
	return false
}

// paramsEqual applies the uri-parameter rules of RFC 3261 §19.1.4.
func paramsEqual(a, b Params) bool {
	return paramsCover(a, b) && paramsCover(b, a)
}

// paramsCover reports whether every parameter of a that b also has (or
// must have, being sticky) has an equal value in b. A name given twice
// counts by its first occurrence, as Params.Get reads it.
func paramsCover(a, b Params) bool {
	for rest := []byte(a); rest != nil; {
		var elem []byte
		elem, rest = cutQuoted(rest, ';')
		name, val, _ := splitParam(elem)
		if len(name) == 0 || !isFirst(a, elem, name) {
			continue
		}
		_, other, ok := findEsc(b, name, ';')
		if !ok {
			if isSticky(name) {
				return false
			}
			continue
		}
		if !escEqual(val, other, true) || (val == nil) != (other == nil) {
			return false
		}
	}
	return true
}

// isFirst reports whether elem is the first element of list called name.
func isFirst(list Params, elem, name []byte) bool {
	first, _, _ := findEsc(list, name, ';')
	return &first[0] == &elem[0]
}

// findEsc returns the first element of list (split on sep) whose name
// equals name with escapes decoded, case-insensitively, and its value.
func findEsc(list []byte, name []byte, sep byte) (elem, val []byte, ok bool) {
	for rest := list; rest != nil; {
		elem, rest = cutQuoted(rest, sep)
		if n, v, _ := splitParam(elem); len(n) > 0 && escEqual(n, name, true) {
			return elem, v, true
		}
	}
	return nil, nil, false
}

// headersEqual requires the same headers in both URIs, in any order
// (RFC 3261 §19.1.4: header components are never ignored). Headers are
// compared as multisets, since a name may repeat.
func headersEqual(a, b []byte) bool {
	if (a == nil) != (b == nil) {
		return false
	}
	for rest := a; rest != nil; {
		var elem []byte
		elem, rest = cutQuoted(rest, '&')
		if countHeader(a, elem) != countHeader(b, elem) {
			return false
		}
	}
	return countHeaders(a) == countHeaders(b)
}

// countHeader counts the headers of list equal to h, name and value.
func countHeader(list, h []byte) int {
	name, val, _ := splitParam(h)
	n := 0
	for rest := list; rest != nil; {
		var elem []byte
		elem, rest = cutQuoted(rest, '&')
		if en, ev, _ := splitParam(elem); escEqual(en, name, true) && escEqual(ev, val, true) {
			n++
		}
	}
	return n
}

func countHeaders(list []byte) int { return bytes.Count(list, []byte("&")) + 1 }
