package lb

import (
	"errors"

	"github.com/sipfleet/sipfleet/internal/dispatcher"
	"github.com/sipfleet/sipfleet/internal/nat"
	"github.com/sipfleet/sipfleet/internal/sip"
	"github.com/sipfleet/sipfleet/internal/transaction"
	"github.com/sipfleet/sipfleet/internal/transport"
)

// dispatch sends an initial request from the public side to a backend
// chosen by the dispatcher: REGISTER to the registrar set, everything
// else to the proxy set. A client transaction watches the attempt so that
// a timeout or a failover status tries the next destination.
func (lb *LB) dispatch(w *work, p *transport.Packet, in *sock, rt *ownRoutes) {
	m := &w.m
	set := lb.opt.ProxySet
	if m.Method() == sip.REGISTER {
		set = lb.opt.RegistrarSet
	}
	key, ok := lb.requestKey(w)
	if !ok {
		lb.unroutable(w, p)
		return
	}
	cur, err := lb.disp.Select(set, lb.opt.Algorithm, lb.selectKey(m))
	if err != nil {
		lb.noDestination(w, p)
		return
	}
	f := &flight{key: key, lb: lb, in: in, src: p.Src, cur: cur, rt: *rt}
	if old := lb.flights.add(f); old != nil {
		return // a retransmission racing the first copy
	}
	f.req, f.method = m.Clone(), m.Method()
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.next(w) {
		lb.flights.remove(f)
		lb.noDestination(w, p)
	}
}

func (lb *LB) noDestination(w *work, p *transport.Packet) {
	lb.stats.inc(cNoDestination)
	lb.reply(w, p, 503, "Service Unavailable", [2]string{"Retry-After", "5"})
}

// selectKey is the part of the request the algorithm hashes.
func (lb *LB) selectKey(m *sip.Msg) []byte {
	switch lb.opt.Algorithm.Key() {
	case dispatcher.KeyCallID:
		return m.CallID()
	case dispatcher.KeyFromURI:
		if n, err := m.From(); err == nil {
			return n.URI.Raw
		}
	case dispatcher.KeyToURI:
		if n, err := m.To(); err == nil {
			return n.URI.Raw
		}
	case dispatcher.KeyRURI:
		return m.RequestURIBytes()
	case dispatcher.KeyRURIUser:
		if u, err := m.RequestURI(); err == nil {
			return u.User
		}
	}
	return nil
}

// next starts the next attempt. It reports false when no destination is
// left. f.mu is held.
func (f *flight) next(w *work) bool {
	lb := f.lb
	if f.req == nil {
		return false // answered already
	}
	for f.attempt < lb.opt.MaxFailover && f.attempt < 15 {
		dst, ok := f.cur.Next()
		if !ok {
			return false
		}
		t, ok := lb.backend.target(dst)
		out := lb.outSock(t)
		if !ok || out == nil {
			lb.disp.ReportFailure(dst, errors.New("destination cannot be reached from any listener"))
			continue
		}
		f.attempt++
		f.dst = dst
		var branch [40]byte // stays on the stack: the transaction copies it into its key
		req, id := lb.buildAttempt(w, f, out, t, &branch)
		send := lb.sendFunc(out, t, f)
		// The first send happens inside NewClientTxBuilt: on a read loop
		// it joins the loop's batch of sends (see sendFunc).
		f.firstSend.Store(w.p)
		tx, err := lb.txl.NewClientTxBuilt(req, id, send, out.l.Proto().Stream(), f)
		f.firstSend.Store(nil)
		if err != nil {
			lb.disp.ReportFailure(dst, err)
			lb.stats.inc(cSendErrors)
			continue
		}
		f.tx = tx
		lb.stats.inc(cForwarded)
		return true
	}
	return false
}

// buildAttempt writes the request for the current attempt into a buffer
// of its own, which the client transaction keeps: it is built from the
// parsed f.req with a branch chosen here, so the transaction is told the
// method and branch instead of copying and parsing the request again.
func (lb *LB) buildAttempt(w *work, f *flight, out *sock, t target, branch *[40]byte) ([]byte, transaction.RequestID) {
	m := f.req
	v, _ := m.TopVia()
	seq, _, _ := m.CSeq()
	fw := fwd{in: f.in, out: out, src: f.src, pop: f.rt.n}
	fw.branch = appendBranch(branch[:0], lb.sign.mac(&v, m.CallID(), seq, f.attempt, f.in.idx), f.attempt, f.in.idx)
	if m.Method() == sip.REGISTER {
		fw.path = lb.pathValue(w, m, f, out)
		fw.suppath = !m.HasOptionTag(sip.HdrSupported, "path")
	} else {
		fw.rr = recordRoutes(m.Method())
	}
	e := lb.edit(w, m, &fw)
	return e.AppendTo(make([]byte, 0, e.Len())),
		transaction.RequestID{Method: m.Method(), MethodToken: m.MethodBytes(), Branch: fw.branch}
}

// pathValue is the Path URI for a REGISTER (RFC 3327): the LB's socket
// facing the registrar, with ;received= when configured (Kamailio's
// add_path_received) and ;ob when the UA registers a flow (RFC 5626 §5.1).
func (lb *LB) pathValue(w *work, m *sip.Msg, f *flight, out *sock) []byte {
	b := append(w.tmp[:0], '<')
	b = append(b, out.uri...)
	addReceived := lb.opt.PathReceived == ReceivedAlways ||
		(lb.opt.PathReceived == ReceivedWhenNAT && nat.Detect(m, f.src, lb.opt.NATTests) != 0)
	if addReceived {
		b = append(b, ";received="...)
		b = nat.AppendReceived(b, f.src, f.in.l.Proto().String())
	}
	if wantsOutbound(m) {
		b = append(b, ";ob"...)
	}
	return append(b, '>')
}

// wantsOutbound: the UA supports outbound and registers a flow (a Contact
// with reg-id), RFC 5626 §5.1.
func wantsOutbound(m *sip.Msg) bool {
	if !m.HasOptionTag(sip.HdrSupported, "outbound") {
		return false
	}
	flow := false
	_ = m.NameAddrs(sip.HdrContact, func(n sip.NameAddr) bool {
		flow = n.Params.Has("reg-id")
		return !flow
	})
	return flow
}

// sendFunc binds a transaction to its socket and destination.
func (lb *LB) sendFunc(out *sock, t target, f *flight) transaction.SendFunc {
	if out.l.Proto() == transport.UDP {
		if f == nil {
			return func(b []byte) error { return lb.tr.SendUDP(out.udp, t.addr, b) }
		}
		return func(b []byte) error {
			if p := f.firstSend.Load(); p != nil {
				return lb.tr.SendUDPBatched(p, out.udp, t.addr, b)
			}
			return lb.tr.SendUDP(out.udp, t.addr, b)
		}
	}
	return func(b []byte) error {
		_, err := lb.tr.SendStream(lb.ctx(), out.l, t.addr, b)
		return err
	}
}
