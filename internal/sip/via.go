package sip

// Via is one via-parm (RFC 3261 §20.42, §25.1) whose fields alias the
// parsed bytes.
type Via struct {
	Raw          []byte // the element, trimmed of LWS
	Proto        []byte // sent-protocol as written, LWS included: "SIP/2.0/UDP"
	ProtoName    []byte // "SIP"
	ProtoVersion []byte // "2.0"
	Transport    []byte // "UDP", "TCP", "TLS", "SCTP", "WS", "WSS" or any token
	SentBy       []byte // host [ COLON port ] as written
	Host         []byte // IPv6 references keep their brackets
	Port         int    // 0 when absent
	PortRaw      []byte // port digits as written, nil when absent
	Params       Params // via-params from the first ';'
}

func viaErr(reason string, off int) error { return badValue("Via", reason, off) }

// ParseVia parses exactly one via-parm:
// sent-protocol LWS sent-by *( SEMI via-params ), where SLASH, COLON and
// SEMI allow LWS around them (RFC 4475 §3.1.1.1). The protocol version is
// not checked here: a SIP/7.0 Via is the start line's 505 to give
// (RFC 4475 §3.1.2.16).
func ParseVia(b []byte) (Via, error) {
	v := Via{Raw: trimLWS(b)}
	base := offsetOf(b, v.Raw)
	if err := v.parse(); err != nil {
		return Via{}, shiftErr(err, base)
	}
	return v, nil
}

// parse reads v.Raw, recording each part as it goes.
func (v *Via) parse() error {
	i, err := v.parseProtocol()
	if err != nil {
		return err
	}
	if i == len(v.Raw) || !isLWS(v.Raw[i]) {
		return viaErr("missing sent-by", i)
	}
	if i, err = v.parseSentBy(skipLWSAt(v.Raw, i)); err != nil {
		return err
	}
	if i = skipLWSAt(v.Raw, i); i == len(v.Raw) {
		return nil
	}
	if v.Raw[i] != ';' {
		return viaErr("bad sent-by", i)
	}
	v.Params = v.Raw[i:]
	if off, reason := v.Params.firstBad(checkViaParam); reason != "" {
		return viaErr(reason, i+off)
	}
	return nil
}

// parseProtocol reads protocol-name SLASH protocol-version SLASH transport
// and returns the index after it.
func (v *Via) parseProtocol() (int, error) {
	s := v.Raw
	i := tokenEnd(s, 0)
	if v.ProtoName = s[:i]; i == 0 {
		return 0, viaErr("missing protocol", 0)
	}
	start, ok := afterSlash(s, i)
	if i = tokenEnd(s, start); !ok || i == start {
		return 0, viaErr("missing protocol version", start)
	}
	v.ProtoVersion = s[start:i]
	start, ok = afterSlash(s, i)
	if i = tokenEnd(s, start); !ok || i == start {
		return 0, viaErr("missing transport", start)
	}
	v.Transport = s[start:i]
	v.Proto = s[:i]
	return i, nil
}

// afterSlash skips SLASH = SWS "/" SWS at s[i:].
func afterSlash(s []byte, i int) (int, bool) {
	i = skipLWSAt(s, i)
	if i == len(s) || s[i] != '/' {
		return i, false
	}
	return skipLWSAt(s, i+1), true
}

// parseSentBy reads sent-by = host [ COLON port ] at s[i:].
func (v *Via) parseSentBy(i int) (int, error) {
	s := v.Raw
	start := i
	i += hostLen(s[i:])
	if v.Host = s[start:i]; !validHost(v.Host) {
		return 0, viaErr(hostportReason(s[start:], "bad host"), start)
	}
	v.SentBy = v.Host
	j := skipLWSAt(s, i)
	if j == len(s) || s[j] != ':' {
		return i, nil
	}
	j = skipLWSAt(s, j+1)
	k := j
	for k < len(s) && isDigit(s[k]) {
		k++
	}
	v.PortRaw = s[j:k]
	if v.Port = parsePort(v.PortRaw); v.Port == 0 {
		return 0, viaErr(hostportReason(s[start:], "bad port"), j)
	}
	v.SentBy = s[start:k]
	return k, nil
}

// checkViaParam adds the via-params rules of RFC 3261 §25.1 to those of
// generic-param: branch is a token, ttl 0..255, maddr a host, received an
// IP address, rport an optional port (RFC 3581 §3).
func checkViaParam(name, val []byte, eq bool) string {
	if r := checkGenericParam(name, val, eq); r != "" {
		return r
	}
	switch {
	case equalFold(name, "branch"):
		if !eq || !isTokenBytes(val) {
			return "bad branch"
		}
	case equalFold(name, "received"):
		if !eq || !validReceived(val) {
			return "bad received"
		}
	case equalFold(name, "rport"):
		if eq && parsePort(val) == 0 {
			return "bad rport"
		}
	case equalFold(name, "ttl"):
		if !eq || !validTTL(val) {
			return "bad ttl"
		}
	case equalFold(name, "maddr"):
		if !eq || !validHost(val) {
			return "bad maddr"
		}
	}
	return ""
}

// validReceived checks via-received = IPv4address / IPv6address. The
// bracketed form is not in that grammar but is common, and RFC 5118 §4.5
// asks implementations to accept it.
func validReceived(b []byte) bool {
	return validIPv4(b) || validIPv6(b) || validIPv6Ref(b)
}

// ParseViaList parses a comma-separated Via value and calls fn for each
// via-parm until fn returns false. Empty elements are errors
// (RFC 4475 §3.1.2.1).
func ParseViaList(b []byte, fn func(Via) bool) error {
	return eachElem(b, "Via", func(elem []byte) (bool, error) {
		v, err := ParseVia(elem)
		if err != nil {
			return false, err
		}
		return fn(v), nil
	})
}

// rebase points v's fields, which alias from, at the same offsets of to,
// a copy of from. It reports false, leaving v half moved, when a field is
// not a part of from.
func (v *Via) rebase(from, to []byte) bool {
	ok := true
	move := func(s []byte) []byte {
		if s == nil || !ok {
			return s
		}
		off := offsetOf(from, s)
		if off+len(s) > len(from) || len(to) != len(from) || (len(s) > 0 && &from[off] != &s[0]) {
			ok = false
			return s
		}
		return to[off : off+len(s)]
	}
	v.Raw, v.Proto, v.ProtoName, v.ProtoVersion = move(v.Raw), move(v.Proto), move(v.ProtoName), move(v.ProtoVersion)
	v.Transport, v.SentBy, v.Host, v.PortRaw = move(v.Transport), move(v.SentBy), move(v.Host), move(v.PortRaw)
	v.Params = move(v.Params)
	return ok
}

// Branch returns the branch parameter, or nil.
func (v *Via) Branch() []byte { b, _ := v.Params.Get("branch"); return b }

// Received returns the received parameter as written (brackets kept if
// the sender used them), or nil.
func (v *Via) Received() []byte { r, _ := v.Params.Get("received"); return r }

// Maddr returns the maddr parameter, or nil.
func (v *Via) Maddr() []byte { m, _ := v.Params.Get("maddr"); return m }

// RPort reports the rport parameter of RFC 3581: present with port 0 when
// the client asks for it (";rport"), or the port a server filled in.
func (v *Via) RPort() (port int, present bool) {
	r, ok := v.Params.Get("rport")
	if !ok {
		return 0, false
	}
	return parsePort(r), true
}

// TTL returns the ttl parameter.
func (v *Via) TTL() (ttl int, present bool) {
	t, ok := v.Params.Get("ttl")
	if !ok {
		return 0, false
	}
	n, _ := atoiBytes(t)
	return int(n), true
}

// magicCookie starts every branch made by an RFC 3261 element (§8.1.1.7).
const magicCookie = "z9hG4bK"

// IsRFC3261Branch reports whether the branch starts with the magic cookie
// and has something after it. The cookie alone identifies no transaction
// (RFC 4475 §3.2.1), so such a request is matched the RFC 2543 way.
func (v *Via) IsRFC3261Branch() bool { return IsRFC3261Branch(v.Branch()) }

// IsRFC3261Branch is Via.IsRFC3261Branch for a branch value already in
// hand.
func IsRFC3261Branch(b []byte) bool {
	return len(b) > len(magicCookie) && string(b[:len(magicCookie)]) == magicCookie
}
