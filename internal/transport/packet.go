package transport

import (
	"fmt"
	"net/netip"
	"runtime/debug"
	"time"
)

// ConnID names one stream connection for its whole life. IDs start at 1 and
// are never reused, so a stale ID can only miss, never hit another peer.
type ConnID uint64

// Packet is one received SIP message (a datagram or a framed stream message).
//
// Ownership: the Packet and Data belong to the read loop and are valid only
// until HandlePacket returns; the next message overwrites them. A handler
// that needs the bytes later (a transaction keeping a request for
// retransmission, a queue to another goroutine) calls Clone. This keeps the
// UDP path free of allocations without a Retain/Release protocol to get wrong.
type Packet struct {
	Data     []byte
	Src      netip.AddrPort // the peer's address as seen on the wire (RFC 3581 received/rport)
	Listener *Listener      // listener it came in on
	Sock     *Socket        // UDP socket it came in on; nil for streams
	Conn     ConnID         // stream connection; 0 for UDP
	Proto    Proto

	batch *udpBatch // the read loop's batch, if it batches (see SendUDPBatched)
}

// Clone returns a copy that the caller owns, Data included. The copy is
// not part of a batch: replies to it are sent at once.
func (p *Packet) Clone() *Packet {
	c := *p
	c.Data = append([]byte(nil), p.Data...)
	c.batch = nil
	return &c
}

// Handler receives packets. It runs on the read goroutine of the socket or
// connection, so a slow handler delays that socket only; it must not keep p
// or p.Data after returning (see Packet). Panics are recovered and counted.
type Handler interface {
	HandlePacket(p *Packet)
}

// HandlerFunc adapts a function to Handler.
type HandlerFunc func(p *Packet)

// HandlePacket calls f(p).
func (f HandlerFunc) HandlePacket(p *Packet) { f(p) }

// panicLogEvery bounds panic logging: a message that crashes the handler
// may arrive thousands of times a second; the counter has them all.
const panicLogEvery = time.Minute

// dispatch runs the handler; a panic is one bad message, never a dead loop.
func (t *Transport) dispatch(p *Packet, c *counters) {
	defer t.recoverHandler(p, c)
	c.inc(cPacketsIn)
	c.add(cBytesIn, len(p.Data))
	t.handler.HandlePacket(p)
}

func (t *Transport) recoverHandler(p *Packet, c *counters) {
	r := recover()
	if r == nil {
		return
	}
	c.inc(cPanics)
	if !t.panicLogDue() {
		return
	}
	t.log.Error("handler panic recovered",
		"listener", p.Listener.Name(), "proto", p.Proto, "src", p.Src, "conn", uint64(p.Conn),
		"panic", fmt.Sprint(r), "stack", string(debug.Stack()),
		"note", "further panics within a minute are only counted")
}

// panicLogDue lets one goroutine log per panicLogEvery.
func (t *Transport) panicLogDue() bool {
	now := time.Now().UnixNano()
	last := t.lastPanicLog.Load()
	if last != 0 && now-last < int64(panicLogEvery) {
		return false
	}
	return t.lastPanicLog.CompareAndSwap(last, now)
}
