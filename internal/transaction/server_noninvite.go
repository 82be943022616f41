package transaction

// The non-INVITE server transaction: RFC 3261 §17.2.2, Figure 8.
//
//	Trying     --1xx--> Proceeding
//	Trying, Proceeding --200-699--> Completed (Timer J = 64*T1, 0 if reliable)
//	Completed  --Timer J--> Terminated
//
// Request retransmissions are discarded in Trying and answered with the
// last response in Proceeding and Completed (onRetransmission).

// nonInviteResponse handles a response from the TU.
func (tx *ServerTx) nonInviteResponse(b []byte, code int, fx *effects) error {
	switch tx.state {
	case Trying, Proceeding:
	default:
		return tx.finishedErr(tx.state)
	}
	fx.sendServer(tx, b)
	tx.last = b
	if code < 200 {
		tx.state = Proceeding
		return nil
	}
	tx.state = Completed
	tx.req = nil
	if tx.reliable {
		tx.terminate() // Timer J is 0 on a reliable transport
		return nil
	}
	tx.startTimeout(tx.l.ticks.timeout64) // Timer J
	return nil
}
