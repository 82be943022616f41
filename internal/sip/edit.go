package sip

import "strconv"

// edit replaces buf[off:end] of the original message with arena[dOff:dEnd];
// off == end is a pure insertion.
type edit struct {
	off, end   int32
	dOff, dEnd int32
}

// Editor records changes to a parsed message and writes the result into a
// new buffer in one pass. Every byte not covered by an edit is copied as
// received, so unknown headers, odd spellings and folding survive a proxy
// hop (RFC 4475 §3.1.1.1). An Editor is reusable; with its inline storage
// a typical proxy edit set allocates nothing.
//
// Edits are positioned on the original message: indexes passed to the
// methods refer to m's headers as parsed, regardless of earlier edits.
// Of edits on overlapping ranges the one starting first wins and the
// others are dropped, so removing a header twice, or replacing the value of
// a removed header, is harmless.
type Editor struct {
	m           *Msg
	edits       []edit
	inlineEdits [16]edit
	arena       []byte
	inlineArena [512]byte
	bodySet     bool
}

// NewEditor returns an Editor for m.
func NewEditor(m *Msg) *Editor {
	e := &Editor{}
	e.Reset(m)
	return e
}

// Reset discards all edits and points the Editor at m.
func (e *Editor) Reset(m *Msg) {
	e.m = m
	e.edits = e.inlineEdits[:0]
	e.arena = e.inlineArena[:0]
	e.bodySet = false
}

func (e *Editor) add(off, end int32, parts ...[]byte) {
	d := int32(len(e.arena))
	for _, p := range parts {
		e.arena = append(e.arena, p...)
	}
	e.edits = append(e.edits, edit{off: off, end: end, dOff: d, dEnd: int32(len(e.arena))})
}

// addHeaderLine inserts "Name: value\r\n" at off.
func (e *Editor) addHeaderLine(off int32, name string, value []byte) {
	d := int32(len(e.arena))
	e.arena = append(e.arena, name...)
	e.arena = append(e.arena, ": "...)
	e.arena = append(e.arena, value...)
	e.arena = append(e.arena, "\r\n"...)
	e.edits = append(e.edits, edit{off: off, end: off, dOff: d, dEnd: int32(len(e.arena))})
}

// PrependHeader inserts a header above all others (where a proxy puts its
// Via, RFC 3261 §16.6 step 8, and its Record-Route, §16.6 step 4).
func (e *Editor) PrependHeader(name string, value []byte) {
	e.addHeaderLine(e.m.headerStart(), name, value)
}

// InsertHeaderBefore inserts a header just above the i-th header.
func (e *Editor) InsertHeaderBefore(i int, name string, value []byte) {
	e.addHeaderLine(e.m.hdrs[i].start, name, value)
}

// AppendHeader inserts a header below all others.
func (e *Editor) AppendHeader(name string, value []byte) {
	e.addHeaderLine(e.m.hdrEnd, name, value)
}

// RemoveHeader deletes the i-th header, folded lines included.
func (e *Editor) RemoveHeader(i int) {
	h := &e.m.hdrs[i]
	e.add(h.start, h.end)
}

// ReplaceValue replaces the value of the i-th header, keeping its name as
// written.
func (e *Editor) ReplaceValue(i int, value []byte) {
	h := &e.m.hdrs[i]
	e.add(h.valStart, h.valEnd, value)
}

// RemoveAll deletes every header of kind id.
func (e *Editor) RemoveAll(id HdrID) {
	for i := range e.m.hdrs {
		if e.m.hdrs[i].id == id {
			e.RemoveHeader(i)
		}
	}
}

// SetRequestURI rewrites the Request-URI (RFC 3261 §16.6 step 6).
func (e *Editor) SetRequestURI(uri []byte) {
	s := e.m.sl[1]
	e.add(s[0], s[1], uri)
}

// DecrementMaxForwards applies RFC 3261 §16.6 step 3: decrement the value,
// or add Max-Forwards: 70 when absent. The caller checks for zero first
// (§16.3 step 3, 483).
func (e *Editor) DecrementMaxForwards() {
	i := e.m.index(HdrMaxForwards, 0)
	if i < 0 {
		e.AppendHeader("Max-Forwards", []byte("70"))
		return
	}
	n, _, err := e.m.MaxForwards()
	if err != nil || n == 0 {
		return
	}
	var tmp [4]byte
	e.ReplaceValue(i, strconv.AppendInt(tmp[:0], int64(n-1), 10))
}

// SetBody replaces the body and writes a matching Content-Length (the
// header is replaced in place, or added when absent).
func (e *Editor) SetBody(body []byte) {
	m := e.m
	e.add(m.bodyOff, m.bodyEnd, body)
	e.setContentLength(len(body))
	e.bodySet = true
}

// EnsureContentLength adds a Content-Length matching the body when the
// message has none, as a stream transport requires (RFC 3261 §18.3):
// a datagram without one may be forwarded over TCP.
func (e *Editor) EnsureContentLength() {
	if !e.bodySet && !e.m.HasContentLength() {
		e.setContentLength(len(e.m.Body()))
	}
}

func (e *Editor) setContentLength(n int) {
	var tmp [12]byte
	v := strconv.AppendInt(tmp[:0], int64(n), 10)
	if i := e.m.index(HdrContentLength, 0); i >= 0 {
		e.ReplaceValue(i, v)
		return
	}
	e.AppendHeader("Content-Length", v)
}

// Len returns an upper bound of the size of the edited message.
func (e *Editor) Len() int { return int(e.m.bodyEnd) + len(e.arena) }

// AppendTo writes the edited message to dst and returns the extended
// slice. Octets after the body (RFC 4475 §3.1.1.8) are not written.
func (e *Editor) AppendTo(dst []byte) []byte {
	e.sortEdits()
	src := e.m.buf
	pos := e.m.sl[0][0] // leading CRLFs are not forwarded
	for _, ed := range e.edits {
		if ed.off < pos {
			continue // inside a range an earlier edit already replaced
		}
		if ed.off > pos {
			dst = append(dst, src[pos:ed.off]...)
			pos = ed.off
		}
		dst = append(dst, e.arena[ed.dOff:ed.dEnd]...)
		pos = max(pos, ed.end)
	}
	return append(dst, src[pos:e.m.bodyEnd]...)
}

// sortEdits orders edits by position, keeping insertion order among equal
// positions (insertion sort: the set is small and this allocates nothing).
func (e *Editor) sortEdits() {
	ed := e.edits
	for i := 1; i < len(ed); i++ {
		for j := i; j > 0 && ed[j].off < ed[j-1].off; j-- {
			ed[j], ed[j-1] = ed[j-1], ed[j]
		}
	}
}
