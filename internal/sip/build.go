package sip

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
)

// Builders write messages straight into a caller's buffer (append style),
// so a server answering at line rate allocates nothing. Headers copied from
// a request are copied as written, including compact names: RFC 3261
// §8.2.6.2 wants their values unchanged.

// AppendResponseHead writes the status line and the headers RFC 3261
// §8.2.6.2 copies from req (every Via in order, From, To, Call-ID, CSeq),
// adding toTag to To when the code is above 100 and To has none. The
// caller may append more headers with AppendHeader and must finish with
// AppendBody.
func AppendResponseHead(dst []byte, req *Msg, code int, reason string, toTag []byte) []byte {
	dst = append(dst, "SIP/2.0 "...)
	dst = strconv.AppendInt(dst, int64(code), 10)
	dst = append(dst, ' ')
	if reason == "" {
		reason = ReasonPhrase(code)
	}
	dst = append(dst, reason...)
	dst = append(dst, "\r\n"...)
	for i := range req.hdrs {
		h := &req.hdrs[i]
		switch h.id {
		case HdrVia, HdrFrom, HdrCallID, HdrCSeq:
			dst = append(dst, req.buf[h.start:h.end]...)
		case HdrTo:
			dst = appendTo(dst, req, h, code, toTag)
		}
	}
	return dst
}

func appendTo(dst []byte, req *Msg, h *hdr, code int, toTag []byte) []byte {
	if code == 100 || len(toTag) == 0 || req.ToTag() != nil {
		return append(dst, req.buf[h.start:h.end]...)
	}
	dst = append(dst, req.buf[h.start:h.valEnd]...)
	dst = append(dst, ";tag="...)
	dst = append(dst, toTag...)
	return append(dst, "\r\n"...)
}

// AppendHeader writes one header line.
func AppendHeader(dst []byte, name string, value []byte) []byte {
	dst = append(dst, name...)
	dst = append(dst, ": "...)
	dst = append(dst, value...)
	return append(dst, "\r\n"...)
}

// AppendBody writes Content-Length, the empty line and the body.
func AppendBody(dst []byte, body []byte) []byte {
	dst = append(dst, "Content-Length: "...)
	dst = strconv.AppendInt(dst, int64(len(body)), 10)
	dst = append(dst, "\r\n\r\n"...)
	return append(dst, body...)
}

// AppendResponse writes a complete body-less response to req.
func AppendResponse(dst []byte, req *Msg, code int, reason string, toTag []byte) []byte {
	return AppendBody(AppendResponseHead(dst, req, code, reason, toTag), nil)
}

// AppendCANCEL writes the CANCEL for a request this element sent
// (RFC 3261 §9.1): same Request-URI, Call-ID, From, To, CSeq number and
// Route set, and only the top Via, so it matches the same transaction.
func AppendCANCEL(dst []byte, req *Msg) []byte {
	return appendFromRequest(dst, req, nil, "CANCEL")
}

// AppendACKForNonSuccess writes the ACK a client INVITE transaction sends
// for a 300-699 response (RFC 3261 §17.1.1.3): like the INVITE, but with
// the response's To (which carries the tag) and CSeq method ACK.
func AppendACKForNonSuccess(dst []byte, invite, resp *Msg) []byte {
	return appendFromRequest(dst, invite, resp, "ACK")
}

func appendFromRequest(dst []byte, req, resp *Msg, method string) []byte {
	dst = append(dst, method...)
	dst = append(dst, ' ')
	dst = append(dst, req.RequestURIBytes()...)
	dst = append(dst, " SIP/2.0\r\n"...)
	if v, ok := req.Get(HdrVia); ok {
		top, _ := NextElem(v)
		dst = AppendHeader(dst, "Via", trimLWS(top))
	}
	dst = append(dst, "Max-Forwards: 70\r\n"...)
	for i := range req.hdrs {
		h := &req.hdrs[i]
		switch h.id {
		case HdrFrom, HdrCallID, HdrRoute:
			dst = append(dst, req.buf[h.start:h.end]...)
		case HdrTo:
			if resp == nil {
				dst = append(dst, req.buf[h.start:h.end]...)
			}
		case HdrCSeq:
			seq, _, _ := req.CSeq()
			dst = append(dst, "CSeq: "...)
			dst = strconv.AppendUint(dst, uint64(seq), 10)
			dst = append(dst, ' ')
			dst = append(dst, method...)
			dst = append(dst, "\r\n"...)
		}
	}
	if resp != nil {
		if i := resp.index(HdrTo, 0); i >= 0 {
			h := &resp.hdrs[i]
			dst = append(dst, resp.buf[h.start:h.end]...)
		}
	}
	return AppendBody(dst, nil)
}

// Request describes a request this element originates (OPTIONS probes and
// keepalives, NOTIFYs...). Zero fields are left out.
type Request struct {
	Method      string
	URI         string // Request-URI
	Via         string // complete Via value, branch included
	From, To    string // complete values, tags included
	CallID      string
	CSeq        uint32
	MaxForwards int // 0 means 70
	Contact     string
	Extra       []Field
	Body        []byte
}

// Field is a header for Request.Extra.
type Field struct{ Name, Value string }

// AppendRequest writes r.
func AppendRequest(dst []byte, r *Request) []byte {
	dst = append(dst, r.Method...)
	dst = append(dst, ' ')
	dst = append(dst, r.URI...)
	dst = append(dst, " SIP/2.0\r\n"...)
	dst = appendField(dst, "Via", r.Via)
	mf := r.MaxForwards
	if mf == 0 {
		mf = 70
	}
	dst = append(dst, "Max-Forwards: "...)
	dst = strconv.AppendInt(dst, int64(mf), 10)
	dst = append(dst, "\r\n"...)
	dst = appendField(dst, "From", r.From)
	dst = appendField(dst, "To", r.To)
	dst = appendField(dst, "Call-ID", r.CallID)
	dst = append(dst, "CSeq: "...)
	dst = strconv.AppendUint(dst, uint64(r.CSeq), 10)
	dst = append(dst, ' ')
	dst = append(dst, r.Method...)
	dst = append(dst, "\r\n"...)
	dst = appendField(dst, "Contact", r.Contact)
	for _, f := range r.Extra {
		dst = appendField(dst, f.Name, f.Value)
	}
	return AppendBody(dst, r.Body)
}

func appendField(dst []byte, name, value string) []byte {
	if value == "" {
		return dst
	}
	dst = append(dst, name...)
	dst = append(dst, ": "...)
	dst = append(dst, value...)
	return append(dst, "\r\n"...)
}

// StatelessToTag derives a To tag for a response sent without a
// transaction, from the Call-ID: a retransmitted request gets the same tag
// again, as §8.2.6.2 wants of a stateless answer.
func StatelessToTag(m *Msg) []byte {
	sum := sha256.Sum256(m.CallID())
	return hex.AppendEncode(nil, sum[:6])
}
