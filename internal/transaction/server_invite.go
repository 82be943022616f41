package transaction

// The INVITE server transaction: RFC 3261 §17.2.1, Figure 7, as corrected
// by RFC 6026, Figure 7 (a 2xx leads to Accepted, not Terminated).
//
//	Proceeding --1xx--> Proceeding
//	Proceeding --2xx--> Accepted   (Timer L = 64*T1)
//	Proceeding --300-699--> Completed (Timer G if unreliable, Timer H = 64*T1)
//	Completed  --ACK--> Confirmed  (Timer I = T4, 0 if reliable)
//	Completed  --Timer H--> Terminated, TU informed
//	Confirmed  --Timer I--> Terminated
//	Accepted   --Timer L--> Terminated

// inviteResponse handles a response from the TU.
func (tx *ServerTx) inviteResponse(b []byte, code int, fx *effects) error {
	w := &tx.sh.wheel
	switch tx.state {
	case Proceeding:
	case Accepted:
		if code/100 != 2 {
			return ErrFinalSent
		}
		// RFC 6026, Figure 7: 2xx from the TU in Accepted are sent, not kept.
		fx.sendServer(tx, b)
		return nil
	default:
		return tx.finishedErr(tx.state)
	}
	fx.sendServer(tx, b)
	tx.last = b
	switch {
	case code < 200:
		if tx.retx.kind == timerTrying {
			w.stop(&tx.retx) // the TU answered: no 100 Trying on its behalf
		}
	case code < 300:
		// The 2xx is the TU's to retransmit (§13.3.1.4); the transaction
		// absorbs INVITE retransmissions until Timer L (RFC 6026, Figure 7).
		tx.state = Accepted
		tx.req = nil
		w.stop(&tx.retx)
		tx.startTimeout(tx.l.ticks.timeout64)
	default:
		tx.state = Completed
		tx.req = nil
		w.stop(&tx.retx)
		if !tx.reliable {
			tx.interval = tx.l.ticks.t1 // Timer G (§17.2.1)
			tx.retx.kind = timerRetransmit
			w.start(&tx.retx, tx.interval)
		}
		tx.startTimeout(tx.l.ticks.timeout64) // Timer H
	}
	return nil
}

func (tx *ServerTx) startTimeout(ticks int64) {
	tx.tmo.kind = timerTimeout
	tx.sh.wheel.start(&tx.tmo, ticks)
}

// onRetransmission answers a retransmitted request (§17.2.1, §17.2.2).
func (tx *ServerTx) onRetransmission(fx *effects) {
	switch tx.state {
	case Proceeding, Completed:
		// The most recent provisional, or the final; nothing before the
		// TU's (or our 100 Trying's) first response.
		if tx.last != nil {
			fx.sendServer(tx, tx.last)
		}
	}
	// Trying (non-INVITE): discard (§17.2.2). Accepted: absorb (RFC 6026
	// §7.1). Confirmed: absorb.
}

// onACK handles an ACK that matched this INVITE transaction. It returns
// false when the ACK belongs to the TU.
func (tx *ServerTx) onACK(fx *effects) bool {
	switch tx.state {
	case Completed:
		// §17.2.1: the ACK for a non-2xx ends retransmissions; Confirmed
		// absorbs the ACK's own retransmissions for T4.
		tx.state = Confirmed
		tx.sh.wheel.stop(&tx.retx)
		if tx.reliable {
			tx.terminate()
			return true
		}
		tx.startTimeout(tx.l.ticks.t4) // Timer I
		return true
	case Accepted:
		return false // ACK for the 2xx: to the TU (RFC 6026, Figure 7)
	}
	return true
}

// inviteTimer handles Timers G, H, I, L and the 100 Trying timer.
func (tx *ServerTx) inviteTimer(k timerKind, fx *effects) {
	switch {
	case k == timerTrying && tx.state == Proceeding && tx.last == nil:
		// §17.2.1: the TU has not answered within 200 ms.
		tx.last = buildResponse(tx.req, 100, "Trying", nil)
		fx.sendServer(tx, tx.last)
	case k == timerRetransmit && tx.state == Completed:
		// Timer G: retransmit, doubling up to T2.
		fx.sendServer(tx, tx.last)
		tx.interval = min(2*tx.interval, tx.l.ticks.t2)
		tx.sh.wheel.start(&tx.retx, tx.interval)
	case k == timerTimeout && tx.state == Completed:
		// Timer H: the ACK never came.
		tx.terminate()
		tx.l.log.Debug("server transaction timed out", "timer", "H")
		fx.add(effect{op: opServerError, stx: tx, err: errTimerH})
	case k == timerTimeout:
		tx.terminate() // Timer I (Confirmed) or L (Accepted)
	}
}
