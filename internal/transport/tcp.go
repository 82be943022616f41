package transport

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"time"
)

func (l *Listener) bindStream(ctx context.Context) error {
	lc := net.ListenConfig{Control: sockopts{freeBind: l.cfg.FreeBind}.control()}
	addr := l.cfg.Addr
	ln, err := lc.Listen(ctx, network("tcp", addr.Addr()), addr.String())
	if err != nil {
		return fmt.Errorf("listen %s %s: %w", l.cfg.Proto, addr, err)
	}
	l.ln = ln.(*net.TCPListener)
	l.addr = addrPort(ln.Addr())
	return nil
}

// acceptLoop accepts until the listener is closed. Temporary failures
// (EMFILE…) back off instead of spinning.
func (t *Transport) acceptLoop(l *Listener) {
	defer t.wg.Done()
	var delay time.Duration
	for {
		nc, err := l.ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			delay = min(max(2*delay, 5*time.Millisecond), time.Second)
			t.log.Warn("accept failed", "listener", l.Name(), "err", err, "retry_in", delay)
			if !t.pause(delay) {
				return
			}
			continue
		}
		delay = 0
		t.accepted(l, nc)
	}
}

// accepted admits a new connection, or closes it at once when MaxConns is
// reached: refusing one peer beats exhausting descriptors for all.
func (t *Transport) accepted(l *Listener, nc net.Conn) {
	if err := t.conns.reserve(); err != nil {
		l.stats.inc(cConnsRejected)
		nc.Close()
		return
	}
	if l.cfg.Proto == TLS {
		nc = tls.Server(nc, l.cfg.TLS)
	}
	c := t.newConn(l, nc, false)
	if err := t.conns.add(c, &t.wg); err != nil {
		nc.Close()
		return
	}
	l.stats.inc(cConnsAccepted)
	go c.serve()
}

// dial opens a new connection from l's address to dst. The local IP is the
// listener's, so the peer sees the address we advertise; the port is
// ephemeral.
func (t *Transport) dial(ctx context.Context, l *Listener, dst netip.AddrPort, serverName string) (*conn, error) {
	if err := t.dialable(l, dst); err != nil {
		return nil, err
	}
	if err := t.conns.reserve(); err != nil {
		return nil, fmt.Errorf("dial %s from %s: %w", dst, l.Name(), err)
	}
	nc, err := t.connect(ctx, l, dst, serverName)
	if err != nil {
		t.conns.unreserve()
		l.stats.inc(cDialErrors)
		return nil, err
	}
	c := t.newConn(l, nc, true)
	if err := t.conns.add(c, &t.wg); err != nil {
		nc.Close()
		return nil, err
	}
	l.stats.inc(cConnsDialed)
	go c.serve()
	return c, nil
}

func (t *Transport) dialable(l *Listener, dst netip.AddrPort) error {
	switch st := t.currentState(); {
	case st == stateNew:
		return ErrNotStarted
	case st == stateClosed:
		return ErrClosed
	case !l.cfg.Proto.Stream():
		return fmt.Errorf("dial from %s: %w", l.Name(), ErrWrongProto)
	case !l.sameFamily(dst):
		return fmt.Errorf("dial %s from %s: %w", dst, l.Name(), ErrAddrFamily)
	}
	return nil
}

// connect does the TCP connect and, for TLS, the handshake, both within
// DialTimeout and ctx.
func (t *Transport) connect(ctx context.Context, l *Listener, dst netip.AddrPort, serverName string) (net.Conn, error) {
	ctx, cancel := context.WithTimeout(ctx, t.cfg.DialTimeout)
	defer cancel()
	nc, err := l.dialer().DialContext(ctx, network("tcp", dst.Addr()), dst.String())
	if err != nil {
		return nil, fmt.Errorf("dial %s from %s: %w", dst, l.Name(), err)
	}
	if l.cfg.Proto != TLS {
		return nc, nil
	}
	return l.clientHandshake(ctx, nc, dst, serverName)
}

func (l *Listener) dialer() *net.Dialer {
	d := &net.Dialer{Control: sockopts{freeBind: l.cfg.FreeBind}.control()}
	if a := l.addr.Addr(); !a.IsUnspecified() {
		d.LocalAddr = net.TCPAddrFromAddrPort(netip.AddrPortFrom(a, 0))
	}
	return d
}
