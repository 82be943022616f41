package lb

import (
	"errors"
	"fmt"

	"github.com/sipfleet/sipfleet/internal/sip"
	"github.com/sipfleet/sipfleet/internal/transaction"
	"github.com/sipfleet/sipfleet/internal/transport"
)

// OnResponse is the flight's client transaction reporting a response from
// the destination: relay it to the caller, or fail over.
func (f *flight) OnResponse(tx *transaction.ClientTx, resp *sip.Msg) {
	w := f.lb.work.Get().(*work)
	defer f.lb.work.Put(w)
	f.onResponse(tx, resp, w)
}

// OnResponseArg is OnResponse on the read loop that received the
// response, with that loop's work: the relay joins its batch of sends.
func (f *flight) OnResponseArg(tx *transaction.ClientTx, resp *sip.Msg, arg any) {
	w, ok := arg.(*work)
	if !ok {
		f.OnResponse(tx, resp)
		return
	}
	f.onResponse(tx, resp, w)
}

func (f *flight) onResponse(tx *transaction.ClientTx, resp *sip.Msg, w *work) {
	lb := f.lb
	f.mu.Lock()
	defer f.mu.Unlock()
	code := resp.StatusCode()
	if tx != f.tx {
		// An attempt given up on answers late: only a 2xx still matters,
		// since the callee has a dialog with the caller now.
		if code >= 200 && code < 300 {
			lb.relayResponse(w, resp)
		}
		return
	}
	switch {
	case code >= 300 && f.canFailover(code):
		lb.disp.ReportFailure(f.dst, fmt.Errorf("answered %d", code))
		if f.next(w) {
			lb.stats.inc(cFailovers)
			return
		}
	case code >= 200:
		lb.disp.ReportSuccess(f.dst)
	}
	if code == 100 {
		// Hop by hop (RFC 3261 §16.7 step 5): it stopped the flight's
		// own retransmissions; the caller hears a 100 of the LB's making
		// only if it retransmits (see retransmission). That saves a
		// datagram on every call.
		return
	}
	f.answered = true
	if code >= 200 && code < 300 {
		f.success = true
	}
	b, t, s := lb.relayResponse(w, resp)
	switch {
	case code >= 200 && code < 300:
		// The UAS retransmits its 2xx itself until the ACK; nothing needs
		// keeping, and a flight lives on only to absorb stray copies.
		f.req, f.last = nil, nil
	case b != nil:
		f.last = append(f.last[:0], b...)
		f.lastTo, f.lastSock = t, s
		if code >= 200 {
			f.req = nil // no failover after a final response is relayed
		}
	}
}

// canFailover: only before the caller heard anything but 100, never after
// a CANCEL, and only for the configured statuses.
func (f *flight) canFailover(code int) bool {
	return !f.answered && !f.cancelled && code < len(f.lb.fail) && f.lb.fail[code]
}

// OnError is the transaction timing out (Timer B or F) or failing to
// send: try the next destination, or answer the caller ourselves.
func (f *flight) OnError(tx *transaction.ClientTx, err error) {
	lb := f.lb
	w := lb.work.Get().(*work)
	defer lb.work.Put(w)
	f.mu.Lock()
	defer f.mu.Unlock()
	if tx != f.tx || f.answered {
		return
	}
	lb.disp.ReportFailure(f.dst, err)
	if !f.cancelled && f.next(w) {
		lb.stats.inc(cFailovers)
		return
	}
	code, reason := 503, "Service Unavailable"
	if errors.Is(err, transaction.ErrTimeout) {
		code, reason = 408, "Request Timeout"
	}
	f.answerCaller(w, code, reason)
}

// answerCaller sends the caller a response of the LB's own making.
func (f *flight) answerCaller(w *work, code int, reason string) {
	if f.req == nil || f.method == sip.ACK {
		return
	}
	lb := f.lb
	b := sip.AppendResponse(w.out[:0], f.req, code, reason, []byte("sf-lb"))
	w.out = b
	lb.stats.inc(cReplies)
	lb.send(w, f.in, target{addr: f.src, proto: f.in.l.Proto()}, b)
	f.last = append(f.last[:0], b...)
	f.lastTo, f.lastSock = target{addr: f.src, proto: f.in.l.Proto()}, f.in
	f.req = nil
}

// OnTerminated: the attempt's transaction is over; so is the flight when
// it was the current one.
func (f *flight) OnTerminated(tx *transaction.ClientTx) {
	f.mu.Lock()
	current := tx == f.tx
	if current {
		f.done = true
	}
	f.mu.Unlock()
	if current {
		f.lb.flights.remove(f)
	}
}

// retransmission absorbs what belongs to a flight in progress: a
// retransmitted request (answered again with the last response relayed,
// since the LB's transaction retransmits downstream by itself) and the ACK
// for a non-2xx final, which the transaction has already sent downstream
// (RFC 3261 §17.1.1.3).
func (lb *LB) retransmission(w *work, p *transport.Packet) bool {
	m := &w.m
	key, ok := lb.requestKey(w)
	if !ok {
		return false
	}
	f := lb.flights.get(key)
	if f == nil {
		return false
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case m.Method() == sip.ACK && !f.success:
	case m.Method() == f.method && m.Method() != sip.ACK:
		if f.last == nil && f.method == sip.INVITE && f.req != nil {
			// Nothing relayed yet: the LB's transaction has the INVITE
			// in hand, which a 100 of its own tells the caller (§16.2).
			f.last = sip.AppendResponse(nil, f.req, 100, "Trying", nil)
			f.lastTo, f.lastSock = target{addr: f.src, proto: f.in.l.Proto()}, f.in
		}
		if f.last != nil {
			lb.send(w, f.lastSock, f.lastTo, f.last)
		}
	default:
		return false
	}
	lb.stats.inc(cAbsorbed)
	return true
}

// cancel handles a CANCEL from the caller (RFC 3261 §16.10): answered 200
// at once, and the flight's INVITE is cancelled downstream by its
// transaction, whose CANCEL matches it exactly. It reports false when no
// flight matches: the INVITE was routed statelessly, and so is the CANCEL.
func (lb *LB) cancel(w *work, p *transport.Packet) bool {
	key, ok := lb.requestKey(w)
	var f *flight
	if ok {
		f = lb.flights.get(key)
	}
	if f == nil {
		return false
	}
	lb.reply(w, p, 200, "OK")
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.method != sip.INVITE || f.cancelled || f.tx == nil {
		return true
	}
	f.cancelled = true
	_ = f.tx.Cancel(transaction.ClientFuncs{})
	return true
}

var _ transaction.ClientTUArg = (*flight)(nil)
