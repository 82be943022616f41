package sip

import "bytes"

// Limits bounds what Validate accepts.
type Limits struct {
	MaxMessage int // bytes; 0 means no limit here (the transport cuts first)
}

// ValidateRequest runs the checks a proxy or registrar needs before it
// touches a request: RFC 3261 §16.3 (syntax, URI scheme, Max-Forwards
// readable, Proxy-Require) and §8.2, and Kamailio's sanity module ideas
// (version, CSeq, Expires, duplicate single-value headers). It returns nil
// or the error to answer with: MessageError.Status is 400, 416, 420, 505
// or 513. Max-Forwards of zero (483) and Require (a UAS matter) are the
// roles' decisions, since an OPTIONS to the node itself may still be
// answered.
//
// supported lists the option tags the element supports; any Proxy-Require
// tag outside it gets 420 with those tags in MessageError.Unsupported
// (RFC 3261 §16.3 step 5, RFC 4475 §3.3.5).
func (m *Msg) ValidateRequest(lim Limits, supported ...string) *MessageError {
	if !m.isReq {
		return &MessageError{Status: 400, Reason: "not a request"}
	}
	if lim.MaxMessage > 0 && int(m.bodyEnd) > lim.MaxMessage {
		return &MessageError{Status: 513, Reason: "Message Too Large"}
	}
	if m.err != nil {
		return asMessageError(m.err)
	}
	if !equalFold(m.Version(), "SIP/2.0") {
		return &MessageError{Status: 505, Reason: "Version Not Supported"}
	}
	for _, check := range requestChecks {
		if err := check(m); err != nil {
			return asMessageError(err)
		}
	}
	return m.checkProxyRequire(supported)
}

// requestChecks run in order; the first failure is answered.
var requestChecks = []func(m *Msg) error{
	checkMandatory,
	checkDuplicates,
	checkCSeq,
	checkRequestURI,
	checkVias,
	checkAddresses,
	checkScalars,
}

// asMessageError turns any parse error into a 400 whose reason says what
// was wrong.
func asMessageError(err error) *MessageError {
	if e, ok := err.(*MessageError); ok {
		return e
	}
	return &MessageError{Status: 400, Reason: ReasonOf(err)}
}

// checkMandatory: RFC 3261 §8.1.1 makes To, From, CSeq, Call-ID and Via
// mandatory (Max-Forwards too, but RFC 2543 peers omit it, RFC 4475
// §3.4.1, and §16.6 step 3 adds it).
func checkMandatory(m *Msg) error {
	for _, id := range [...]HdrID{HdrVia, HdrFrom, HdrTo, HdrCallID, HdrCSeq} {
		if m.count[id] == 0 {
			return malformed("missing " + id.String())
		}
	}
	return nil
}

// checkDuplicates: a second From, To, Call-ID, CSeq, Max-Forwards, ...
// makes the message ambiguous (RFC 4475 §3.3.8).
func checkDuplicates(m *Msg) error {
	for id := HdrID(1); id < hdrCount; id++ {
		if singleValue[id] && m.count[id] > 1 {
			return malformed("multiple " + id.String() + " headers")
		}
	}
	return nil
}

// checkCSeq: number within 32 bits, method equal to the request method
// (RFC 3261 §8.1.1.5, §12.2.1.1; RFC 4475 §3.1.2.17). An unknown method
// with a mismatch gets 501 (§3.1.2.18).
func checkCSeq(m *Msg) error {
	_, meth, err := m.CSeq()
	if err != nil {
		return err
	}
	if !bytes.Equal(meth, m.MethodBytes()) {
		if m.method == MethodOther {
			return &MessageError{Status: 501, Reason: "Not Implemented"}
		}
		return malformed("CSeq method does not match request")
	}
	return nil
}

// checkRequestURI: the Request-URI must parse; a scheme other than sip,
// sips or tel gets 416 (RFC 3261 §16.3 step 2, RFC 4475 §3.3.2).
func checkRequestURI(m *Msg) error {
	u, err := m.RequestURI()
	if err != nil {
		return err
	}
	if !u.IsSIP() && !equalFold(u.Scheme, "tel") {
		return &MessageError{Status: 416, Reason: "Unsupported URI Scheme"}
	}
	return nil
}

// checkVias: the top Via must parse, since the response travels back by
// it. The Vias below it are the previous hops' business and are read only
// by whoever relays the response (as Kamailio's sanity module does), so a
// proxy does not pay to validate the whole stack on every message.
func checkVias(m *Msg) error {
	_, err := m.TopVia()
	return err
}

// checkAddresses: From, To and every Contact must parse (RFC 4475
// §3.1.2.6, §3.1.2.13–15); a Contact of "*" is only valid alone.
func checkAddresses(m *Msg) error {
	if _, err := m.From(); err != nil {
		return err
	}
	if _, err := m.To(); err != nil {
		return err
	}
	return m.NameAddrs(HdrContact, func(NameAddr) bool { return true })
}

// checkScalars: Max-Forwards and Expires must be readable numbers in range
// (RFC 4475 §3.1.2.4).
func checkScalars(m *Msg) error {
	if _, _, err := m.MaxForwards(); err != nil {
		return err
	}
	_, _, err := m.Expires()
	return err
}

// checkProxyRequire answers 420 for option tags we do not support
// (RFC 3261 §16.3 step 5).
func (m *Msg) checkProxyRequire(supported []string) *MessageError {
	var bad *MessageError
	m.Values(HdrProxyRequire, func(v []byte) bool {
		eachToken(v, func(t []byte) bool {
			for _, s := range supported {
				if equalFold(t, s) {
					return true
				}
			}
			if bad == nil {
				bad = &MessageError{Status: 420, Reason: "Bad Extension"}
			} else {
				bad.Unsupported = append(bad.Unsupported, ", "...)
			}
			bad.Unsupported = append(bad.Unsupported, t...)
			return true
		})
		return true
	})
	return bad
}

// ValidateResponse checks a received response before it is routed: a
// malformed one is dropped, never answered (RFC 4475 §3.1.2.5, §3.1.2.19).
func (m *Msg) ValidateResponse() error {
	if m.isReq {
		return &MessageError{Reason: "not a response"}
	}
	if m.err != nil {
		return &MessageError{Reason: asMessageError(m.err).Reason}
	}
	for _, check := range [...]func(*Msg) error{checkMandatory, checkDuplicates, checkVias} {
		if err := check(m); err != nil {
			return &MessageError{Reason: asMessageError(err).Reason}
		}
	}
	if _, _, err := m.CSeq(); err != nil {
		return &MessageError{Reason: asMessageError(err).Reason}
	}
	return nil
}

// CanReply reports whether a request is readable enough to answer with a
// 400 (start line and a parseable top Via); otherwise it must be dropped.
func (m *Msg) CanReply() bool {
	if !m.isReq || m.sl[2][1] == 0 {
		return false
	}
	_, err := m.TopVia()
	return err == nil
}
