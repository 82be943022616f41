package transport

import (
	"context"
	"fmt"
	"net/netip"
)

// Send sends b to dst through listener l: on UDP from one of its sockets
// (ConnID 0), on TCP/TLS as SendStream does.
func (t *Transport) Send(ctx context.Context, l *Listener, dst netip.AddrPort, b []byte) (ConnID, error) {
	if l.cfg.Proto == UDP {
		if len(l.sockets) == 0 {
			return 0, ErrNotStarted
		}
		return 0, t.SendUDP(l.socket(), dst, b)
	}
	return t.SendStream(ctx, l, dst, b)
}

// Reply sends b back the way p came: on UDP from the socket it arrived on to
// its source (RFC 3581 §4: received and rport), on a stream over the very
// same connection (RFC 3261 §18.2.2). If that connection has closed, the
// caller decides whether to open a new one with SendStream. On UDP it
// batches as SendUDPBatched does: called by the handler while a batch is
// being handled, it queues b and returns nil.
func (t *Transport) Reply(p *Packet, b []byte) error {
	if p.Proto == UDP {
		return t.SendUDPBatched(p, p.Sock, p.Src, b)
	}
	return t.SendConn(p.Conn, b)
}

// SendConn sends b on connection id only; it never dials.
func (t *Transport) SendConn(id ConnID, b []byte) error {
	c := t.conns.get(id)
	if c == nil {
		return fmt.Errorf("send on conn %d: %w", id, ErrNoConn)
	}
	return c.send(b)
}

// SendStream sends b to dst on a connection of listener l: the newest one
// already open to dst (whoever opened it), else a new one dialed from l's
// address. Concurrent sends to a new dst share one dial. It returns the
// connection used, so later messages of a flow can name it.
func (t *Transport) SendStream(ctx context.Context, l *Listener, dst netip.AddrPort, b []byte) (ConnID, error) {
	c, err := t.connTo(ctx, l, unmap(dst))
	if err != nil {
		return 0, err
	}
	return c.info.ID, c.send(b)
}

// Dial always opens a new connection from l to dst, for callers that want a
// flow of their own (RFC 5626 §4.2) or a TLS server name to verify.
func (t *Transport) Dial(ctx context.Context, l *Listener, dst netip.AddrPort, serverName string) (ConnID, error) {
	c, err := t.dial(ctx, l, unmap(dst), serverName)
	if err != nil {
		return 0, err
	}
	return c.info.ID, nil
}

func (t *Transport) connTo(ctx context.Context, l *Listener, dst netip.AddrPort) (*conn, error) {
	k := remoteKey{l, dst}
	c, call, leader := t.conns.claim(k)
	switch {
	case c != nil:
		return c, nil
	case !leader:
		return call.wait(ctx)
	}
	call.c, call.err = t.dial(ctx, l, dst, "")
	t.conns.finishDial(k, call)
	return call.c, call.err
}

// Conn describes connection id.
func (t *Transport) Conn(id ConnID) (ConnInfo, bool) {
	if c := t.conns.get(id); c != nil {
		return c.info, true
	}
	return ConnInfo{}, false
}

// ConnTo describes the newest connection of listener l with remote.
func (t *Transport) ConnTo(l *Listener, remote netip.AddrPort) (ConnInfo, bool) {
	if c := t.conns.to(l, unmap(remote)); c != nil {
		return c.info, true
	}
	return ConnInfo{}, false
}

// Conns describes every open connection, in no order.
func (t *Transport) Conns() []ConnInfo {
	all := t.conns.all()
	out := make([]ConnInfo, len(all))
	for i, c := range all {
		out[i] = c.info
	}
	return out
}

// CloseConn closes connection id; OnConnClose sees ErrConnClosed.
func (t *Transport) CloseConn(id ConnID) error {
	c := t.conns.get(id)
	if c == nil {
		return fmt.Errorf("close conn %d: %w", id, ErrNoConn)
	}
	c.close(ErrConnClosed)
	return nil
}
