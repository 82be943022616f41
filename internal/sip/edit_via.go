package sip

import "strconv"

// offsetIn returns where sub starts inside m's buffer. Every slice this
// package hands out for m is a re-slice of it, so they share the end of
// their capacity.
func (m *Msg) offsetIn(sub []byte) int32 { return int32(cap(m.buf) - cap(sub)) }

// SetTopViaReceived records where the request really came from in its top
// Via, as a server transport must (RFC 3261 §18.2.1, RFC 3581 §4):
// received is set (replaced if present) when host is not nil, and an rport
// parameter the client sent is given the value port (rport is never added
// when the client did not ask for it). It reports false when the top Via
// cannot be read.
func (e *Editor) SetTopViaReceived(host []byte, port int) bool {
	v, err := e.m.TopVia()
	if err != nil {
		return false
	}
	var recvName, recvVal, rportName, rportVal []byte
	v.Params.Each(func(name, val []byte) bool {
		switch {
		case recvName == nil && equalFold(name, "received"):
			recvName, recvVal = name, val
		case rportName == nil && equalFold(name, "rport"):
			rportName, rportVal = name, val
		}
		return true
	})
	end := e.m.offsetIn(v.Raw) + int32(len(v.Raw))
	if rportName != nil && port > 0 {
		var tmp [8]byte
		e.setParamValue(rportName, rportVal, strconv.AppendInt(tmp[:0], int64(port), 10))
	}
	if host != nil {
		if recvName != nil {
			e.setParamValue(recvName, recvVal, host)
		} else {
			e.add(end, end, []byte(";received="), host)
		}
	}
	return true
}

// setParamValue gives the parameter name (a slice of the message) the
// value val, replacing its old value or turning a flag into name=value.
func (e *Editor) setParamValue(name, old, val []byte) {
	if old != nil {
		off := e.m.offsetIn(old)
		e.add(off, off+int32(len(old)), val)
		return
	}
	end := e.m.offsetIn(name) + int32(len(name))
	e.add(end, end, []byte("="), val)
}
