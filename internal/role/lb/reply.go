package lb

import (
	"github.com/dchest/siphash"

	"github.com/sipfleet/sipfleet/internal/sip"
	"github.com/sipfleet/sipfleet/internal/transport"
)

// reply answers a request statelessly from the LB itself, back to where
// it came from (the same socket or connection; RFC 3581 symmetric
// response). The To tag is derived from the Call-ID, so a retransmitted
// request gets the same answer. ACKs are never answered.
func (lb *LB) reply(w *work, p *transport.Packet, code int, reason string, extra ...[2]string) {
	m := &w.m
	if m.Method() == sip.ACK {
		return
	}
	var tag [16]byte
	h := siphash.Hash(lb.sign.k0, lb.sign.k1, m.CallID())
	for i := range tag {
		tag[i] = hexDigits[(h>>(4*uint(i)))&15]
	}
	b := sip.AppendResponseHead(w.out[:0], m, code, reason, tag[:])
	for _, x := range extra {
		b = sip.AppendHeader(b, x[0], []byte(x[1]))
	}
	b = sip.AppendHeader(b, "Server", []byte("sipfleet"))
	w.out = sip.AppendBody(b, nil)
	lb.stats.inc(cReplies)
	if err := lb.tr.Reply(p, w.out); err != nil {
		lb.stats.inc(cSendErrors)
	}
}

// replyError answers a request the message layer refused.
func (lb *LB) replyError(w *work, p *transport.Packet, me *sip.MessageError) {
	if me.Status == 420 {
		lb.reply(w, p, 420, me.Reason, [2]string{"Unsupported", string(me.Unsupported)})
		return
	}
	lb.reply(w, p, me.Status, me.Reason)
}
