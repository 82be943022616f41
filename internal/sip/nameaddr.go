package sip

import "bytes"

// NameAddr is one name-addr or addr-spec with its header parameters, as in
// From, To, Contact, Route, Record-Route, Path, Refer-To (RFC 3261 §20,
// §25.1). Its fields alias the parsed bytes.
type NameAddr struct {
	Raw     []byte // the element, trimmed of LWS
	Display []byte // as written, quotes included, trimmed; nil if none
	URI     URI
	Params  Params // header parameters from the first ';' (tag, expires, q, ...)
	Star    bool   // the "*" of a Contact that removes every binding
}

func naErr(reason string, off int) error { return badValue("name-addr", reason, off) }

// ParseNameAddr parses exactly one element: name-addr or addr-spec
// followed by *( SEMI generic-param ), or "*" (RFC 3261 §20.10). Without
// <>, every ';' starts a header parameter, so a URI holding ',', '?' or
// ';' must be in <> (RFC 4475 §3.1.2.13).
func ParseNameAddr(b []byte) (NameAddr, error) {
	n := NameAddr{Raw: trimLWS(b)}
	base := offsetOf(b, n.Raw)
	if len(n.Raw) == 0 {
		return NameAddr{}, naErr("empty", base)
	}
	if len(n.Raw) == 1 && n.Raw[0] == '*' {
		n.Star = true
		return n, nil
	}
	lt, err := findLAQUOT(n.Raw)
	if err == nil {
		if lt < 0 {
			err = n.parseAddrSpec()
		} else {
			err = n.parseNameAddr(lt)
		}
	}
	if err != nil {
		return NameAddr{}, shiftErr(err, base)
	}
	return n, nil
}

// findLAQUOT returns the index of the '<' that opens a name-addr, or -1
// for an addr-spec. A '<' inside a quoted display name or a quoted
// parameter value does not count.
func findLAQUOT(v []byte) (int, error) {
	for i := 0; i < len(v); i++ {
		switch v[i] {
		case '<':
			return i, nil
		case '"':
			j := quotedEnd(v, i)
			if j < 0 {
				return 0, naErr("unterminated quoted string", i) // RFC 4475 §3.1.2.6
			}
			i = j - 1
		}
	}
	return -1, nil
}

// parseNameAddr handles [ display-name ] LAQUOT addr-spec RAQUOT params.
func (n *NameAddr) parseNameAddr(lt int) error {
	v := n.Raw
	if d := trimLWS(v[:lt]); len(d) > 0 {
		if !validDisplay(d) {
			return naErr("bad display name", 0) // RFC 4475 §3.1.2.15
		}
		n.Display = d
	}
	gt := bytes.IndexByte(v[lt:], '>')
	if gt < 0 {
		return naErr("missing closing angle bracket", len(v))
	}
	gt += lt
	spec := v[lt+1 : gt]
	if len(spec) > 0 && (isLWS(spec[0]) || isLWS(spec[len(spec)-1])) {
		return naErr("LWS in addr-spec", lt+1) // RFC 4475 §3.1.2.14
	}
	u, err := ParseURI(spec)
	if err != nil {
		return shiftErr(err, lt+1)
	}
	n.URI = u
	return n.setParams(gt + 1)
}

// validDisplay checks display-name = *(token LWS) / quoted-string. The
// LWS before '<' is optional in practice (RFC 4475 §3.1.1.6).
func validDisplay(d []byte) bool {
	if d[0] == '"' {
		return quotedEnd(d, 0) == len(d)
	}
	for _, c := range d {
		if !isToken(c) && !isLWS(c) {
			return false
		}
	}
	return true
}

// parseAddrSpec handles addr-spec params: the URI ends at the first ';'
// or LWS.
func (n *NameAddr) parseAddrSpec() error {
	v := n.Raw
	end := 0
	for end < len(v) && v[end] != ';' && !isLWS(v[end]) {
		end++
	}
	spec := v[:end]
	if i := bytes.IndexAny(spec, ",?"); i >= 0 {
		return naErr("URI with , or ? outside angle brackets", i) // RFC 3261 §20.10
	}
	u, err := ParseURI(spec)
	if err != nil {
		return err
	}
	n.URI = u
	return n.setParams(end)
}

// setParams takes what follows the URI at v[i:]: nothing, or LWS and
// header parameters.
func (n *NameAddr) setParams(i int) error {
	v := n.Raw
	i = skipLWSAt(v, i)
	if i == len(v) {
		return nil
	}
	if v[i] != ';' {
		return naErr("junk after URI", i)
	}
	n.Params = v[i:]
	if off, reason := n.Params.firstBad(checkGenericParam); reason != "" {
		return naErr(reason, i+off)
	}
	return nil
}

// ParseNameAddrList parses a comma-separated list of elements (Contact,
// Route, Record-Route, Path) and calls fn for each until fn returns false.
// Empty elements are errors, and "*" must stand alone (RFC 3261 §20.10).
func ParseNameAddrList(b []byte, fn func(NameAddr) bool) error {
	return eachElem(b, "name-addr", func(elem []byte) (bool, error) {
		n, err := ParseNameAddr(elem)
		if err != nil {
			return false, err
		}
		if n.Star && len(trimLWS(b)) != 1 {
			return false, naErr("* must stand alone", 0)
		}
		return fn(n), nil
	})
}

// Tag returns the tag parameter of From or To (RFC 3261 §19.3), or nil.
func (n *NameAddr) Tag() []byte { v, _ := n.Params.Get("tag"); return v }

// Q returns the q parameter of a Contact in thousandths (RFC 3261 §20.10:
// qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )).
func (n *NameAddr) Q() (milli int, present bool, err error) {
	v, ok := n.Params.Get("q")
	if !ok {
		return 0, false, nil
	}
	if milli, ok = parseQ(v); !ok {
		return 0, true, naErr("bad q", 0)
	}
	return milli, true, nil
}

func parseQ(v []byte) (int, bool) {
	if len(v) == 0 || (v[0] != '0' && v[0] != '1') || len(v) > 5 || (len(v) > 1 && v[1] != '.') {
		return 0, false
	}
	q := int(v[0]-'0') * 1000
	for i, scale := 2, 100; i < len(v); i, scale = i+1, scale/10 {
		if !isDigit(v[i]) {
			return 0, false
		}
		q += int(v[i]-'0') * scale
	}
	return q, q <= 1000
}

// Expires returns the expires parameter of a Contact (RFC 3261 §20.10,
// delta-seconds). A value past 2**32-1 is an error, which a registrar may
// treat as its default (RFC 4475 §3.1.2.4).
func (n *NameAddr) Expires() (sec uint32, present bool, err error) {
	v, ok := n.Params.Get("expires")
	if !ok {
		return 0, false, nil
	}
	if sec, ok = atoiBytes(v); !ok {
		return 0, true, naErr("bad expires", 0)
	}
	return sec, true, nil
}

// DisplayName appends the display name as text to dst: quotes and
// quoted-pair backslashes removed.
func (n *NameAddr) DisplayName(dst []byte) []byte { return UnquoteTo(dst, n.Display) }
