package sip

// Auth is the value of an Authorization, Proxy-Authorization,
// WWW-Authenticate or Proxy-Authenticate header (RFC 3261 §20.7, §20.27,
// §20.28, §20.44; RFC 7616): a scheme and its comma-separated parameters.
// Its fields alias the parsed bytes.
type Auth struct {
	Raw     []byte // the value, trimmed of LWS
	Scheme  []byte // "Digest", or any other auth-scheme token
	Params  AuthParams
	Token68 []byte // the single token68 some non-Digest schemes send instead of params (RFC 7235 §2.1)
}

// AuthParams is a raw list of auth-param = name EQUAL ( token /
// quoted-string ), separated by COMMA.
type AuthParams []byte

func authErr(reason string, off int) error { return badValue("auth", reason, off) }

// ParseAuth parses credentials or a challenge. Any scheme parses, so an
// element can pass on or challenge credentials it does not understand
// (RFC 4475 §3.3.7).
func ParseAuth(b []byte) (Auth, error) {
	a := Auth{Raw: trimLWS(b)}
	base := offsetOf(b, a.Raw)
	s := a.Raw
	i := tokenEnd(s, 0)
	if i == 0 {
		return Auth{}, authErr("missing scheme", base)
	}
	a.Scheme = s[:i]
	if i == len(s) {
		return a, nil
	}
	if !isLWS(s[i]) {
		return Auth{}, authErr("bad scheme", base+i)
	}
	rest := trimLWS(s[i:])
	if !a.IsDigest() && isToken68(rest) { // Digest sends auth-params only (RFC 7616 §3.3, §3.4)
		a.Token68 = rest
		return a, nil
	}
	a.Params = AuthParams(rest)
	if off, reason := a.Params.firstBad(); reason != "" {
		return Auth{}, authErr(reason, base+offsetOf(s, rest)+off)
	}
	return a, nil
}

// IsDigest reports whether the scheme is Digest (case-insensitive,
// RFC 7616 §3.3).
func (a *Auth) IsDigest() bool { return equalFold(a.Scheme, "Digest") }

// isToken68 checks token68 = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" /
// "+" / "/" ) *"=" (RFC 7235 §2.1).
func isToken68(b []byte) bool {
	i := 0
	for i < len(b) && (isAlpha(b[i]) || isDigit(b[i]) || isToken68Mark(b[i])) {
		i++
	}
	if i == 0 {
		return false
	}
	for i < len(b) && b[i] == '=' {
		i++
	}
	return i == len(b)
}

func isToken68Mark(c byte) bool {
	return c == '-' || c == '.' || c == '_' || c == '~' || c == '+' || c == '/'
}

// firstBad returns the offset and reason of the first malformed element.
// RFC 3261 §25.1 lists have no empty elements.
func (a AuthParams) firstBad() (int, string) {
	for rest := []byte(a); rest != nil; {
		var elem []byte
		elem, rest = cutQuoted(rest, ',')
		off := offsetOf(a, trimLWS(elem))
		name, val, eq := splitParam(elem)
		switch {
		case len(name) == 0 && !eq:
			return off, "empty parameter"
		case !isTokenBytes(name):
			return off, "bad parameter name"
		case !eq:
			return off, "missing ="
		case len(val) == 0 || (val[0] == '"' && quotedEnd(val, 0) != len(val)):
			return off, "bad parameter value"
		case val[0] != '"' && !isTokenBytes(val):
			return off, "bad parameter value"
		}
	}
	return 0, ""
}

// Get returns the value of the first parameter called name (compared
// case-insensitively), without its quotes but with any quoted-pair left as
// written; UnquoteTo resolves those into a caller buffer.
func (a AuthParams) Get(name string) ([]byte, bool) {
	for rest := []byte(a); rest != nil; {
		var elem []byte
		elem, rest = cutQuoted(rest, ',')
		if n, v, _ := splitParam(elem); len(n) > 0 && equalFold(n, name) {
			return Unquote(v), true
		}
	}
	return nil, false
}

// Each calls fn with every parameter, values unquoted as by Get, until fn
// returns false.
func (a AuthParams) Each(fn func(name, val []byte) bool) {
	for rest := []byte(a); rest != nil; {
		var elem []byte
		elem, rest = cutQuoted(rest, ',')
		if n, v, _ := splitParam(elem); len(n) > 0 && !fn(n, Unquote(v)) {
			return
		}
	}
}
