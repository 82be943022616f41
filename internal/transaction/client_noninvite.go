package transaction

import "github.com/sipfleet/sipfleet/internal/sip"

// The non-INVITE client transaction: RFC 3261 §17.1.2, Figure 6.
//
//	Trying     --Timer E--> Trying (resend, E = min(2E, T2)), unreliable only
//	Trying     --1xx--> Proceeding, to TU
//	Proceeding --Timer E--> Proceeding (resend, E = T2)
//	Trying, Proceeding --200-699--> Completed (Timer K = T4, 0 if reliable), to TU
//	Trying, Proceeding --Timer F--> Terminated, TU informed
//	Completed  --Timer K--> Terminated

// nonInviteResponse handles a response that matched this transaction.
func (tx *ClientTx) nonInviteResponse(m *sip.Msg, fx *effects) {
	if tx.state != Trying && tx.state != Proceeding {
		return // Completed absorbs retransmitted finals (§17.1.2.2)
	}
	tx.toTU(m, fx)
	if m.StatusCode() < 200 {
		tx.state = Proceeding
		return
	}
	tx.state = Completed
	tx.req = nil // Completed only absorbs retransmitted finals
	w := &tx.sh.wheel
	w.stop(&tx.retx)
	if tx.reliable {
		tx.terminate(fx) // Timer K is 0 on a reliable transport
		return
	}
	w.start(&tx.tmo, tx.l.ticks.t4) // Timer K
}

// nonInviteTimer handles Timers E, F and K.
func (tx *ClientTx) nonInviteTimer(k timerKind, fx *effects) {
	switch {
	case k == timerRetransmit && (tx.state == Trying || tx.state == Proceeding):
		fx.sendClient(tx, tx.req)
		if tx.state == Trying {
			tx.interval = min(2*tx.interval, tx.l.ticks.t2)
		} else {
			tx.interval = tx.l.ticks.t2
		}
		tx.sh.wheel.start(&tx.retx, tx.interval)
	case k == timerTimeout && (tx.state == Trying || tx.state == Proceeding):
		tx.l.log.Debug("client transaction timed out", "timer", "F")
		tx.fail(errTimerF, fx) // Timer F
	case k == timerTimeout && tx.state == Completed:
		tx.terminate(fx) // Timer K
	}
}
