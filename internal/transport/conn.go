package transport

import (
	"fmt"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"
)

// ConnInfo describes a stream connection.
type ConnInfo struct {
	ID       ConnID
	Listener *Listener
	Proto    Proto
	Local    netip.AddrPort
	Remote   netip.AddrPort
	Outbound bool // dialed by us rather than accepted
	Opened   time.Time
}

// conn is one TCP or TLS connection: one read goroutine (serve) and any
// number of writers serialised by wmu.
type conn struct {
	t    *Transport
	l    *Listener
	nc   net.Conn
	info ConnInfo

	wmu       sync.Mutex
	lastWrite atomic.Int64 // unix nanoseconds; writes keep a connection from idling out

	closeOnce sync.Once
	reasonMu  sync.Mutex
	reason    error // why it closed: the first cause wins
}

func (t *Transport) newConn(l *Listener, nc net.Conn, outbound bool) *conn {
	return &conn{t: t, l: l, nc: nc, info: ConnInfo{
		ID:       ConnID(t.nextID.Add(1)),
		Listener: l,
		Proto:    l.cfg.Proto,
		Local:    addrPort(nc.LocalAddr()),
		Remote:   addrPort(nc.RemoteAddr()),
		Outbound: outbound,
		Opened:   time.Now(),
	}}
}

// send writes one whole message. Writes are serialised so messages never
// interleave on the stream; a failed or timed-out write leaves the stream
// at an unknown position, so it closes the connection.
func (c *conn) send(b []byte) error {
	if err := c.write(b); err != nil {
		c.l.stats.inc(cSendErrors)
		return fmt.Errorf("send on conn %d to %s: %w", c.info.ID, c.info.Remote, err)
	}
	c.l.stats.inc(cPacketsOut)
	c.l.stats.add(cBytesOut, len(b))
	return nil
}

func (c *conn) write(b []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	now := time.Now()
	if err := c.nc.SetWriteDeadline(now.Add(c.t.cfg.WriteTimeout)); err != nil {
		c.close(err)
		return c.closedErr(err)
	}
	if _, err := c.nc.Write(b); err != nil {
		c.close(fmt.Errorf("write: %w", err))
		return c.closedErr(err)
	}
	c.lastWrite.Store(now.UnixNano())
	return nil
}

// closedErr reports a write on a connection already closed as ErrConnClosed.
func (c *conn) closedErr(err error) error {
	if r := c.closeReason(); r != nil {
		return fmt.Errorf("%w (%w)", ErrConnClosed, r)
	}
	return err
}

// close records why and closes the socket, which also ends the read loop.
func (c *conn) close(reason error) {
	c.closeOnce.Do(func() {
		c.reasonMu.Lock()
		c.reason = reason
		c.reasonMu.Unlock()
		c.nc.Close()
	})
}

func (c *conn) closeReason() error {
	c.reasonMu.Lock()
	defer c.reasonMu.Unlock()
	return c.reason
}

// serve runs the connection until it fails or is closed, then removes it
// from the table and reports the reason.
func (c *conn) serve() {
	defer c.t.wg.Done()
	c.close(c.run())
	c.t.conns.remove(c)
	c.l.stats.inc(cConnsClosed)
	reason := c.closeReason()
	c.t.log.Debug("connection closed", "conn", uint64(c.info.ID), "listener", c.l.Name(),
		"remote", c.info.Remote, "reason", reason)
	if cb := c.t.cfg.OnConnClose; cb != nil {
		cb(c.info, reason)
	}
}

func (c *conn) run() error {
	if err := c.serverHandshake(); err != nil {
		return err
	}
	r := newStreamReader(c)
	return r.loop()
}
