//go:build linux

package transport

import (
	"bytes"
	"errors"
	"net"
	"net/netip"
	"testing"
	"time"
)

// TestBlockingReadClose: Close ends a read loop blocked in recvmmsg on an
// idle socket and closes the descriptor, so the port can be bound again;
// a send afterwards reports ErrClosed.
func TestBlockingReadClose(t *testing.T) {
	families(t, func(t *testing.T, ip netip.Addr) {
		lc := udpListener("pub", ip, 1)
		lc.BlockingRead = true
		tr := start(t, Config{Listeners: []ListenerConfig{lc}, Handler: newRecorder()})
		s := tr.Listener("pub").Sockets()[0]
		if s.raw == nil {
			t.Fatal("BlockingRead did not make a blocking socket")
		}
		addr := tr.Listener("pub").Addr()
		closeTransport(t, tr) // fails the test if a read loop does not return
		if err := tr.SendUDP(s, addr, []byte("x")); !errors.Is(err, ErrClosed) {
			t.Errorf("send after close: %v, want ErrClosed", err)
		}
		c, err := net.ListenUDP(network("udp", ip), net.UDPAddrFromAddrPort(addr))
		if err != nil {
			t.Fatalf("port still held after Close: %v", err)
		}
		c.Close()
	})
}

// TestBlockingReadReply: SendUDP from another goroutine and Reply from the
// handler both leave from the blocking socket's address.
func TestBlockingReadReply(t *testing.T) {
	lc := udpListener("pub", loop4, 1)
	lc.BlockingRead = true
	rec := newRecorder()
	tr := start(t, Config{Listeners: []ListenerConfig{lc}, Handler: rec})
	l := tr.Listener("pub")
	c := udpClient(t, loop4)
	msg := sipMsg("blocking", "")
	if _, err := c.WriteToUDPAddrPort(msg, l.Addr()); err != nil {
		t.Fatal(err)
	}
	p := rec.next(t)
	if !bytes.Equal(p.Data, msg) || p.Sock.raw == nil {
		t.Fatalf("got %q on socket %+v", p.Data, p.Sock)
	}
	if err := tr.SendUDP(p.Sock, p.Src, msg); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 2048)
	c.SetReadDeadline(time.Now().Add(waitFor))
	n, from, err := c.ReadFromUDPAddrPort(buf)
	if err != nil || !bytes.Equal(buf[:n], msg) || unmap(from) != l.Addr() {
		t.Fatalf("reply %q from %v: %v", buf[:n], from, err)
	}
}
