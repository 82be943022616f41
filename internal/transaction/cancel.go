package transaction

import "github.com/sipfleet/sipfleet/internal/sip"

// Cancel cancels a pending INVITE (§9.1): it builds the CANCEL from the
// INVITE and starts a non-INVITE client transaction for it, to the same
// destination through the same send function, whose events go to tu.
//
// §9.1 forbids sending the CANCEL before a provisional response has
// arrived; in Calling, Cancel records the request and the CANCEL leaves
// with the first provisional (or never, if a final response or Timer B
// comes first); should that CANCEL fail to start, tu.OnError receives the
// INVITE transaction and the error. It returns ErrNotCancellable for a non-INVITE or once a
// final response has arrived.
func (tx *ClientTx) Cancel(tu ClientTU) error {
	if tu == nil {
		tu = ClientFuncs{}
	}
	tx.sh.mu.Lock()
	state := tx.state
	switch {
	case !tx.invite || state != Calling && state != Proceeding:
		tx.sh.mu.Unlock()
		return ErrNotCancellable
	case state == Calling:
		tx.cancelTU = tu
		tx.sh.mu.Unlock()
		return nil
	}
	req := tx.req
	tx.sh.mu.Unlock()
	_, err := tx.startCancel(req, tu)
	return err
}

// startCancel sends the CANCEL for invite as a client transaction of its
// own and bounds the INVITE's wait for its final response: §9.1 lets the
// client consider it cancelled 64*T1 after the CANCEL.
func (tx *ClientTx) startCancel(invite []byte, tu ClientTU) (*ClientTx, error) {
	m := tx.l.scratchMsg(invite)
	b := sip.AppendCANCEL(nil, m)
	tx.l.putMsg(m)
	c, err := tx.l.NewClientTx(b, tx.send, tx.reliable, tu)
	if err != nil {
		return nil, err
	}
	tx.sh.mu.Lock()
	if tx.state == Proceeding && !tx.tmo.armed {
		tx.sh.wheel.start(&tx.tmo, tx.l.ticks.timeout64)
	}
	tx.sh.mu.Unlock()
	return c, nil
}

// sendDeferredCancel sends the CANCEL that Cancel recorded in Calling, now
// that a provisional has arrived.
func (tx *ClientTx) sendDeferredCancel() {
	tx.sh.mu.Lock()
	tu, req := tx.cancelTU, tx.req
	tx.cancelTU = nil
	tx.sh.mu.Unlock()
	if tu == nil || req == nil {
		return
	}
	if _, err := tx.startCancel(req, tu); err != nil {
		tu.OnError(tx, err)
	}
}
