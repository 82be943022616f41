package lb

import (
	"github.com/sipfleet/sipfleet/internal/sip"
	"github.com/sipfleet/sipfleet/internal/transport"
)

// request runs a received request through the LB's rules, in order.
func (lb *LB) request(w *work, p *transport.Packet, in *sock, perr error) {
	m := &w.m
	if in.side == public && !lb.screen(m, p) {
		return
	}
	if perr != nil {
		if m.CanReply() && m.Method() != sip.ACK {
			lb.reply(w, p, 400, sip.ReasonOf(perr))
		} else {
			lb.stats.inc(cDropMalformed)
		}
		return
	}
	if me := m.ValidateRequest(sip.Limits{}); me != nil {
		lb.replyError(w, p, me)
		return
	}
	rt, err := lb.readRoutes(m)
	if err != nil {
		lb.reply(w, p, 400, sip.ReasonOf(err))
		return
	}
	// Only backends may steer the LB with a Path's received= (issue 3,
	// "Not an open relay").
	if in.side == public && rt.received != nil {
		lb.deny(w, p)
		return
	}
	if lb.isKeepalive(m, &rt) {
		lb.reply(w, p, 200, "OK", [2]string{"Allow", "INVITE, ACK, CANCEL, BYE, OPTIONS, REGISTER, SUBSCRIBE, NOTIFY, REFER, MESSAGE, INFO, PRACK, UPDATE, PUBLISH"})
		return
	}
	if mf, ok, _ := m.MaxForwards(); ok && mf == 0 {
		lb.reply(w, p, 483, "Too Many Hops") // RFC 3261 §16.3 step 3
		return
	}
	switch m.Method() {
	case sip.CANCEL:
		if !lb.cancel(w, p) {
			// A stateless proxy forwards a CANCEL as it forwarded the
			// INVITE (§16.11): along the same Route set, and with the
			// same branch, since the branch is derived from the same
			// top Via, Call-ID and CSeq number.
			lb.route(w, p, in, &rt, false)
		}
		return
	case sip.ACK, sip.INVITE, sip.REGISTER, sip.OPTIONS, sip.SUBSCRIBE, sip.MESSAGE, sip.REFER, sip.PUBLISH, sip.NOTIFY, sip.INFO, sip.UPDATE, sip.PRACK, sip.BYE, sip.MethodOther:
		if lb.retransmission(w, p) {
			return
		}
	}
	outOfDialog := m.ToTag() == nil
	if outOfDialog && in.side == public && rt.total == rt.n && m.Method() != sip.ACK {
		lb.dispatch(w, p, in, &rt)
		return
	}
	lb.route(w, p, in, &rt, outOfDialog)
}

// screen applies the public side's protection: flood limit and known
// scanners, both dropped without a reply (a reply only confirms a target).
func (lb *LB) screen(m *sip.Msg, p *transport.Packet) bool {
	if lb.opt.Limiter != nil && !lb.opt.Limiter.Allow(p.Src.Addr(), lb.now()) {
		lb.stats.inc(cDropPike)
		return false
	}
	if lb.opt.IsScanner != nil {
		if ua, ok := m.Get(sip.HdrUserAgent); ok && lb.opt.IsScanner(ua) {
			lb.stats.inc(cDropScanner)
			return false
		}
	}
	return true
}

// isKeepalive reports an OPTIONS for the LB itself: no user part, the
// Request-URI names the LB, and no Route beyond the LB's own. Monitoring
// systems and SBCs expect a 200.
func (lb *LB) isKeepalive(m *sip.Msg, rt *ownRoutes) bool {
	if m.Method() != sip.OPTIONS || rt.total > rt.n {
		return false
	}
	u, err := m.RequestURI()
	return err == nil && len(u.User) == 0 && lb.ownsURI(&u)
}

func (lb *LB) deny(w *work, p *transport.Packet) {
	lb.stats.inc(cRelayDenied)
	lb.reply(w, p, 403, "Relaying Forbidden")
}

// route sends a request along its Route set or to its Request-URI
// (loose routing, RFC 3261 §16.4 and §16.12): in-dialog requests from
// either side, and requests from the backends (which may name a Path's
// received= address).
func (lb *LB) route(w *work, p *transport.Packet, in *sock, rt *ownRoutes, outOfDialog bool) {
	m := &w.m
	strictIn := lb.fromStrictRouter(m, rt)
	t, ok := lb.nextHop(m, in, rt, strictIn)
	if !ok {
		lb.unroutable(w, p)
		return
	}
	if lb.isSelf(t) {
		lb.unroutable(w, p) // addressed to the LB itself, and not a keepalive
		return
	}
	if in.side == public && !lb.backend.isBackend(t.addr) && !lb.peers[t.addr] {
		lb.deny(w, p)
		return
	}
	out := lb.outSock(t)
	if out == nil {
		lb.unroutable(w, p)
		return
	}
	f := fwd{in: in, out: out, src: p.Src, pop: rt.n, fromStrict: strictIn}
	if rt.hasNext && !rt.next.LR() && rt.received == nil && !strictIn {
		f.toStrict = rt.next.Raw
	}
	// A dialog-creating request the LB did not dispatch (a backend's call
	// to a phone or a peer) is Record-Routed too, so the phone's in-dialog
	// requests come back through the LB that can reach the backend.
	f.rr = outOfDialog && recordRoutes(m.Method())
	// A stateless forward's branch is the MAC of attempt 0 for the socket
	// the request came in on: for socket 0, the flight key itself.
	key, ok := lb.requestKey(w)
	if !ok {
		lb.unroutable(w, p)
		return
	}
	if in.idx != 0 {
		top, _ := m.TopVia()
		seq, _, _ := m.CSeq()
		key = lb.sign.mac(&top, m.CallID(), seq, 0, in.idx)
	}
	var branch [40]byte
	f.branch = appendBranch(branch[:0], key, 0, in.idx)
	b := lb.build(w, m, &f)
	lb.stats.inc(cForwarded)
	lb.send(w, out, t, b)
}

// fromStrictRouter: the Request-URI is the LB's own Record-Route URI and
// a Route set follows, so the previous hop was a strict router
// (RFC 3261 §16.4) and the real Request-URI is the last Route value.
func (lb *LB) fromStrictRouter(m *sip.Msg, rt *ownRoutes) bool {
	if rt.n > 0 || rt.total == 0 {
		return false
	}
	u, err := m.RequestURI()
	return err == nil && lb.ownsURI(&u)
}

func lastRoute(m *sip.Msg) (sip.URI, bool) {
	var last sip.URI
	ok := false
	_ = m.NameAddrs(sip.HdrRoute, func(n sip.NameAddr) bool {
		last, ok = n.URI, true
		return true
	})
	return last, ok
}

// nextHop finds where a routed request goes: the received= of the LB's own
// Path entry (backends only), else the first Route after the LB's own,
// else the Request-URI.
func (lb *LB) nextHop(m *sip.Msg, in *sock, rt *ownRoutes, strictIn bool) (target, bool) {
	if rt.received != nil && in.side == private {
		return receivedTarget(rt.received)
	}
	if strictIn {
		last, ok := lastRoute(m)
		if !ok {
			return target{}, false
		}
		return lb.uriTarget(&last)
	}
	if rt.hasNext {
		return lb.uriTarget(&rt.next)
	}
	u, err := m.RequestURI()
	if err != nil || !u.IsSIP() {
		return target{}, false
	}
	return lb.uriTarget(&u)
}

func (lb *LB) unroutable(w *work, p *transport.Packet) {
	lb.stats.inc(cDropUnroutable)
	if w.m.Method() != sip.ACK {
		lb.reply(w, p, 404, "Not Found")
	}
}

// recordRoutes says which initial requests the LB stays in the path of:
// everything that may create a dialog or be answered from one.
func recordRoutes(meth sip.Method) bool {
	switch meth {
	case sip.REGISTER, sip.CANCEL, sip.ACK, sip.OPTIONS, sip.PUBLISH:
		return false
	}
	return true
}

// isSelf reports a target that is one of the LB's own sockets.
func (lb *LB) isSelf(t target) bool {
	for _, s := range lb.socks().all {
		if s.l.Addr() == t.addr {
			return true
		}
	}
	return false
}

// send puts a message on the wire toward t out of s. On a read loop's
// path (w.p set) a UDP send joins the loop's batch: one sendmmsg for all
// the datagrams one recvmmsg brought in.
func (lb *LB) send(w *work, s *sock, t target, b []byte) {
	var err error
	if s.l.Proto() == transport.UDP {
		err = lb.tr.SendUDPBatched(w.p, s.udp, t.addr, b)
	} else {
		_, err = lb.tr.SendStream(lb.ctx(), s.l, t.addr, b)
	}
	if err != nil {
		lb.stats.inc(cSendErrors)
	}
}
