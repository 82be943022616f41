package transaction

import (
	"github.com/sipfleet/sipfleet/internal/sip"
)

// ServerTx is a server transaction (RFC 3261 §17.2): it delivers its
// request to the TU once, sends the TU's responses, answers request
// retransmissions with the last response, retransmits non-2xx finals to an
// INVITE until the ACK, and absorbs that ACK. All methods are safe for
// concurrent use.
type ServerTx struct {
	l        *Layer
	sh       *shard
	key      string
	send     SendFunc
	method   sip.Method
	invite   bool
	reliable bool
	rfc2543  bool
	state    State

	// req is the transaction's own copy of the request, dropped at the
	// final response: a transaction lingering in Completed (Timer J: 32 s
	// on UDP) keeps only what it retransmits.
	req    *sip.Msg
	last   []byte // last response sent, never modified once sent
	tag    []byte // To tag that Respond adds (§8.2.6.2), in tagBuf
	tagBuf [tagLen]byte

	reqToTag, respToTag []byte // RFC 2543 matching only
	interval            int64  // Timer G, in ticks
	value               any
	retx, tmo           timer
}

// HandleRequest passes a received request to the transaction layer. m may
// be reused by the caller once HandleRequest returns; send answers the
// request's source (§18.2.2), reliable tells whether it is a stream
// transport (TCP, TLS, WS), which disables retransmissions and the linger
// timers.
//
// It returns true when the layer consumed the request: a new transaction
// handed to the Handler, a retransmission answered or absorbed, an ACK to a
// non-2xx final response absorbed. It returns false for an ACK that belongs
// to the TU (an ACK to a 2xx: with a new branch, or matching an INVITE
// transaction in the Accepted state, RFC 6026, Figure 7; or a stray one) and for
// a request without a usable top Via, which the caller answers or drops
// statelessly.
func (l *Layer) HandleRequest(m *sip.Msg, send SendFunc, reliable bool) bool {
	return l.HandleRequestValue(m, send, reliable, nil)
}

// HandleRequestValue is HandleRequest with value attached to a new
// transaction before the Handler sees it (as SetValue would): what the TU
// needs to know of the request's arrival, such as its source address.
func (l *Layer) HandleRequestValue(m *sip.Msg, send SendFunc, reliable bool, value any) bool {
	if l.closed.Load() || !m.IsRequest() {
		return false
	}
	v, ok := topVia(m)
	if !ok {
		return false
	}
	var kb [keyBufSize]byte
	key := appendServerKey(kb[:0], m, &v, false)
	sh := l.shardFor(serverShardKey(m, &v))
	if consumed, found := l.retransmission(sh, key, m); found {
		return consumed
	}
	if m.Method() == sip.ACK {
		return false
	}
	tx := l.newServerTx(sh, m, &v, key, send, reliable)
	tx.value = value
	sh.mu.Lock()
	if _, dup := sh.server[tx.key]; dup {
		// A retransmission or a colliding RFC 2543 request raced us in.
		sh.mu.Unlock()
		consumed, _ := l.retransmission(sh, key, m)
		return consumed
	}
	sh.server[tx.key] = tx
	tx.begin()
	sh.mu.Unlock()
	l.serve(tx)
	return true
}

// serve hands tx to the Handler. Should the Handler panic, the request is
// answered 500 so the transaction still ends (RFC 3261 §21.5.1), and the
// panic goes on up to the receive loop that counts it.
func (l *Layer) serve(tx *ServerTx) {
	defer func() {
		if r := recover(); r != nil {
			_ = tx.Respond(500, "Server Internal Error")
			panic(r)
		}
	}()
	l.handler.ServeTx(tx, tx.req)
}

// retransmission feeds m to the transaction it matches, if any.
func (l *Layer) retransmission(sh *shard, key []byte, m *sip.Msg) (consumed, found bool) {
	var fx effects
	sh.mu.Lock()
	tx := sh.server[string(key)]
	if tx == nil {
		sh.mu.Unlock()
		return false, false
	}
	if tx.rfc2543 && !tx.match2543(m) {
		sh.mu.Unlock()
		return false, true
	}
	if m.Method() == sip.ACK {
		consumed = tx.onACK(&fx)
	} else {
		consumed = true
		tx.onRetransmission(&fx)
	}
	sh.mu.Unlock()
	l.run(&fx, false)
	return consumed, true
}

// newServerTx builds a transaction around a private copy of m.
func (l *Layer) newServerTx(sh *shard, m *sip.Msg, v *via, key []byte, send SendFunc, reliable bool) *ServerTx {
	req := new(sip.Msg)
	_ = req.Parse(clone(m.Bytes())) // m parsed; so does its copy
	tx := &ServerTx{
		l: l, sh: sh, key: string(key), send: send,
		method: m.Method(), invite: m.Method() == sip.INVITE,
		reliable: reliable, rfc2543: !v.isRFC3261(), req: req,
	}
	if tx.rfc2543 {
		tx.reqToTag = req.ToTag()
	}
	tx.retx.owner, tx.tmo.owner = tx, tx
	return tx
}

// begin enters the first state: Proceeding for INVITE (§17.2.1), Trying
// otherwise (§17.2.2).
func (tx *ServerTx) begin() {
	if tx.invite {
		tx.state = Proceeding
		tx.retx.kind = timerTrying
		tx.sh.wheel.start(&tx.retx, tx.l.ticks.trying)
		return
	}
	tx.state = Trying
}

// Request returns the transaction's copy of the request, or nil once the
// final response has been sent.
func (tx *ServerTx) Request() *sip.Msg {
	tx.sh.mu.Lock()
	defer tx.sh.mu.Unlock()
	return tx.req
}

// Method returns the request method.
func (tx *ServerTx) Method() sip.Method { return tx.method }

// Reliable reports whether the request arrived on a stream transport.
func (tx *ServerTx) Reliable() bool { return tx.reliable }

// State returns the current state.
func (tx *ServerTx) State() State {
	tx.sh.mu.Lock()
	defer tx.sh.mu.Unlock()
	return tx.state
}

// SetValue attaches TU data to the transaction (for instance a proxy's
// context, to be found again from a CANCEL through CancelTarget).
func (tx *ServerTx) SetValue(v any) {
	tx.sh.mu.Lock()
	tx.value = v
	tx.sh.mu.Unlock()
}

// Value returns what SetValue attached.
func (tx *ServerTx) Value() any {
	tx.sh.mu.Lock()
	defer tx.sh.mu.Unlock()
	return tx.value
}

// ToTag returns the To tag that Respond puts in responses above 100 when
// the request had none: the same for every response of the transaction
// (§8.2.6.2), chosen on first use.
func (tx *ServerTx) ToTag() []byte {
	tx.sh.mu.Lock()
	defer tx.sh.mu.Unlock()
	return tx.toTagLocked()
}

func (tx *ServerTx) toTagLocked() []byte {
	if tx.tag == nil {
		tx.tag = newTag(tx.tagBuf[:0])
	}
	return tx.tag
}

// Respond builds a response to the request per §8.2.6 (Via, From, To with
// the transaction's tag, Call-ID, CSeq, no body; an empty reason takes the
// standard phrase) and sends it through the transaction. For a richer response build it and use RespondBytes.
// After a 2xx to an INVITE, Respond with a 2xx retransmits that 2xx (the
// TU's job, §13.3.1.4, done through the transaction, RFC 6026, Figure 7).
func (tx *ServerTx) Respond(code int, reason string) error {
	sh := tx.sh
	sh.mu.Lock()
	req, state, last := tx.req, tx.state, tx.last
	var tag []byte
	if code > 100 {
		tag = tx.toTagLocked()
	}
	sh.mu.Unlock()
	if req == nil {
		if state == Accepted && code/100 == 2 && last != nil {
			return tx.respond(last, code)
		}
		return tx.finishedErr(state)
	}
	return tx.respond(buildResponse(req, code, reason, tag), code)
}

// buildResponse is sip.AppendResponse into a buffer sized in advance: one
// allocation, and no spare capacity kept alive while the transaction
// lingers in Completed.
func buildResponse(req *sip.Msg, code int, reason string, tag []byte) []byte {
	if reason == "" {
		reason = sip.ReasonPhrase(code)
	}
	n := len("SIP/2.0 000 \r\n") + len(reason) + len(";tag=") + len(tag) + len("Content-Length: 0\r\n\r\n")
	for i := range req.NumHeaders() {
		switch h := req.HeaderAt(i); h.ID {
		case sip.HdrVia, sip.HdrFrom, sip.HdrTo, sip.HdrCallID, sip.HdrCSeq:
			n += len(h.Raw)
		}
	}
	return sip.AppendResponse(make([]byte, 0, n), req, code, reason, tag)
}

// RespondBytes sends b, a complete response built by the TU (a proxy
// forwarding a response, a UAS with a body), through the transaction. The
// transaction keeps its own copy.
func (tx *ServerTx) RespondBytes(b []byte) error {
	code := statusCode(b)
	if code == 0 {
		return errNotResponse
	}
	return tx.respond(clone(b), code)
}

// respond runs the state machine for a response from the TU and sends it.
// A send failure is returned (and not reported again through TxError).
func (tx *ServerTx) respond(b []byte, code int) error {
	if tx.l.closed.Load() {
		return ErrClosed
	}
	var fx effects
	tx.sh.mu.Lock()
	var err error
	if tx.invite {
		err = tx.inviteResponse(b, code, &fx)
	} else {
		err = tx.nonInviteResponse(b, code, &fx)
	}
	if err == nil && tx.rfc2543 && code >= 200 {
		tx.respToTag = tx.l.responseToTag(b)
	}
	tx.sh.mu.Unlock()
	if err != nil {
		return err
	}
	tx.l.run(&fx, true)
	return fx.syncErr
}

func (tx *ServerTx) finishedErr(s State) error {
	if s == Terminated {
		return ErrTerminated
	}
	return ErrFinalSent
}

// terminate ends the transaction: out of the table, timers stopped,
// buffers dropped (sends already queued keep their own reference).
func (tx *ServerTx) terminate() {
	tx.state = Terminated
	tx.sh.wheel.stop(&tx.retx)
	tx.sh.wheel.stop(&tx.tmo)
	if tx.sh.server[tx.key] == tx {
		delete(tx.sh.server, tx.key)
	}
	tx.req, tx.last = nil, nil
}

// transportError is §17.2.4: the response could not be sent. The
// transaction ends, except in Accepted where the 2xx is the TU's to
// retransmit (RFC 6026, Figure 7: "Transport Err. / Inform TU").
func (tx *ServerTx) transportError(err error, inform bool, fx *effects) {
	tx.sh.mu.Lock()
	if tx.state != Accepted && tx.state != Terminated {
		tx.terminate()
	}
	tx.sh.mu.Unlock()
	tx.l.log.Debug("server transaction send failed", "method", tx.method.String(), "err", err)
	if inform {
		fx.add(effect{op: opServerError, stx: tx, err: err})
	}
}

// fire dispatches a timer of this transaction (under the shard lock).
func (tx *ServerTx) fire(k timerKind, fx *effects) {
	if tx.invite {
		tx.inviteTimer(k, fx)
	} else if k == timerTimeout && tx.state == Completed {
		tx.terminate() // Timer J (§17.2.2)
	}
}

// CancelTarget finds the server transaction that a CANCEL request cancels:
// the INVITE transaction it matches under §9.2 (same branch and sent-by, or
// the RFC 2543 fields). It returns nil when there is none, and the TU
// answers the CANCEL 481.
func (l *Layer) CancelTarget(cancel *sip.Msg) *ServerTx {
	v, ok := topVia(cancel)
	if !ok {
		return nil
	}
	var kb [keyBufSize]byte
	key := appendServerKey(kb[:0], cancel, &v, true)
	sh := l.shardFor(serverShardKey(cancel, &v))
	sh.mu.Lock()
	defer sh.mu.Unlock()
	tx := sh.server[string(key)]
	if tx == nil || (tx.rfc2543 && !tx.match2543(cancel)) {
		return nil
	}
	return tx
}
