package lb

import (
	"bytes"

	"github.com/sipfleet/sipfleet/internal/sip"
	"github.com/sipfleet/sipfleet/internal/transport"
)

// response handles a response from either side. Only responses to
// requests the LB forwarded are relayed: the top Via must name the LB and
// carry a branch the LB signed for the Via below it. Those belonging to a
// flight go through its transaction (which may fail over); the rest are
// relayed statelessly. Answers to the NAT pinger's keepalives, which it
// sends as the LB, end here, counted apart (see unsigned).
func (lb *LB) response(w *work, p *transport.Packet, perr error) {
	m := &w.m
	if perr != nil || m.ValidateResponse() != nil {
		lb.stats.inc(cDropMalformed)
		return
	}
	tag, prev, n, ok := lb.ours(w, m)
	if !ok {
		lb.stats.inc(lb.unsigned(m))
		return
	}
	// The transaction layer only matches branches of the LB's own client
	// transactions (failover attempts, probes, the LB's CANCELs), so it is
	// the gatekeeper for the responses that have no Via below the LB's.
	if tag.attempt > 0 && lb.txl.HandleResponseArg(m, w) {
		return
	}
	if n < 2 {
		lb.stats.inc(cDropUnroutable)
		return
	}
	lb.relayTo(w, m, &prev, tag.sock)
}

// ours checks the top Vias of a response: the first must be the LB's with
// a branch computed from the second. A response with only the LB's Via
// answers a request the LB originated (a probe, or the CANCEL of a
// failover attempt); its branch must at least be well-formed, and the
// transaction layer decides whether it was sent. The verdict is kept in w
// for the message w holds: a response that goes through a flight's
// transaction comes back to relayResponse, which would check it again.
func (lb *LB) ours(w *work, m *sip.Msg) (tag branchTag, prev sip.Via, n int, ok bool) {
	if c := &w.ours; c.m == m {
		return c.tag, c.prev, c.n, c.ok
	}
	tag, prev, n, ok = lb.checkOurs(m)
	if m == &w.m {
		w.ours = oursCache{m: m, tag: tag, prev: prev, n: n, ok: ok}
	}
	return tag, prev, n, ok
}

func (lb *LB) checkOurs(m *sip.Msg) (tag branchTag, prev sip.Via, n int, ok bool) {
	// The top Via is parsed once per message (validation has done it);
	// only the one below is parsed here.
	top, err := m.TopVia()
	if err != nil {
		return tag, prev, 0, false
	}
	prev, second, err := m.SecondVia()
	if err != nil || !lb.ownsVia(&top) {
		return tag, prev, 0, false
	}
	if !second {
		tag, mac, ok := parseBranch(top.Branch())
		if ok && tag.attempt == probeAttempt {
			ok = mac == lb.sign.probeMAC(m.CallID())
		}
		return tag, prev, 1, ok && tag.attempt > 0
	}
	seq, _, _ := m.CSeq()
	tag, ok = lb.sign.verify(&top, &prev, m.CallID(), seq)
	return tag, prev, 2, ok
}

// natpingBranch starts the branch of the NAT pinger's keepalive OPTIONS
// (natping.BranchPrefix; roles do not import each other, so a test on
// each side pins the literal).
const natpingBranch = "z9hG4bK-sfping-"

// unsigned says which counter a response the LB did not sign goes to. The
// NAT pinger sends its OPTIONS as the LB (DESIGN.md, "natping"), so the
// phones' answers arrive here with the LB's address as their only Via:
// those are expected and dropped quietly under their own counter, never
// relayed, never logged. Anything else is forged. This runs only for
// responses already refused, so it costs signed traffic nothing.
func (lb *LB) unsigned(m *sip.Msg) counter {
	var top sip.Via
	n := 0
	err := m.Vias(func(v sip.Via) bool {
		top = v
		n++
		return n < 2
	})
	if err == nil && n == 1 && bytes.HasPrefix(top.Branch(), []byte(natpingBranch)) && lb.ownsVia(&top) {
		return cNATPingReplies
	}
	return cDropForged
}

func (lb *LB) ownsVia(v *sip.Via) bool {
	for _, s := range lb.socks().all {
		if s.owns(v.Host, v.Port) {
			return true
		}
	}
	return false
}

// relayResponse relays a response a flight's transaction passed up.
func (lb *LB) relayResponse(w *work, m *sip.Msg) ([]byte, target, *sock) {
	tag, prev, n, ok := lb.ours(w, m)
	if !ok || n < 2 {
		lb.stats.inc(cDropUnroutable)
		return nil, target{}, nil
	}
	return lb.relayTo(w, m, &prev, tag.sock)
}

// relayTo pops the LB's Via and sends the response to the next one
// (RFC 3261 §16.7 step 3, §18.2.2; RFC 3581) out of the socket the request
// came in on (sockIdx, from the branch). It returns what it sent and
// where, for a flight to resend on a retransmitted request.
func (lb *LB) relayTo(w *work, m *sip.Msg, next *sip.Via, sockIdx int) ([]byte, target, *sock) {
	t, ok := viaTarget(next)
	all := lb.socks().all
	if !ok || sockIdx >= len(all) {
		lb.stats.inc(cDropUnroutable)
		return nil, target{}, nil
	}
	out := all[sockIdx]
	if out.l.Proto() != t.proto {
		out = lb.outSock(t) // the Via names another transport (rare)
		if out == nil {
			lb.stats.inc(cDropUnroutable)
			return nil, target{}, nil
		}
	}
	e := &w.e
	e.Reset(m)
	e.PopVia()
	if out.l.Proto().Stream() {
		e.EnsureContentLength()
	}
	w.out = e.AppendTo(w.out[:0])
	lb.send(w, out, t, w.out)
	lb.stats.inc(cRelayed)
	return w.out, t, out
}
