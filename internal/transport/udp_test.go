package transport

import (
	"bytes"
	"fmt"
	"net"
	"net/netip"
	"sync/atomic"
	"testing"
	"time"
)

func udpListener(name string, ip netip.Addr, sockets int) ListenerConfig {
	return ListenerConfig{Name: name, Side: "public", Proto: UDP, Addr: anyPort(ip), Sockets: sockets}
}

func udpClient(t testing.TB, ip netip.Addr) *net.UDPConn {
	t.Helper()
	c, err := net.ListenUDP(network("udp", ip), net.UDPAddrFromAddrPort(anyPort(ip)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// roundTrip sends b from c to dst and returns the reply and who sent it.
func roundTrip(t testing.TB, c *net.UDPConn, dst netip.AddrPort, b []byte) ([]byte, netip.AddrPort) {
	t.Helper()
	if _, err := c.WriteToUDPAddrPort(b, dst); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 65536)
	c.SetReadDeadline(time.Now().Add(waitFor))
	n, from, err := c.ReadFromUDPAddrPort(buf)
	if err != nil {
		t.Fatalf("no reply: %v", err)
	}
	return buf[:n], unmap(from)
}

// TestUDPRoundTrip: many client ports against N reuseport sockets; every
// reply comes from the listener's one address, and with N > 1 the kernel
// spreads the clients over more than one socket.
func TestUDPRoundTrip(t *testing.T) {
	families(t, func(t *testing.T, ip netip.Addr) {
		for _, n := range []int{1, 4} {
			for _, blocking := range []bool{false, true} {
				t.Run(fmt.Sprintf("sockets=%d,blocking=%v", n, blocking), func(t *testing.T) { testUDPRoundTrip(t, ip, n, blocking) })
			}
		}
	})
}

func testUDPRoundTrip(t *testing.T, ip netip.Addr, n int, blocking bool) {
	var perSocket [4]atomic.Int64
	handled := make(chan struct{}, 64)
	lc := udpListener("pub", ip, n)
	lc.BlockingRead = blocking
	tr := startSelf(t, Config{Listeners: []ListenerConfig{lc}}, func(tr *Transport) Handler {
		return HandlerFunc(func(p *Packet) {
			perSocket[p.Sock.Index()].Add(1)
			if p.Conn != 0 || p.Proto != UDP || p.Listener.Name() != "pub" {
				panic("bad packet metadata")
			}
			tr.Reply(p, p.Data)
			handled <- struct{}{} // counters are final once the handler returned
		})
	})
	l := tr.Listener("pub")
	if got := len(l.Sockets()); got != n {
		t.Fatalf("%d sockets, want %d", got, n)
	}
	const clients = 32
	for i := range clients {
		msg := sipMsg(fmt.Sprint("rt", i), "")
		reply, from := roundTrip(t, udpClient(t, ip), l.Addr(), msg)
		if !bytes.Equal(reply, msg) || from != l.Addr() {
			t.Fatalf("client %d: reply %q from %v", i, reply, from)
		}
		<-handled
	}
	used := 0
	for i := range perSocket {
		if perSocket[i].Load() > 0 {
			used++
		}
	}
	if n > 1 && used < 2 {
		t.Errorf("%d clients all landed on one of %d sockets", clients, n)
	}
	st := tr.Stats()
	if st.PacketsIn != clients || st.PacketsOut != clients || st.Panics != 0 {
		t.Errorf("stats %+v", st)
	}
}

// TestUDPLargestDatagram: the largest datagram each family carries on
// loopback (65507 bytes on IPv4, 65527 on IPv6) arrives whole.
func TestUDPLargestDatagram(t *testing.T) {
	families(t, func(t *testing.T, ip netip.Addr) {
		rec := newRecorder()
		tr := start(t, Config{Handler: rec, Listeners: []ListenerConfig{udpListener("u", ip, 1)}})
		size := 65535 - 8 - 20
		if ip.Is6() {
			size = 65535 - 8
		}
		msg := bytes.Repeat([]byte("x"), size)
		if _, err := udpClient(t, ip).WriteToUDPAddrPort(msg, tr.Listener("u").Addr()); err != nil {
			t.Fatal(err)
		}
		if p := rec.next(t); len(p.Data) != size {
			t.Fatalf("got %d bytes, want %d", len(p.Data), size)
		}
	})
}

// TestUDPDrops: datagrams above MaxDatagram and bare keep-alives are counted
// and never reach the handler.
func TestUDPDrops(t *testing.T) {
	rec := newRecorder()
	tr := start(t, Config{Handler: rec, MaxDatagram: 1000, Listeners: []ListenerConfig{udpListener("u", loop4, 1)}})
	c := udpClient(t, loop4)
	dst := tr.Listener("u").Addr()
	for _, b := range [][]byte{
		bytes.Repeat([]byte("a"), 1001),
		bytes.Repeat([]byte("b"), 5000),
		[]byte("\r\n\r\n"),
		{0, 0, 0, 0},
		bytes.Repeat([]byte("c"), 1000),
	} {
		if _, err := c.WriteToUDPAddrPort(b, dst); err != nil {
			t.Fatal(err)
		}
	}
	if p := rec.next(t); len(p.Data) != 1000 || p.Data[0] != 'c' {
		t.Fatalf("got %d bytes starting %q", len(p.Data), p.Data[:1])
	}
	st := tr.Stats()
	if st.DropOversize != 2 || st.DropKeepalive != 2 || st.PacketsIn != 1 {
		t.Errorf("stats %+v", st)
	}
}

// TestUDPSendFromEverySocket: SendUDP works from each reuseport socket and
// the peer sees the same source for all.
func TestUDPSendFromEverySocket(t *testing.T) {
	lc := udpListener("u", loop4, 3)
	lc.ReadBuffer = 1 << 20
	tr := start(t, Config{Handler: newRecorder(), Listeners: []ListenerConfig{lc}})
	l := tr.Listener("u")
	c := udpClient(t, loop4)
	dst := addrPort(c.LocalAddr())
	buf := make([]byte, 100)
	for _, s := range l.Sockets() {
		if s.LocalAddr() != l.Addr() || s.Listener() != l {
			t.Fatalf("socket %d: addr %v", s.Index(), s.LocalAddr())
		}
		if err := tr.SendUDP(s, dst, []byte("hi")); err != nil {
			t.Fatal(err)
		}
		c.SetReadDeadline(time.Now().Add(waitFor))
		_, from, err := c.ReadFromUDPAddrPort(buf)
		if err != nil || unmap(from) != l.Addr() {
			t.Fatalf("from %v: %v", from, err)
		}
	}
	if err := tr.SendUDP(l.Sockets()[0], netip.MustParseAddrPort("[::1]:5060"), []byte("x")); err == nil {
		t.Error("IPv6 destination from an IPv4 socket: no error")
	}
}

// TestUDPZeroAlloc: the receive path allocates nothing per datagram.
func TestUDPZeroAlloc(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	got := make(chan int, 1)
	h := HandlerFunc(func(p *Packet) { got <- len(p.Data) })
	tr := start(t, Config{Handler: h, Listeners: []ListenerConfig{udpListener("u", loop4, 1)}})
	c := udpClient(t, loop4)
	dst := tr.Listener("u").Addr()
	msg := readFile(t, "invite.sip")
	allocs := testing.AllocsPerRun(200, func() {
		c.WriteToUDPAddrPort(msg, dst)
		<-got
	})
	if allocs > 0 {
		t.Errorf("%.1f allocations per datagram", allocs)
	}
}
