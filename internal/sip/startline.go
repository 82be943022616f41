package sip

import "bytes"

// MessageError is a message the layer cannot accept. Reason is short ASCII
// fit for a reason phrase; Status is the response a server should send
// (400 unless a more specific code applies, 0 when the message must be
// dropped silently, e.g. a malformed response).
type MessageError struct {
	Status      int
	Reason      string
	Unsupported []byte // option tags for the Unsupported header of a 420
}

func (e *MessageError) Error() string { return "malformed message: " + e.Reason }

func malformed(reason string) error { return &MessageError{Status: 400, Reason: reason} }

// parseStartLine reads the Request-Line or Status-Line in b[start:end]
// (end is the LF). RFC 3261 §7.1 and §7.2 allow exactly one SP between the
// elements; extra or trailing SP is rejected (RFC 4475 §3.1.2.9, §3.1.2.10)
// rather than silently normalised, since a proxy must not forward it.
func (m *Msg) parseStartLine(start, end int) error {
	if end > start && m.buf[end-1] == '\r' {
		end--
	}
	line := m.buf[start:end]
	if hasSIPVersionPrefix(line) {
		return m.parseStatusLine(start, line)
	}
	return m.parseRequestLine(start, line)
}

func hasSIPVersionPrefix(b []byte) bool {
	return len(b) >= 4 && equalFold(b[:4], "SIP/")
}

func (m *Msg) parseRequestLine(off int, line []byte) error {
	sp1 := bytes.IndexByte(line, ' ')
	if sp1 <= 0 {
		return malformed("bad request line")
	}
	sp2 := bytes.IndexByte(line[sp1+1:], ' ')
	if sp2 < 0 {
		return malformed("bad request line")
	}
	sp2 += sp1 + 1
	method, uri, ver := line[:sp1], line[sp1+1:sp2], line[sp2+1:]
	if !isTokenBytes(method) {
		return malformed("bad method")
	}
	if len(uri) == 0 || bytes.IndexByte(uri, '\t') >= 0 {
		return malformed("bad Request-URI")
	}
	if !validVersion(ver) {
		return malformed("bad SIP version")
	}
	m.isReq = true
	m.method = lookupMethod(method)
	o := int32(off)
	m.sl[0] = [2]int32{o, o + int32(sp1)}
	m.sl[1] = [2]int32{o + int32(sp1) + 1, o + int32(sp2)}
	m.sl[2] = [2]int32{o + int32(sp2) + 1, o + int32(len(line))}
	return nil
}

func (m *Msg) parseStatusLine(off int, line []byte) error {
	sp1 := bytes.IndexByte(line, ' ')
	if sp1 < 0 || !validVersion(line[:sp1]) {
		return &MessageError{Reason: "bad status line"}
	}
	rest := line[sp1+1:]
	codeEnd := bytes.IndexByte(rest, ' ')
	if codeEnd < 0 {
		codeEnd = len(rest) // tolerate a missing SP before an empty reason
	}
	code, ok := atoiBytes(rest[:codeEnd])
	// RFC 3261 §7.2 and RFC 4475 §3.1.2.19: a 3-digit code in 100..699,
	// anything else is dropped.
	if !ok || codeEnd != 3 || code < 100 || code > 699 {
		return &MessageError{Reason: "bad status code"}
	}
	m.code = int(code)
	o := int32(off)
	m.sl[0] = [2]int32{o, o + int32(sp1)}
	m.sl[1] = [2]int32{o + int32(sp1) + 1, o + int32(sp1) + 1 + int32(codeEnd)}
	rs := min(sp1+1+codeEnd+1, len(line))
	m.sl[2] = [2]int32{o + int32(rs), o + int32(len(line))}
	return nil
}

// validVersion accepts "SIP/" 1*DIGIT "." 1*DIGIT, "SIP" case-insensitive
// (RFC 3261 §7.1). Versions other than 2.0 parse; Validate answers 505.
func validVersion(v []byte) bool {
	if !hasSIPVersionPrefix(v) {
		return false
	}
	dot := bytes.IndexByte(v[4:], '.')
	if dot <= 0 {
		return false
	}
	_, ok1 := atoiBytes(v[4 : 4+dot])
	_, ok2 := atoiBytes(v[5+dot:])
	return ok1 && ok2
}

func (m *Msg) span(i int) []byte { return m.buf[m.sl[i][0]:m.sl[i][1]] }

// IsRequest reports whether the message is a request.
func (m *Msg) IsRequest() bool { return m.isReq }

// Method returns the request method (MethodOther for an unknown one; see
// MethodBytes). For a response it is MethodOther; use CSeq.
func (m *Msg) Method() Method { return m.method }

// MethodBytes returns the request method as written.
func (m *Msg) MethodBytes() []byte {
	if !m.isReq {
		return nil
	}
	return m.span(0)
}

// RequestURIBytes returns the Request-URI as written.
func (m *Msg) RequestURIBytes() []byte {
	if !m.isReq {
		return nil
	}
	return m.span(1)
}

// Version returns the SIP-Version of the start line as written.
func (m *Msg) Version() []byte {
	if m.isReq {
		return m.span(2)
	}
	return m.span(0)
}

// StatusCode returns the response status code (0 for a request).
func (m *Msg) StatusCode() int { return m.code }

// Reason returns the reason phrase of a response.
func (m *Msg) Reason() []byte {
	if m.isReq {
		return nil
	}
	return m.span(2)
}

// StartLine returns the start line without its line break.
func (m *Msg) StartLine() []byte { return m.buf[m.sl[0][0]:m.sl[2][1]] }

// headerStart is the offset of the first header (after the start line).
func (m *Msg) headerStart() int32 {
	if len(m.hdrs) > 0 {
		return m.hdrs[0].start
	}
	return m.hdrEnd
}

// ReasonOf gives the reason phrase for answering a message refused with
// err: the parser's own words for what was wrong, or "Bad Request".
func ReasonOf(err error) string {
	switch e := err.(type) {
	case *MessageError:
		return e.Reason
	case *ParseError:
		return e.Error()
	}
	return "Bad Request"
}
