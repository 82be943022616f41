package transaction

import (
	"runtime/debug"

	"github.com/sipfleet/sipfleet/internal/sip"
)

// State machines run under their shard's mutex and never call out while
// holding it: a send may block on a stream socket and a TU callback may
// call straight back into the layer (respond from inside ServeTx, forward
// a response into another transaction of the same shard). So each event
// records what must happen next as effects, and the caller performs them
// after unlocking, in order.

type op uint8

const (
	opSend        op = iota // send b; on failure, the owner's transport error
	opResponse              // client TU: OnResponse
	opClientError           // client TU: OnError
	opClientDone            // client TU: OnTerminated
	opServerError           // Handler: TxError
	opCancel                // send the CANCEL deferred until a provisional (§9.1)
	opFunc                  // a TU timer's function
)

type effect struct {
	op   op
	b    []byte
	send SendFunc
	ctx  *ClientTx
	stx  *ServerTx
	resp *sip.Msg
	arg  any // HandleResponseArg's, for a ClientTUArg
	err  error
	f    func()
}

// effects is a short queue. The common case (a send and a callback or
// two) fits the inline array, and an effects value declared in a function
// stays on its stack (no slice points into it).
type effects struct {
	n      int
	inline [4]effect
	more   []effect
	// syncErr receives the first send failure of a send marked sync, which
	// the caller returns instead of reporting it through a callback.
	syncErr error
}

func (fx *effects) add(e effect) {
	if fx.n < len(fx.inline) {
		fx.inline[fx.n] = e
		fx.n++
		return
	}
	fx.more = append(fx.more, e)
}

func (fx *effects) len() int { return fx.n + len(fx.more) }

// setArg gives arg to the OnResponse effects queued.
func (fx *effects) setArg(arg any) {
	for i := range fx.n {
		if fx.inline[i].op == opResponse {
			fx.inline[i].arg = arg
		}
	}
	for i := range fx.more {
		if fx.more[i].op == opResponse {
			fx.more[i].arg = arg
		}
	}
}

// take returns the i-th effect and clears its slot, so a reused queue
// holds no stale references.
func (fx *effects) take(i int) effect {
	var p *effect
	if i < len(fx.inline) {
		p = &fx.inline[i]
	} else {
		p = &fx.more[i-len(fx.inline)]
	}
	e := *p
	*p = effect{}
	return e
}

func (fx *effects) sendServer(tx *ServerTx, b []byte) {
	fx.add(effect{op: opSend, b: b, send: tx.send, stx: tx})
}

func (fx *effects) sendClient(tx *ClientTx, b []byte) {
	fx.add(effect{op: opSend, b: b, send: tx.send, ctx: tx})
}

// run performs the queued effects, including those that a send failure
// adds while it runs, and empties the queue for reuse.
func (l *Layer) run(fx *effects, sync bool) {
	for i := 0; i < fx.len(); i++ {
		l.exec(fx.take(i), fx, sync)
	}
	fx.n, fx.more = 0, fx.more[:0]
}

// runRecovering is run for the timer goroutine: a panicking TU callback
// is logged and the remaining effects still run, so one bad callback
// neither kills the process nor strands other transactions.
func (l *Layer) runRecovering(fx *effects) {
	for i := 0; i < fx.len(); i++ {
		l.execRecovering(fx.take(i), fx)
	}
	fx.n, fx.more = 0, fx.more[:0]
}

func (l *Layer) execRecovering(e effect, fx *effects) {
	defer func() {
		if r := recover(); r != nil {
			l.log.Error("transaction TU callback panicked", "panic", r, "stack", string(debug.Stack()))
		}
	}()
	l.exec(e, fx, false)
}

func (l *Layer) exec(e effect, fx *effects, sync bool) {
	switch e.op {
	case opSend:
		if err := e.send(e.b); err != nil {
			l.sendFailed(e, err, fx, sync)
		}
	case opResponse:
		if tu, ok := e.ctx.tu.(ClientTUArg); ok && e.arg != nil {
			tu.OnResponseArg(e.ctx, e.resp, e.arg)
		} else {
			e.ctx.tu.OnResponse(e.ctx, e.resp)
		}
	case opClientError:
		e.ctx.tu.OnError(e.ctx, e.err)
	case opClientDone:
		e.ctx.tu.OnTerminated(e.ctx)
	case opServerError:
		l.handler.TxError(e.stx, e.err)
	case opCancel:
		e.ctx.sendDeferredCancel()
	case opFunc:
		e.f()
	}
}

// sendFailed moves the owner of a failed send to its transport-error
// transition (§17.1.4, §17.2.4). When the send was the direct result of a
// call that returns an error (sync), that error informs the TU and no
// callback is made.
func (l *Layer) sendFailed(e effect, err error, fx *effects, sync bool) {
	err = &TransportError{Err: err}
	inform := !sync || fx.syncErr != nil
	if sync && fx.syncErr == nil {
		fx.syncErr = err
	}
	switch {
	case e.ctx != nil:
		e.ctx.transportError(err, inform, fx)
	case e.stx != nil:
		e.stx.transportError(err, inform, fx)
	}
}
