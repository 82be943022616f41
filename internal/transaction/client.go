package transaction

import (
	"errors"
	"fmt"

	"github.com/sipfleet/sipfleet/internal/sip"
)

// ClientTU is the TU side of a client transaction. Its methods run on the
// goroutine that delivered the event (a receive loop in HandleResponse, the
// timer goroutine, or the caller of NewClientTx) and never under a layer
// lock, so they may call back into the layer.
type ClientTU interface {
	// OnResponse receives the provisionals, the final response, and in
	// the Accepted state every further 2xx (retransmissions and forks,
	// RFC 6026, Figure 5). resp is valid only during the call. A 2xx is never
	// acknowledged by the transaction: the TU sends that ACK (§13.2.2.4).
	OnResponse(tx *ClientTx, resp *sip.Msg)
	// OnError reports that the request failed without a final response:
	// Timer B or F (errors.Is(err, ErrTimeout)) or a transport error
	// (*TransportError) (§17.1.4).
	OnError(tx *ClientTx, err error)
	// OnTerminated is the last call for tx: it has left the layer.
	OnTerminated(tx *ClientTx)
}

// ClientFuncs adapts functions to ClientTU; a nil field ignores the call.
type ClientFuncs struct {
	Response   func(tx *ClientTx, resp *sip.Msg)
	Error      func(tx *ClientTx, err error)
	Terminated func(tx *ClientTx)
}

// OnResponse implements ClientTU.
func (f ClientFuncs) OnResponse(tx *ClientTx, resp *sip.Msg) {
	if f.Response != nil {
		f.Response(tx, resp)
	}
}

// OnError implements ClientTU.
func (f ClientFuncs) OnError(tx *ClientTx, err error) {
	if f.Error != nil {
		f.Error(tx, err)
	}
}

// OnTerminated implements ClientTU.
func (f ClientFuncs) OnTerminated(tx *ClientTx) {
	if f.Terminated != nil {
		f.Terminated(tx)
	}
}

// ClientTx is a client transaction (RFC 3261 §17.1): it sends a request,
// retransmits it on unreliable transports, passes responses to its TU,
// acknowledges non-2xx finals to an INVITE, and reports timeouts. All
// methods are safe for concurrent use.
type ClientTx struct {
	l        *Layer
	sh       *shard
	key      string
	send     SendFunc
	tu       ClientTU
	method   sip.Method
	invite   bool
	reliable bool
	state    State

	req       []byte // the request as sent, for retransmission, ACK, CANCEL
	ack       []byte // ACK to the non-2xx final, resent on its retransmissions
	interval  int64  // Timer A or E, in ticks
	cancelTU  ClientTU
	retx, tmo timer
}

// Errors of NewClientTx.
var (
	errACKNotTx   = errors.New("ACK is not a transaction")
	errNoBranch   = errors.New("top Via has no RFC 3261 branch")
	errNotRequest = errors.New("not a request")
)

// NewClientTx starts a client transaction for req (a complete request whose
// top Via carries a fresh RFC 3261 branch, see NewBranch) and sends it with
// send. The transaction keeps its own copy of req. reliable says whether
// send writes to a stream transport; it disables retransmissions (Timers
// A and E) and the linger timers (D and K) (§17.1.1.2, §17.1.2.2).
//
// A failure of the first send is returned, and tu is never called. tu may
// be called before NewClientTx returns.
func (l *Layer) NewClientTx(req []byte, send SendFunc, reliable bool, tu ClientTU) (*ClientTx, error) {
	if l.closed.Load() {
		return nil, ErrClosed
	}
	b := clone(req)
	m := l.scratchMsg(b)
	if err := m.Err(); err != nil {
		l.putMsg(m)
		return nil, fmt.Errorf("new client transaction: %w", err)
	}
	tx, err := l.newClientTx(m, b, send, reliable, tu)
	l.putMsg(m)
	if err != nil {
		return nil, fmt.Errorf("new client transaction: %w", err)
	}
	return l.startClientTx(tx)
}

// RequestID is what a client transaction reads from its request's
// start line and top Via, for a caller of NewClientTxBuilt that knows it.
type RequestID struct {
	// Method and MethodToken are the method, as sip.Msg.Method and
	// sip.Msg.MethodBytes report it.
	Method      sip.Method
	MethodToken []byte
	// Branch is the branch of the top Via.
	Branch []byte
}

// NewClientTxBuilt is NewClientTx for a request the caller has just built
// from a parsed message: a forwarding element (the LB) already knows the
// method and the branch it wrote, so copying and parsing the request again
// would only repeat its own work on every call. The transaction owns req
// from the call on: the caller must neither change nor reuse it. Nothing
// checks that req says what id claims; a wrong id makes responses miss
// the transaction. id is not kept.
func (l *Layer) NewClientTxBuilt(req []byte, id RequestID, send SendFunc, reliable bool, tu ClientTU) (*ClientTx, error) {
	if l.closed.Load() {
		return nil, ErrClosed
	}
	tx, err := l.newClientTxFor(id.Method, id.MethodToken, id.Branch, req, send, reliable, tu)
	if err != nil {
		return nil, fmt.Errorf("new client transaction: %w", err)
	}
	return l.startClientTx(tx)
}

// startClientTx enters tx in its shard and sends the request.
func (l *Layer) startClientTx(tx *ClientTx) (*ClientTx, error) {
	var fx effects
	tx.sh.mu.Lock()
	if _, dup := tx.sh.client[tx.key]; dup {
		tx.sh.mu.Unlock()
		return nil, fmt.Errorf("new client transaction: %w", ErrExists)
	}
	tx.sh.client[tx.key] = tx
	tx.begin(&fx)
	tx.sh.mu.Unlock()
	l.run(&fx, true)
	if fx.syncErr != nil {
		return nil, fmt.Errorf("new client transaction: %w", fx.syncErr)
	}
	return tx, nil
}

func (l *Layer) newClientTx(m *sip.Msg, b []byte, send SendFunc, reliable bool, tu ClientTU) (*ClientTx, error) {
	if !m.IsRequest() {
		return nil, errNotRequest
	}
	v, _ := topVia(m) // without a Via there is no branch, refused below
	return l.newClientTxFor(m.Method(), m.MethodBytes(), v.branch, b, send, reliable, tu)
}

func (l *Layer) newClientTxFor(method sip.Method, token, branch, b []byte, send SendFunc, reliable bool, tu ClientTU) (*ClientTx, error) {
	switch {
	case len(token) == 0:
		return nil, errNotRequest
	case method == sip.ACK:
		return nil, errACKNotTx
	case !sip.IsRFC3261Branch(branch):
		return nil, errNoBranch
	}
	if tu == nil {
		tu = ClientFuncs{}
	}
	var kb [keyBufSize]byte
	tx := &ClientTx{
		l: l, sh: l.shardFor(branch), send: send, tu: tu,
		key:    string(appendClientKey(kb[:0], token, branch)),
		method: method, invite: method == sip.INVITE,
		reliable: reliable, req: b,
	}
	tx.retx.owner, tx.tmo.owner = tx, tx
	tx.retx.kind, tx.tmo.kind = timerRetransmit, timerTimeout
	return tx, nil
}

// begin enters Calling (INVITE, §17.1.1.2) or Trying (§17.1.2.2): send the
// request, arm the retransmit timer (A or E) on an unreliable transport and
// the timeout (B or F).
func (tx *ClientTx) begin(fx *effects) {
	tx.state = Trying
	if tx.invite {
		tx.state = Calling
	}
	if !tx.reliable {
		tx.interval = tx.l.ticks.t1
		tx.sh.wheel.start(&tx.retx, tx.interval)
	}
	tx.sh.wheel.start(&tx.tmo, tx.l.ticks.timeout64)
	fx.sendClient(tx, tx.req)
}

// HandleResponse passes a received response to the client transaction it
// matches (§17.1.3: top Via branch and CSeq method) and reports whether one
// did. An unmatched response is the caller's: a proxy forwards it
// statelessly (§16.7; RFC 6026: a UA core drops it). m may be
// reused once HandleResponse returns.
func (l *Layer) HandleResponse(m *sip.Msg) bool {
	return l.HandleResponseArg(m, nil)
}

// ClientTUArg is a ClientTU that takes what the caller of
// HandleResponseArg passed along with the response: its per-goroutine
// scratch state, say, which a callback made on that goroutine may use
// (an LB relays the response through its read loop's batch of sends).
type ClientTUArg interface {
	ClientTU
	// OnResponseArg is OnResponse for a response delivered by
	// HandleResponseArg with a non-nil arg.
	OnResponseArg(tx *ClientTx, resp *sip.Msg, arg any)
}

// HandleResponseArg is HandleResponse, passing arg to a ClientTUArg's
// OnResponseArg; it is called on the caller's goroutine before
// HandleResponseArg returns.
func (l *Layer) HandleResponseArg(m *sip.Msg, arg any) bool {
	if l.closed.Load() || m.IsRequest() {
		return false
	}
	v, ok := topVia(m)
	if !ok {
		return false
	}
	_, meth, err := m.CSeq()
	if err != nil {
		return false
	}
	var kb [keyBufSize]byte
	key := appendClientKey(kb[:0], meth, v.branch)
	sh := l.shardFor(v.branch)
	var fx effects
	sh.mu.Lock()
	tx := sh.client[string(key)]
	if tx == nil {
		sh.mu.Unlock()
		return false
	}
	if tx.invite {
		tx.inviteResponse(m, &fx)
	} else {
		tx.nonInviteResponse(m, &fx)
	}
	sh.mu.Unlock()
	if arg != nil {
		fx.setArg(arg)
	}
	l.run(&fx, false)
	return true
}

// Method returns the request method.
func (tx *ClientTx) Method() sip.Method { return tx.method }

// Request returns the request as sent, or nil once the transaction has
// terminated. The caller must not modify it.
func (tx *ClientTx) Request() []byte {
	tx.sh.mu.Lock()
	defer tx.sh.mu.Unlock()
	return tx.req
}

// Reliable reports whether the transaction runs over a stream transport.
func (tx *ClientTx) Reliable() bool { return tx.reliable }

// State returns the current state.
func (tx *ClientTx) State() State {
	tx.sh.mu.Lock()
	defer tx.sh.mu.Unlock()
	return tx.state
}

// toTU queues m for the TU; m stays valid because effects run before
// HandleResponse returns.
func (tx *ClientTx) toTU(m *sip.Msg, fx *effects) {
	fx.add(effect{op: opResponse, ctx: tx, resp: m})
}

// terminate ends the transaction: out of the table, timers stopped,
// buffers dropped, TU told.
func (tx *ClientTx) terminate(fx *effects) {
	tx.state = Terminated
	tx.sh.wheel.stop(&tx.retx)
	tx.sh.wheel.stop(&tx.tmo)
	if tx.sh.client[tx.key] == tx {
		delete(tx.sh.client, tx.key)
	}
	tx.req, tx.ack, tx.cancelTU = nil, nil, nil
	fx.add(effect{op: opClientDone, ctx: tx})
}

// fail ends the transaction with err reported to the TU first.
func (tx *ClientTx) fail(err error, fx *effects) {
	fx.add(effect{op: opClientError, ctx: tx, err: err})
	tx.terminate(fx)
}

// transportError is §17.1.4: inform the TU and terminate. When the caller
// of NewClientTx receives the error (inform false) the TU hears nothing.
func (tx *ClientTx) transportError(err error, inform bool, fx *effects) {
	tx.sh.mu.Lock()
	defer tx.sh.mu.Unlock()
	if tx.state == Terminated {
		return
	}
	tx.l.log.Debug("client transaction send failed", "method", tx.method.String(), "err", err)
	if !inform {
		var discard effects
		tx.terminate(&discard)
		return
	}
	tx.fail(err, fx)
}

// fire dispatches a timer of this transaction (under the shard lock).
func (tx *ClientTx) fire(k timerKind, fx *effects) {
	if tx.invite {
		tx.inviteTimer(k, fx)
	} else {
		tx.nonInviteTimer(k, fx)
	}
}
