package lb

import (
	"net/netip"

	"github.com/sipfleet/sipfleet/internal/nat"
	"github.com/sipfleet/sipfleet/internal/sip"
)

// fwd says how to rewrite a request the LB forwards.
type fwd struct {
	in, out *sock
	src     netip.AddrPort // where the request came from
	pop     int            // own Route entries to remove
	branch  []byte         // of the LB's Via
	rr      bool           // Record-Route
	path    []byte         // a Path value to add (REGISTER), or nil
	suppath bool           // add Supported: path
	// Strict-router compatibility: toStrict names the next hop's URI when
	// it lacks ;lr (RFC 3261 §16.6 step 6), fromStrict says the previous
	// hop put the LB's URI in the Request-URI (§16.4).
	toStrict   []byte
	fromStrict bool
}

// build writes the forwarded request into w.out: the top Via records the
// real source (RFC 3261 §18.2.1, RFC 3581), the LB's own Route entries
// go (§16.12), Max-Forwards drops by one (§16.6 step 3), the LB's Via goes
// on top (§16.6 step 8), and Record-Route or Path are added. Everything
// else is copied as received.
func (lb *LB) build(w *work, m *sip.Msg, f *fwd) []byte {
	w.out = lb.edit(w, m, f).AppendTo(w.out[:0])
	return w.out
}

// edit records build's changes in w.e.
func (lb *LB) edit(w *work, m *sip.Msg, f *fwd) *sip.Editor {
	e := &w.e
	e.Reset(m)
	if f.in.side == public {
		setReceived(e, m, f.src)
	}
	switch {
	case f.toStrict != nil:
		// The strict router gets its URI as Request-URI; the old one goes
		// to the end of the route set.
		e.PopRoutes(f.pop + 1)
		e.SetRequestURI(f.toStrict)
		var b [256]byte
		e.AppendHeader("Route", append(append(append(b[:0], '<'), m.RequestURIBytes()...), '>'))
	case f.fromStrict:
		if last, ok := e.PopLastRoute(); ok {
			if n, err := sip.ParseNameAddr(last); err == nil {
				e.SetRequestURI(n.URI.Raw)
			}
		}
	case f.pop > 0:
		e.PopRoutes(f.pop)
	}
	e.DecrementMaxForwards()
	var via [160]byte
	e.PrependHeader("Via", append(append(via[:0], f.out.via...), f.branch...))
	if f.rr {
		// Double Record-Route when crossing sockets (RFC 5658): the entry
		// facing the next hop first, so each side's route set starts with
		// an address it can reach.
		if f.in != f.out {
			e.PrependHeader("Record-Route", f.out.rr)
			e.PrependHeader("Record-Route", f.in.rr)
		} else {
			e.PrependHeader("Record-Route", f.in.rrSingle)
		}
	}
	if f.path != nil {
		e.PrependHeader("Path", f.path) // RFC 3327 §5.1: on top of any others
	}
	if f.suppath {
		e.AppendHeader("Supported", []byte("path"))
	}
	if f.out.l.Proto().Stream() {
		e.EnsureContentLength()
	}
	return e
}

// setReceived adds received (and fills rport when asked for) to the top
// Via when the request did not come from where its Via says. A received
// the sender wrote itself is always replaced: the backends read the
// request's origin from it (a proxy trusts peers by it), so it must be
// the LB's word, not the sender's.
func setReceived(e *sip.Editor, m *sip.Msg, src netip.AddrPort) {
	v, err := m.TopVia()
	if err != nil {
		return
	}
	_, rport := v.RPort()
	ip := src.Addr().Unmap()
	if h, ok := nat.HostIP(v.Host); ok && h == ip && !rport && len(v.Received()) == 0 {
		return
	}
	var buf [48]byte
	port := 0
	if rport {
		port = int(src.Port())
	}
	e.SetTopViaReceived(ip.AppendTo(buf[:0]), port)
}
