package sip

import "bytes"

// maxHeaders bounds the index so a message of a million one-byte headers
// costs a bounded amount of work before it is refused.
const maxHeaders = 256

// hdr is one header's place in the buffer. A header spans one line plus any
// folded continuation lines (RFC 3261 §7.3.1).
type hdr struct {
	id       HdrID
	start    int32 // first byte of the name
	nameEnd  int32
	valStart int32 // first byte of the value after ':' and SP/HTAB
	valEnd   int32 // end of the value, trailing SP/HTAB/CR excluded
	end      int32 // one past the LF that ends the header
}

// Header is a read view of one header field: sub-slices of the message.
type Header struct {
	ID    HdrID
	Name  []byte // as written ("v", "MaX-fOrWaRdS", ...)
	Value []byte // may contain folded line breaks; parsers treat them as LWS
	Raw   []byte // the whole field, name to final CRLF
}

// Msg is one SIP message: its bytes and an index of the start line and the
// header boundaries. Header values are parsed only when asked for.
// A Msg is meant to be reused (Parse resets it), so a long-lived receive
// loop parses without allocating once its index has grown to the largest
// message seen.
type Msg struct {
	buf     []byte
	isReq   bool
	method  Method
	code    int
	sl      [3][2]int32 // request: method, URI, version; response: version, code, reason
	hdrs    []hdr
	first   [hdrCount]int16 // index+1 of the first header of each known kind
	count   [hdrCount]uint8 // saturating count per known kind
	hdrEnd  int32           // offset of the empty line that ends the headers
	bodyOff int32
	bodyEnd int32
	err     error

	// The top Via is read by every layer (transport routing, transaction
	// matching, the roles), so its parse is kept until the next Parse.
	topVia    Via
	topViaErr error
	topViaSet bool
	toParams  Params // the To header's parameters, for ToTag
	toErr     error
	toSet     bool
}

// Parse indexes b as a message received in one datagram (RFC 3261 §18.3):
// without Content-Length the body runs to the end of the datagram, and bytes
// past Content-Length are ignored (RFC 4475 §3.1.1.8). Msg keeps b; the
// caller must not modify it while m is in use.
//
// On a malformed message Parse still indexes everything it can read, so the
// caller can answer 400 with the returned error's reason when the start line
// and Via are readable (see CanReply).
func (m *Msg) Parse(b []byte) error { return m.parse(b, false) }

// ParseStream indexes one message framed by a stream transport: the framing
// already found its end, a Content-Length is mandatory (RFC 3261 §18.3 and
// §20.14) and must match the body exactly.
func (m *Msg) ParseStream(b []byte) error { return m.parse(b, true) }

func (m *Msg) reset(b []byte) {
	m.buf = b
	m.isReq, m.method, m.code = false, MethodOther, 0
	m.sl = [3][2]int32{}
	if m.hdrs == nil {
		m.hdrs = make([]hdr, 0, 32)
	}
	m.hdrs = m.hdrs[:0]
	m.first = [hdrCount]int16{}
	m.count = [hdrCount]uint8{}
	m.hdrEnd, m.bodyOff, m.bodyEnd = 0, 0, 0
	m.err = nil
	m.topVia, m.topViaErr, m.topViaSet = Via{}, nil, false
	m.toParams, m.toErr, m.toSet = nil, nil, false
}

func (m *Msg) parse(b []byte, stream bool) error {
	if len(b) > 1<<30 {
		m.reset(nil)
		m.err = malformed("message too large")
		return m.err
	}
	m.reset(b)
	i := 0
	// RFC 3261 §7.5: ignore CRLFs before the start line.
	for i < len(b) && (b[i] == '\r' || b[i] == '\n') {
		i++
	}
	lf := bytes.IndexByte(b[i:], '\n')
	if lf < 0 {
		m.err = malformed("no start line")
		return m.err
	}
	if err := m.parseStartLine(i, i+lf); err != nil {
		m.err = err
		return err
	}
	if err := m.indexHeaders(i + lf + 1); err != nil {
		// Keep offsets coherent so editors and builders stay in bounds.
		m.hdrEnd, m.bodyOff, m.bodyEnd = int32(len(b)), int32(len(b)), int32(len(b))
		m.setErr(err)
		return m.err
	}
	m.setErr(m.frameBody(stream))
	return m.err
}

// setErr keeps the first error: it is the most useful 400 reason.
func (m *Msg) setErr(err error) {
	if m.err == nil {
		m.err = err
	}
}

// indexHeaders records every header line from off up to the empty line.
// A malformed line is skipped and remembered, so the rest (Via above all)
// stays readable for the 400.
func (m *Msg) indexHeaders(off int) error {
	b := m.buf
	i := off
	for {
		if i >= len(b) {
			return malformed("header section not terminated")
		}
		if b[i] == '\n' || (b[i] == '\r' && i+1 < len(b) && b[i+1] == '\n') {
			m.hdrEnd = int32(i)
			if b[i] == '\r' {
				i++
			}
			m.bodyOff = int32(i + 1)
			return nil
		}
		end := lineEnd(b, i)
		switch {
		case isWS(b[i]):
			m.setErr(malformed("folded line without header"))
		case len(m.hdrs) >= maxHeaders:
			return malformed("too many headers")
		case !m.addHeaderLine(i, end):
			m.setErr(malformed("malformed header line"))
		}
		i = end
	}
}

// lineEnd returns the offset after the LF ending the header line at i,
// following folded continuation lines (those starting with SP or HTAB).
func lineEnd(b []byte, i int) int {
	for {
		lf := bytes.IndexByte(b[i:], '\n')
		if lf < 0 {
			return len(b)
		}
		i += lf + 1
		if i >= len(b) || !isWS(b[i]) {
			return i
		}
	}
}

// addHeaderLine indexes "name *WS : *LWS value" in buf[start:end]. A known
// name is validated by matching it; only unknown names are checked
// character by character as tokens.
func (m *Msg) addHeaderLine(start, end int) bool {
	b := m.buf[:end]
	colon := bytes.IndexByte(b[start:], ':')
	if colon <= 0 {
		return false
	}
	colon += start
	nameEnd := colon
	for nameEnd > start && isWS(b[nameEnd-1]) {
		nameEnd--
	}
	name := b[start:nameEnd]
	id := lookupHdr(name)
	if id == HdrOther && !isTokenBytes(name) {
		return false
	}
	i := colon + 1
	for i < end && isLWS(b[i]) {
		i++
	}
	ve := end
	if ve > i && b[ve-1] == '\n' {
		ve--
	}
	if ve > i && b[ve-1] == '\r' {
		ve--
	}
	for ve > i && isLWS(b[ve-1]) {
		ve--
	}
	m.hdrs = append(m.hdrs, hdr{
		id:    id,
		start: int32(start), nameEnd: int32(nameEnd),
		valStart: int32(i), valEnd: int32(ve), end: int32(end),
	})
	if id != HdrOther {
		if m.first[id] == 0 {
			m.first[id] = int16(len(m.hdrs))
		}
		if m.count[id] < 255 {
			m.count[id]++
		}
	}
	return true
}

// frameBody places the body per Content-Length and the transport's rules.
func (m *Msg) frameBody(stream bool) error {
	rest := len(m.buf) - int(m.bodyOff)
	m.bodyEnd = int32(len(m.buf))
	cl, present, err := m.contentLength()
	switch {
	case err != nil:
		return err
	case !present && stream:
		return malformed("missing Content-Length")
	case !present:
		return nil
	case int(cl) > rest:
		return malformed("Content-Length larger than message")
	case stream && int(cl) != rest:
		return malformed("Content-Length does not match body")
	}
	m.bodyEnd = m.bodyOff + int32(cl)
	return nil
}

// contentLength reads Content-Length. Several that disagree make framing
// impossible (RFC 4475 §3.3.9), so that is an error here, not in validation.
func (m *Msg) contentLength() (n uint32, present bool, err error) {
	if m.count[HdrContentLength] == 0 {
		return 0, false, nil
	}
	for i := int(m.first[HdrContentLength]) - 1; i < len(m.hdrs); i++ {
		h := &m.hdrs[i]
		if h.id != HdrContentLength {
			continue
		}
		v, ok := atoiBytes(m.buf[h.valStart:h.valEnd])
		if !ok {
			return 0, true, malformed("bad Content-Length")
		}
		if present && v != n {
			return 0, true, malformed("conflicting Content-Length")
		}
		n, present = v, true
	}
	return n, true, nil
}

// Reset drops the message, so m no longer refers to its buffer.
func (m *Msg) Reset() { m.reset(nil) }

// Clone returns a copy of m that owns its bytes and index, for a message
// that must outlive the buffer it was parsed from (a transaction keeping
// its request) without parsing it again.
func (m *Msg) Clone() *Msg {
	c := *m
	c.buf = append([]byte(nil), m.buf...)
	c.hdrs = append([]hdr(nil), m.hdrs...)
	// The top Via's parse points into m.buf. Moved onto the copy, it
	// spares whoever keeps the copy (the LB's failover flight, for one)
	// parsing it again; only a failed parse is left to be redone.
	if !m.topViaSet || m.topViaErr != nil || !c.topVia.rebase(m.buf, c.buf) {
		c.topVia, c.topViaErr, c.topViaSet = Via{}, nil, false
	}
	c.toParams, c.toErr, c.toSet = nil, nil, false // they point into m.buf
	return &c
}

// Err returns the error of the last Parse, if any.
func (m *Msg) Err() error { return m.err }

// Bytes returns the message as received (for a datagram, including any
// octets after the body that Parse ignored).
func (m *Msg) Bytes() []byte { return m.buf }

// Body returns the message body.
func (m *Msg) Body() []byte { return m.buf[m.bodyOff:m.bodyEnd] }

// HasContentLength reports whether the message carried a Content-Length.
func (m *Msg) HasContentLength() bool { return m.count[HdrContentLength] > 0 }

// NumHeaders returns the number of header fields.
func (m *Msg) NumHeaders() int { return len(m.hdrs) }

// HeaderAt returns the i-th header field in wire order.
func (m *Msg) HeaderAt(i int) Header {
	h := &m.hdrs[i]
	return Header{
		ID:    h.id,
		Name:  m.buf[h.start:h.nameEnd],
		Value: m.buf[h.valStart:h.valEnd],
		Raw:   m.buf[h.start:h.end],
	}
}

// Count returns how many header fields of kind id the message has
// (saturating at 255).
func (m *Msg) Count(id HdrID) int { return int(m.count[id]) }

// Get returns the value of the first header of kind id.
func (m *Msg) Get(id HdrID) ([]byte, bool) {
	if id == HdrOther || id >= hdrCount || m.first[id] == 0 {
		return nil, false
	}
	h := &m.hdrs[m.first[id]-1]
	return m.buf[h.valStart:h.valEnd], true
}

// GetName returns the value of the first header called name
// (case-insensitive; compact forms of known headers match too).
func (m *Msg) GetName(name string) ([]byte, bool) {
	if id := lookupHdr([]byte(name)); id != HdrOther {
		return m.Get(id)
	}
	for i := range m.hdrs {
		h := &m.hdrs[i]
		if h.id == HdrOther && equalFold(m.buf[h.start:h.nameEnd], name) {
			return m.buf[h.valStart:h.valEnd], true
		}
	}
	return nil, false
}

// Values calls fn with the value of every header of kind id, in wire
// order, until fn returns false. Comma-separated values inside one header
// are left to the caller's list parser.
func (m *Msg) Values(id HdrID, fn func(v []byte) bool) {
	if id == HdrOther || id >= hdrCount || m.first[id] == 0 {
		return
	}
	for i := int(m.first[id]) - 1; i < len(m.hdrs); i++ {
		if h := &m.hdrs[i]; h.id == id && !fn(m.buf[h.valStart:h.valEnd]) {
			return
		}
	}
}

// index returns the position of the n-th header of kind id, or -1.
func (m *Msg) index(id HdrID, n int) int {
	if id == HdrOther || id >= hdrCount || m.first[id] == 0 {
		return -1
	}
	for i := int(m.first[id]) - 1; i < len(m.hdrs); i++ {
		if m.hdrs[i].id == id {
			if n == 0 {
				return i
			}
			n--
		}
	}
	return -1
}
