package transaction

import "github.com/sipfleet/sipfleet/internal/sip"

// The INVITE client transaction: RFC 3261 §17.1.1, Figure 5, as corrected
// by RFC 6026, Figure 5 (a 2xx leads to Accepted, not Terminated).
//
//	Calling    --Timer A--> Calling (resend, A doubles), unreliable only
//	Calling    --Timer B--> Terminated, TU informed
//	Calling, Proceeding --1xx--> Proceeding, to TU
//	Calling, Proceeding --2xx--> Accepted (Timer M = 64*T1), to TU
//	Calling, Proceeding --300-699--> Completed (ACK sent, Timer D), to TU
//	Completed  --300-699--> Completed (ACK resent, not to TU)
//	Accepted   --2xx--> Accepted, to TU
//	Completed  --Timer D--> Terminated;  Accepted --Timer M--> Terminated

// inviteResponse handles a response that matched this transaction.
func (tx *ClientTx) inviteResponse(m *sip.Msg, fx *effects) {
	code := m.StatusCode()
	switch tx.state {
	case Calling, Proceeding:
	case Completed:
		if code >= 300 {
			// §17.1.1.2: a retransmitted final: the ACK was lost.
			fx.sendClient(tx, tx.ack)
		}
		return
	case Accepted:
		if code/100 == 2 {
			tx.toTU(m, fx) // RFC 6026, Figure 5: every 2xx reaches the TU
		}
		return
	default:
		return
	}
	w := &tx.sh.wheel
	switch {
	case code < 200:
		// Proceeding: no more retransmissions, and Timer B no longer
		// applies (§17.1.1.2); a proxy runs its own Timer C.
		tx.state = Proceeding
		w.stop(&tx.retx)
		w.stop(&tx.tmo)
		tx.toTU(m, fx)
		if tx.cancelTU != nil {
			fx.add(effect{op: opCancel, ctx: tx})
		}
	case code < 300:
		tx.state = Accepted
		tx.cancelTU = nil
		tx.req = nil // nothing more is sent for it: no retransmission, no ACK, no CANCEL
		w.stop(&tx.retx)
		w.start(&tx.tmo, tx.l.ticks.m) // Timer M (RFC 6026, Figure 5)
		tx.toTU(m, fx)
	default:
		tx.state = Completed
		tx.cancelTU = nil
		w.stop(&tx.retx)
		tx.ack = tx.buildACK(m)
		tx.req = nil // the ACK is built; the request is never sent again
		fx.sendClient(tx, tx.ack)
		tx.toTU(m, fx)
		if tx.reliable {
			tx.terminate(fx) // Timer D is 0 on a reliable transport
			return
		}
		w.start(&tx.tmo, tx.l.ticks.d) // Timer D
	}
}

// buildACK builds the ACK for the non-2xx final resp (§17.1.1.3).
func (tx *ClientTx) buildACK(resp *sip.Msg) []byte {
	inv := tx.l.scratchMsg(tx.req)
	defer tx.l.putMsg(inv)
	return sip.AppendACKForNonSuccess(make([]byte, 0, ackSize(inv, resp)), inv, resp)
}

// ackSize bounds the ACK's length, so it is built in one allocation that
// keeps no spare capacity alive through Timer D.
func ackSize(inv, resp *sip.Msg) int {
	n := len("ACK  SIP/2.0\r\nMax-Forwards: 70\r\nCSeq: 4294967295 ACK\r\nContent-Length: 0\r\n\r\n")
	n += len(inv.RequestURIBytes())
	seenVia := false
	for i := range inv.NumHeaders() {
		switch h := inv.HeaderAt(i); h.ID {
		case sip.HdrVia:
			if !seenVia {
				n += len(h.Raw) // the top Via is at most its whole line
				seenVia = true
			}
		case sip.HdrFrom, sip.HdrCallID, sip.HdrRoute:
			n += len(h.Raw)
		}
	}
	to, _ := resp.Get(sip.HdrTo)
	return n + len("To: \r\n") + len(to) + 8
}

// inviteTimer handles Timers A, B, D and M.
func (tx *ClientTx) inviteTimer(k timerKind, fx *effects) {
	switch {
	case k == timerRetransmit && tx.state == Calling:
		// Timer A: resend, doubling without cap (§17.1.1.2).
		fx.sendClient(tx, tx.req)
		tx.interval *= 2
		tx.sh.wheel.start(&tx.retx, tx.interval)
	case k == timerTimeout && tx.state == Calling:
		tx.l.log.Debug("client transaction timed out", "timer", "B")
		tx.fail(errTimerB, fx) // Timer B
	case k == timerTimeout && tx.state == Proceeding:
		// Cancelled 64*T1 ago and still no final response (§9.1).
		tx.fail(errCancelTimeout, fx)
	case k == timerTimeout && (tx.state == Completed || tx.state == Accepted):
		tx.terminate(fx) // Timer D or M
	}
}
