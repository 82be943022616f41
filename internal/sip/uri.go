package sip

import "bytes"

// URI is a parsed URI whose fields alias the parsed bytes. SIP and SIPS
// URIs (RFC 3261 §19.1, §25.1) are split into their parts; any other
// absoluteURI (tel of RFC 3966, http, RFC 4475's soap.beep or unknown
// schemes) keeps everything after "scheme:" in Opaque.
type URI struct {
	Raw      []byte // the whole URI
	Scheme   []byte // as written: "sip", "SIPS", "tel", "soap.beep", ...
	User     []byte // escapes kept; may hold ';' (RFC 4475 §3.1.1.9)
	Password []byte // nil when absent
	Host     []byte // hostname, IPv4 address or IPv6 reference with brackets
	Port     int    // 0 when absent
	PortRaw  []byte // port digits as written, nil when absent
	Params   Params // uri-parameters from the first ';', nil when none
	Headers  []byte // after '?', raw, nil when absent
	Opaque   []byte // non-SIP schemes: everything after "scheme:"
}

// Character classes of the RFC 3261 §25.1 URI grammar. '%' is in none of
// them: escaped = "%" HEXDIG HEXDIG is checked where it occurs.
const (
	uUser     uint8 = 1 << iota // unreserved / user-unreserved
	uPassword                   // unreserved / "&" / "=" / "+" / "$" / ","
	uParam                      // paramchar: unreserved / param-unreserved
	uHeader                     // unreserved / hnv-unreserved
	uOpaque                     // uric of absoluteURI, plus "[" "]" for IPv6 hosts
	uHost                       // hostname: alphanum / "-" / "." (and "_")
	uReserved                   // reserved: escaping it changes meaning (§19.1.4)
)

var uriClass = func() (t [256]uint8) {
	set := func(chars string, bits uint8) {
		for i := 0; i < len(chars); i++ {
			t[chars[i]] |= bits
		}
	}
	const alnum = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	all := uUser | uPassword | uParam | uHeader | uOpaque
	set(alnum, all|uHost)
	set("-_.!~*'()", all) // mark
	set("-._", uHost)     // "_" is liberal: see validHostname
	set("&=+$,;?/", uUser)
	set("&=+$,", uPassword)
	set("[]/:&+$", uParam)
	set("[]/?:+$", uHeader)
	set(";/?:@&=+$,[]", uOpaque)
	set(";/?:@&=+$,", uReserved)
	return t
}()

// badURIChar returns the index of the first byte of b outside class that
// is not part of a well-formed escape, or -1.
func badURIChar(b []byte, class uint8) int {
	for i := 0; i < len(b); i++ {
		if uriClass[b[i]]&class != 0 {
			continue
		}
		if b[i] == '%' && i+2 < len(b) && isHex(b[i+1]) && isHex(b[i+2]) {
			i += 2
			continue
		}
		return i
	}
	return -1
}

func uriErr(reason string, off int) error { return badValue("URI", reason, off) }

// ParseURI parses one URI with nothing around it: no LWS, no <>
// (RFC 4475 §3.1.2.7, §3.1.2.8 are errors here).
func ParseURI(b []byte) (URI, error) {
	n := schemeLen(b)
	if n == 0 || n >= len(b) || b[n] != ':' {
		return URI{}, uriErr("bad scheme", n)
	}
	u := URI{Raw: b, Scheme: b[:n]}
	var err error
	if isSIPScheme(u.Scheme) {
		err = u.parseSIP(b[n+1:])
	} else {
		err = u.parseOpaque(b[n+1:])
	}
	if err != nil {
		return URI{}, shiftErr(err, n+1)
	}
	return u, nil
}

// ParseRequestURI parses a Request-URI: a URI as ParseURI, and for SIP
// and SIPS no headers component, which RFC 3261 §19.1.1 (Table 1) does
// not allow there. RFC 4475 §3.1.2.11 lets an element reject it with 400,
// which is safer than dropping or acting on escaped headers.
func ParseRequestURI(b []byte) (URI, error) {
	u, err := ParseURI(b)
	if err == nil && u.Headers != nil && u.IsSIP() {
		return URI{}, uriErr("headers in Request-URI", len(b)-len(u.Headers)-1)
	}
	return u, err
}

// schemeLen returns the length of the scheme at the start of b:
// ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) (RFC 3261 §25.1).
func schemeLen(b []byte) int {
	if len(b) == 0 || !isAlpha(b[0]) {
		return 0
	}
	i := 1
	for i < len(b) && (isAlpha(b[i]) || isDigit(b[i]) || b[i] == '+' || b[i] == '-' || b[i] == '.') {
		i++
	}
	return i
}

func isSIPScheme(s []byte) bool { return equalFold(s, "sip") || equalFold(s, "sips") }

// parseOpaque keeps a non-SIP URI whole: RFC 3261 asks a SIP element only
// to carry such URIs and to answer 416 where it cannot use one (§8.2.2.1).
func (u *URI) parseOpaque(b []byte) error {
	if len(b) == 0 {
		return uriErr("empty URI", 0)
	}
	if i := badURIChar(b, uOpaque); i >= 0 {
		return uriErr("bad character", i)
	}
	u.Opaque = b
	return nil
}

// parseSIP parses what follows "sip:": [ userinfo "@" ] hostport
// uri-parameters [ headers ]. No part after userinfo may hold an '@', so
// the first '@' ends userinfo even when the user holds ';', '?' or ','
// (RFC 4475 §3.1.1.2, §3.1.1.9).
func (u *URI) parseSIP(b []byte) error {
	off := 0
	if at := bytes.IndexByte(b, '@'); at >= 0 {
		if err := u.parseUserinfo(b[:at]); err != nil {
			return err
		}
		off = at + 1
	}
	if err := u.parseHostPort(b[off:]); err != nil {
		return shiftErr(err, off)
	}
	return nil
}

// parseUserinfo splits user [ ":" password ] at the first ':', which the
// user part cannot hold (RFC 3261 §25.1 user-unreserved has no ':').
func (u *URI) parseUserinfo(ui []byte) error {
	user := ui
	if c := bytes.IndexByte(ui, ':'); c >= 0 {
		user, u.Password = ui[:c], ui[c+1:]
		if i := badURIChar(u.Password, uPassword); i >= 0 {
			return uriErr("bad password", c+1+i)
		}
	}
	if len(user) == 0 {
		return uriErr("empty user", 0)
	}
	if i := badURIChar(user, uUser); i >= 0 {
		return uriErr("bad user", i)
	}
	u.User = user
	return nil
}

// parseHostPort parses hostport uri-parameters [ headers ].
func (u *URI) parseHostPort(b []byte) error {
	i := hostLen(b)
	u.Host = b[:i]
	if !validHost(u.Host) {
		return uriErr(hostportReason(b, "bad host"), 0)
	}
	if i < len(b) && b[i] == ':' {
		j := i + 1
		for j < len(b) && isDigit(b[j]) {
			j++
		}
		u.PortRaw = b[i+1 : j]
		if u.Port = parsePort(u.PortRaw); u.Port == 0 {
			return uriErr(hostportReason(b, "bad port"), i+1)
		}
		i = j
	}
	if i < len(b) && b[i] == ';' {
		j := len(b)
		if q := bytes.IndexByte(b[i:], '?'); q >= 0 {
			j = i + q
		}
		u.Params = b[i:j]
		if k, reason := badURIParams(u.Params); reason != "" {
			return uriErr(reason, i+k)
		}
		i = j
	}
	if i < len(b) && b[i] == '?' {
		u.Headers = b[i+1:]
		if k := badURIHeaders(u.Headers); k >= 0 {
			return uriErr("bad headers", i+1+k)
		}
		i = len(b)
	}
	if i < len(b) {
		return uriErr("bad character", i)
	}
	return nil
}

// badURIParams checks uri-parameters = *( ";" uri-parameter ), p starting
// with ';', and returns the offset and reason of the first bad one.
// pname and pvalue are 1*paramchar; maddr and ttl, which steer routing
// (RFC 3261 §16.5, §19.1.1), must also be a host and 0..255.
func badURIParams(p []byte) (int, string) {
	for i := 0; i < len(p); {
		i++ // the ';'
		end := len(p)
		if k := bytes.IndexByte(p[i:], ';'); k >= 0 {
			end = i + k
		}
		if r := checkURIParam(p[i:end]); r != "" {
			return i, r
		}
		i = end
	}
	return 0, ""
}

// checkURIParam checks one uri-parameter = pname [ "=" pvalue ] and
// returns why it is wrong, or "".
func checkURIParam(elem []byte) string {
	name, val, eq := elem, []byte(nil), false
	if k := bytes.IndexByte(elem, '='); k >= 0 {
		name, val, eq = elem[:k], elem[k+1:], true
	}
	switch {
	case len(name) == 0 || badURIChar(name, uParam) >= 0:
		return "bad parameter"
	case !eq:
		return ""
	case len(val) == 0 || badURIChar(val, uParam) >= 0:
		return "bad parameter value"
	case escEqualString(name, "maddr") && !validHost(val):
		return "bad maddr"
	case escEqualString(name, "ttl") && !validTTL(val):
		return "bad ttl"
	}
	return ""
}

// validTTL checks ttl = 1*3DIGIT in 0..255 (RFC 3261 §25.1).
func validTTL(b []byte) bool {
	n, ok := atoiBytes(b)
	return ok && len(b) <= 3 && n <= 255
}

// badURIHeaders checks headers = header *( "&" header ) with
// header = hname "=" hvalue (the '?' already removed) and returns the
// offset of the first bad byte, or -1.
func badURIHeaders(h []byte) int {
	for i := 0; ; {
		end := len(h)
		if k := bytes.IndexByte(h[i:], '&'); k >= 0 {
			end = i + k
		}
		hdr := h[i:end]
		k := bytes.IndexByte(hdr, '=')
		if k <= 0 {
			return i
		}
		if j := badURIChar(hdr[:k], uHeader); j >= 0 {
			return i + j
		}
		if j := badURIChar(hdr[k+1:], uHeader); j >= 0 {
			return i + k + 1 + j
		}
		if end == len(h) {
			return -1
		}
		i = end + 1
	}
}

// IsSIP reports whether the scheme is sip or sips, in any case.
func (u *URI) IsSIP() bool { return isSIPScheme(u.Scheme) }

// IsSecure reports whether the scheme is sips (RFC 3261 §19.1).
func (u *URI) IsSecure() bool { return equalFold(u.Scheme, "sips") }

// IsTel reports whether the scheme is tel (RFC 3966).
func (u *URI) IsTel() bool { return equalFold(u.Scheme, "tel") }

// Param returns the uri-parameter called name. Names match
// case-insensitively and with escapes decoded, since RFC 3261 §19.1.4
// makes ";%6C%72" the same parameter as ";lr" (RFC 4475 §3.1.1.3).
// The value is raw: escapes kept.
func (u *URI) Param(name string) ([]byte, bool) {
	for rest := []byte(u.Params); rest != nil; {
		var elem []byte
		elem, rest = cutQuoted(rest, ';')
		n, v, _ := splitParam(elem)
		if len(n) > 0 && escEqualString(n, name) {
			return v, true
		}
	}
	return nil, false
}

// Transport returns the transport parameter, or nil.
func (u *URI) Transport() []byte { v, _ := u.Param("transport"); return v }

// LR reports whether the URI carries lr, the loose-routing mark of
// RFC 3261 §19.1.1 and §16.4.
func (u *URI) LR() bool { _, ok := u.Param("lr"); return ok }

// Maddr returns the maddr parameter, or nil.
func (u *URI) Maddr() []byte { v, _ := u.Param("maddr"); return v }

// UserParam returns the user parameter ("phone", "ip", ...), or nil.
func (u *URI) UserParam() []byte { v, _ := u.Param("user"); return v }

// HostPort returns host[:port] as written.
func (u *URI) HostPort() []byte {
	if len(u.PortRaw) == 0 {
		return u.Host
	}
	n := len(u.Host) + 1 + len(u.PortRaw)
	if cap(u.Host) < n {
		return u.Host
	}
	if hp := u.Host[:n]; &hp[n-len(u.PortRaw)] == &u.PortRaw[0] {
		return hp
	}
	return u.Host // not a URI this package parsed
}

// AppendTo appends the URI as received.
func (u *URI) AppendTo(dst []byte) []byte { return append(dst, u.Raw...) }

// String returns the URI as received.
func (u *URI) String() string { return string(u.Raw) }
