package sip

import "bytes"

// CallID returns the Call-ID value (RFC 3261 §20.8), or nil.
func (m *Msg) CallID() []byte {
	v, _ := m.Get(HdrCallID)
	return v
}

// CSeq parses the CSeq header (RFC 3261 §20.16): a 32-bit sequence number
// and a method token, separated by LWS.
func (m *Msg) CSeq() (seq uint32, method []byte, err error) {
	v, ok := m.Get(HdrCSeq)
	if !ok {
		return 0, nil, malformed("missing CSeq")
	}
	return parseCSeq(v)
}

func parseCSeq(v []byte) (uint32, []byte, error) {
	i := 0
	for i < len(v) && isDigit(v[i]) {
		i++
	}
	seq, ok := atoiBytes(v[:i])
	if !ok {
		return 0, nil, malformed("bad CSeq number")
	}
	if i == len(v) || !isLWS(v[i]) {
		return 0, nil, malformed("bad CSeq")
	}
	method := trimLWS(v[i:])
	if !isTokenBytes(method) {
		return 0, nil, malformed("bad CSeq method")
	}
	return seq, method, nil
}

// CSeqMethod returns the method of the CSeq header, classified.
func (m *Msg) CSeqMethod() Method {
	_, meth, err := m.CSeq()
	if err != nil {
		return MethodOther
	}
	return lookupMethod(meth)
}

// MaxForwards returns the Max-Forwards value (RFC 3261 §20.22); present is
// false without the header. A value above 255 is an error.
func (m *Msg) MaxForwards() (n int, present bool, err error) {
	v, ok := m.Get(HdrMaxForwards)
	if !ok {
		return 0, false, nil
	}
	u, ok := atoiBytes(v)
	if !ok || u > 255 {
		return 0, true, malformed("bad Max-Forwards")
	}
	return int(u), true, nil
}

// Expires returns the Expires header's delta-seconds (RFC 3261 §20.19).
func (m *Msg) Expires() (sec uint32, present bool, err error) {
	v, ok := m.Get(HdrExpires)
	if !ok {
		return 0, false, nil
	}
	u, ok := atoiBytes(v)
	if !ok {
		return 0, true, malformed("bad Expires")
	}
	return u, true, nil
}

// ContentType returns the media type of the body without parameters.
func (m *Msg) ContentType() []byte {
	v, ok := m.Get(HdrContentType)
	if !ok {
		return nil
	}
	if i := bytes.IndexByte(v, ';'); i >= 0 {
		v = v[:i]
	}
	return trimLWS(v)
}

// HasOptionTag reports whether a Supported, Require or Proxy-Require style
// header (comma-separated option tags, repeated or not) lists tag.
func (m *Msg) HasOptionTag(id HdrID, tag string) bool {
	found := false
	m.Values(id, func(v []byte) bool {
		eachToken(v, func(t []byte) bool {
			found = equalFold(t, tag)
			return !found
		})
		return !found
	})
	return found
}

// eachToken calls fn for each comma-separated, LWS-trimmed non-empty
// element of v until fn returns false.
func eachToken(v []byte, fn func(t []byte) bool) {
	for len(v) > 0 {
		i := bytes.IndexByte(v, ',')
		var t []byte
		if i < 0 {
			t, v = v, nil
		} else {
			t, v = v[:i], v[i+1:]
		}
		if t = trimLWS(t); len(t) > 0 && !fn(t) {
			return
		}
	}
}
