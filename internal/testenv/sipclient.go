package testenv

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"testing"
	"time"
)

// maxDatagram is the largest UDP payload SIPClient reads.
const maxDatagram = 65535

// SIPClient is a bare UDP socket for tests that must control every byte:
// malformed input, open-relay tricks, forged responses, exact headers.
// It sends raw datagrams and returns raw ones; the test parses them with
// internal/sip. Its methods that fail the test must be called from the
// test's goroutine.
type SIPClient struct {
	t    testing.TB
	conn *net.UDPConn
	buf  []byte
}

// NewSIPClient binds a UDP socket to local (port 0 picks a free one); it is
// closed when the test ends.
func NewSIPClient(t testing.TB, local netip.AddrPort) *SIPClient {
	t.Helper()
	requireLoopback(t, "SIP client address", local.Addr())
	conn, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(local))
	if err != nil {
		t.Fatalf("SIP client on %s: %v", local, err)
	}
	c := &SIPClient{t: t, conn: conn, buf: make([]byte, maxDatagram)}
	t.Cleanup(func() { conn.Close() })
	return c
}

// Addr is the client's own address, for Via and Contact headers.
func (c *SIPClient) Addr() netip.AddrPort {
	return c.conn.LocalAddr().(*net.UDPAddr).AddrPort()
}

// Send sends msg as one datagram to a loopback address.
func (c *SIPClient) Send(to netip.AddrPort, msg []byte) {
	c.t.Helper()
	requireLoopback(c.t, "SIP client destination", to.Addr())
	if _, err := c.conn.WriteToUDPAddrPort(msg, to); err != nil {
		c.t.Fatalf("SIP client %s: send to %s: %v", c.Addr(), to, err)
	}
}

// Recv waits up to timeout for the next datagram and returns a copy of it
// and its source. On timeout the error matches os.ErrDeadlineExceeded.
// Keep-alives (CRLF) and garbage come back as they are.
func (c *SIPClient) Recv(timeout time.Duration) ([]byte, netip.AddrPort, error) {
	if err := c.conn.SetReadDeadline(time.Now().Add(timeout)); err != nil {
		return nil, netip.AddrPort{}, err
	}
	n, from, err := c.conn.ReadFromUDPAddrPort(c.buf)
	if err != nil {
		return nil, netip.AddrPort{}, fmt.Errorf("SIP client %s: receive: %w", c.Addr(), err)
	}
	return append([]byte(nil), c.buf[:n]...), from, nil
}

// Expect is Recv that fails the test when nothing comes in time.
func (c *SIPClient) Expect(timeout time.Duration) ([]byte, netip.AddrPort) {
	c.t.Helper()
	msg, from, err := c.Recv(timeout)
	if err != nil {
		c.t.Fatalf("%v (waited %s)", err, timeout)
	}
	return msg, from
}

// ExpectSilence fails the test if anything arrives within d: for what must
// be dropped (a forged response, a scanner's request). It waits all of d,
// which is the point; keep d short.
func (c *SIPClient) ExpectSilence(d time.Duration) {
	c.t.Helper()
	msg, from, err := c.Recv(d)
	switch {
	case err == nil:
		c.t.Fatalf("SIP client %s: expected nothing for %s; got from %s:\n%s", c.Addr(), d, from, msg)
	case !errors.Is(err, os.ErrDeadlineExceeded):
		c.t.Fatal(err)
	}
}
