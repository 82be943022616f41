package transport

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"syscall"
	"time"
)

// Socket is one UDP socket of a listener. With Sockets > 1 they share the
// address through SO_REUSEPORT and each has its own read goroutine.
type Socket struct {
	l     *Listener
	pc    *net.UDPConn // nil when raw is set
	raw   *rawSocket   // a blocking socket outside the netpoller (BlockingRead)
	index int
	stats counters
}

// Listener returns the listener the socket belongs to.
func (s *Socket) Listener() *Listener { return s.l }

// Index returns the socket's position in Listener.Sockets.
func (s *Socket) Index() int { return s.index }

// LocalAddr returns the bound address (shared by the listener's sockets).
func (s *Socket) LocalAddr() netip.AddrPort { return s.l.addr }

// Stats returns this socket's counters.
func (s *Socket) Stats() Stats {
	var v [numCounters]uint64
	s.stats.addTo(&v)
	return statsFrom(&v)
}

// bindUDP binds the listener's sockets. With port 0 the first socket picks
// the port and the others join it.
func (l *Listener) bindUDP(ctx context.Context) error {
	opts := sockopts{reusePort: l.cfg.Sockets > 1, freeBind: l.cfg.FreeBind}
	if l.cfg.BlockingRead && rawSupported {
		return l.bindRaw(opts)
	}
	lc := net.ListenConfig{Control: opts.control()}
	addr := l.cfg.Addr
	for i := range l.cfg.Sockets {
		pc, err := lc.ListenPacket(ctx, network("udp", addr.Addr()), addr.String())
		if err != nil {
			return errors.Join(fmt.Errorf("listen udp %s: %w", addr, err), l.close())
		}
		uc := pc.(*net.UDPConn)
		l.sockets = append(l.sockets, &Socket{l: l, pc: uc, index: i})
		if err := l.setReadBuffer(uc); err != nil {
			return errors.Join(err, l.close())
		}
		if i == 0 {
			addr = addrPort(uc.LocalAddr())
		}
	}
	l.addr = addr
	return nil
}

// bindRaw is bindUDP for BlockingRead: sockets the netpoller never sees.
func (l *Listener) bindRaw(opts sockopts) error {
	addr := l.cfg.Addr
	for i := range l.cfg.Sockets {
		raw, local, err := bindRaw(addr, opts, l.cfg.ReadBuffer)
		if err != nil {
			return errors.Join(fmt.Errorf("listen udp %s: %w", addr, err), l.close())
		}
		l.sockets = append(l.sockets, &Socket{l: l, raw: raw, index: i})
		if i == 0 {
			addr = local
		}
	}
	l.addr = addr
	return nil
}

// syscallConn is the socket's descriptor for batched reads and writes.
func (s *Socket) syscallConn() (syscall.RawConn, error) {
	if s.raw != nil {
		return s.raw.rc, nil
	}
	return s.pc.SyscallConn()
}

// close closes the socket; a blocked reader returns ErrClosed.
func (s *Socket) close() error {
	if s.raw != nil {
		if err := s.raw.close(); !errors.Is(err, os.ErrClosed) {
			return err
		}
		return nil
	}
	return ignoreClosed(s.pc.Close())
}

func (l *Listener) setReadBuffer(uc *net.UDPConn) error {
	if l.cfg.ReadBuffer == 0 {
		return nil
	}
	if err := uc.SetReadBuffer(l.cfg.ReadBuffer); err != nil {
		return fmt.Errorf("set read buffer on %s: %w", l.Name(), err)
	}
	return nil
}

// readLoop reads the socket until it is closed: in batches when b is set
// (Batch > 1 and the system has recvmmsg), else one datagram per call.
func (t *Transport) readLoop(s *Socket, b *udpBatch) {
	defer t.wg.Done()
	if b != nil {
		t.readBatches(s, b)
		return
	}
	t.readSingles(s)
}

// readSingles owns one buffer and one Packet for the socket's life: the
// steady state allocates nothing.
func (t *Transport) readSingles(s *Socket) {
	buf := make([]byte, t.cfg.MaxDatagram+1) // +1 tells an oversized datagram from a full one
	p := &Packet{Listener: s.l, Sock: s, Proto: UDP}
	var errDelay time.Duration
	for {
		n, src, err := s.pc.ReadFromUDPAddrPort(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			errDelay = t.readFailed(s, err, errDelay)
			continue
		}
		errDelay = 0
		s.stats.inc(cUDPReads)
		t.datagram(s, p, buf[:n], src)
	}
}

// readBatches is the read loop with batching: one system call reads up to
// Batch datagrams, the handler sees each in turn, and what it sent with
// SendUDPBatched or Reply goes out after the last one.
func (t *Transport) readBatches(s *Socket, b *udpBatch) {
	defer b.stale.Stop()
	p := &Packet{Listener: s.l, Sock: s, Proto: UDP, batch: b}
	var errDelay time.Duration
	for {
		n, err := b.rx.read()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			errDelay = t.readFailed(s, err, errDelay)
			continue
		}
		errDelay = 0
		s.stats.inc(cUDPReads)
		b.begin(n)
		for i := range n {
			data, src := b.rx.datagram(i)
			t.datagram(s, p, data, src)
		}
		b.end()
	}
}

func (t *Transport) datagram(s *Socket, p *Packet, b []byte, src netip.AddrPort) {
	switch {
	case len(b) > t.cfg.MaxDatagram:
		s.stats.inc(cDropOversize)
	case isKeepalive(b):
		s.stats.inc(cDropKeepalive)
	default:
		p.Data = b[:len(b):len(b)]
		p.Src = unmap(src)
		t.dispatch(p, &s.stats)
		p.Data = nil
	}
}

// readFailed counts a read error and backs off so a broken socket cannot
// spin a core; Close still ends the loop at once through ErrClosed.
func (t *Transport) readFailed(s *Socket, err error, delay time.Duration) time.Duration {
	s.stats.inc(cReadErrors)
	if delay == 0 {
		t.log.Warn("udp read failed", "listener", s.l.Name(), "socket", s.index, "err", err)
	}
	delay = min(max(2*delay, time.Millisecond), 100*time.Millisecond)
	t.pause(delay)
	return delay
}

// isKeepalive reports datagrams that carry no message: the CRLF (or NUL)
// keep-alives UAs and natping send to keep NAT bindings open.
func isKeepalive(b []byte) bool {
	for _, c := range b {
		if c != '\r' && c != '\n' && c != 0 {
			return false
		}
	}
	return true
}

// SendUDP sends one datagram from sock to dst now, from any goroutine.
// Any socket of a listener will do: they share the local address. What a
// read loop has queued on the listener (SendUDPBatched) goes out first.
func (t *Transport) SendUDP(sock *Socket, dst netip.AddrPort, b []byte) error {
	dst = unmap(dst)
	if !sock.l.sameFamily(dst) {
		sock.stats.inc(cSendErrors)
		return fmt.Errorf("send udp to %s from %s: %w", dst, sock.l.Name(), ErrAddrFamily)
	}
	sock.l.flushQueued()
	sock.stats.inc(cUDPWrites)
	var err error
	if sock.raw != nil {
		err = sock.raw.writeTo(b, dst)
	} else {
		_, err = sock.pc.WriteToUDPAddrPort(b, dst)
	}
	if err != nil {
		sock.stats.inc(cSendErrors)
		return fmt.Errorf("send udp to %s from %s: %w", dst, sock.l.Name(), closedAs(err))
	}
	sock.stats.inc(cPacketsOut)
	sock.stats.add(cBytesOut, len(b))
	return nil
}

// SendUDPBatched is SendUDP for a handler while it handles p. When p is
// one of several datagrams that one system call read, b is copied into a
// queue and sent after the handler has returned from the last of them,
// with the other datagrams queued on sock's listener, in one sendmmsg: the
// returned error is then nil, and a failure is only counted (SendErrors).
// Otherwise (a single datagram, a stream, a Clone, batching off) it is
// SendUDP, with its error.
//
// Order is kept per listener whichever goroutine sends: queued datagrams
// leave in the order they were queued, and a direct send (SendUDP, from
// any goroutine) on a listener first flushes what is queued on it.
func (t *Transport) SendUDPBatched(p *Packet, sock *Socket, dst netip.AddrPort, b []byte) error {
	if p == nil || p.batch == nil {
		return t.SendUDP(sock, dst, b)
	}
	dst = unmap(dst)
	if sock.l.sameFamily(dst) && p.batch.enqueue(sock, dst, b) {
		return nil
	}
	return t.SendUDP(sock, dst, b)
}

// closedAs makes the net package's closed error match ErrClosed too.
func closedAs(err error) error {
	if errors.Is(err, net.ErrClosed) {
		return fmt.Errorf("%w: %w", ErrClosed, err)
	}
	return err
}
