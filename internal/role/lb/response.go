package lb

import (
	"github.com/sipfleet/sipfleet/internal/sip"
	"github.com/sipfleet/sipfleet/internal/transport"
)

// response handles a response from either side. Only responses to
// requests the LB forwarded are relayed: the top Via must name the LB and
// carry a branch the LB signed for the Via below it. Those belonging to a
// flight go through its transaction (which may fail over); the rest are
// relayed statelessly.
func (lb *LB) response(w *work, p *transport.Packet, perr error) {
	m := &w.m
	if perr != nil || m.ValidateResponse() != nil {
		lb.stats.inc(cDropMalformed)
		return
	}
	attempt, prev, ok := lb.ours(m)
	if !ok {
		lb.stats.inc(cDropForged)
		return
	}
	if attempt > 0 && lb.txl.HandleResponse(m) {
		return
	}
	lb.relayTo(w, m, &prev)
}

// ours checks the top two Vias of a response: the first must be the LB's
// with a branch computed from the second.
func (lb *LB) ours(m *sip.Msg) (attempt int, prev sip.Via, ok bool) {
	var top sip.Via
	n := 0
	err := m.Vias(func(v sip.Via) bool {
		if n == 0 {
			top = v
		} else {
			prev = v
		}
		n++
		return n < 2
	})
	if err != nil || n == 0 || !lb.ownsVia(&top) {
		return 0, prev, false
	}
	if n == 1 { // a response to the LB's own probe
		attempt, mac, ok := parseBranch(top.Branch())
		return attempt, prev, ok && attempt == probeAttempt && mac == lb.sign.probeMAC(m.CallID())
	}
	seq, _, _ := m.CSeq()
	attempt, ok = lb.sign.verify(&top, &prev, m.CallID(), seq)
	return attempt, prev, ok
}

func (lb *LB) ownsVia(v *sip.Via) bool {
	for _, s := range lb.socks().all {
		if s.owns(v.Host, v.Port) {
			return true
		}
	}
	return false
}

// relayResponse pops the LB's Via and sends the response to the next Via
// (RFC 3261 §16.7 step 3, §18.2.2; RFC 3581). It returns what it sent and
// where, for a flight to resend on a retransmitted request.
func (lb *LB) relayResponse(w *work, m *sip.Msg) ([]byte, target, *sock) {
	var next sip.Via
	n := 0
	if err := m.Vias(func(v sip.Via) bool {
		next = v
		n++
		return n < 2
	}); err != nil || n < 2 {
		lb.stats.inc(cDropUnroutable)
		return nil, target{}, nil
	}
	return lb.relayTo(w, m, &next)
}

// relayTo relays m, whose Via below the LB's is next.
func (lb *LB) relayTo(w *work, m *sip.Msg, next *sip.Via) ([]byte, target, *sock) {
	t, ok := viaTarget(next)
	out := lb.outSock(t)
	if !ok || out == nil {
		lb.stats.inc(cDropUnroutable)
		return nil, target{}, nil
	}
	e := &w.e
	e.Reset(m)
	e.PopVia()
	if out.l.Proto().Stream() {
		e.EnsureContentLength()
	}
	w.out = e.AppendTo(w.out[:0])
	lb.send(out, t, w.out)
	lb.stats.inc(cRelayed)
	return w.out, t, out
}
