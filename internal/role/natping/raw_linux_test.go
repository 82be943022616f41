//go:build linux

package natping

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"runtime"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/sipfleet/sipfleet/internal/testenv"
)

// TestRawSender sends spoofed keepalives over loopback to a UDP socket
// and checks what it receives: the kernel delivers a datagram only if
// its UDP checksum is right, and the receiver sees the forged source.
func TestRawSender(t *testing.T) {
	testenv.RequireRoot(t, "raw sockets need CAP_NET_RAW")
	tests := []struct {
		name     string
		listen   string // the receiver
		src4     string // the sender's sources
		src6     string
		fromWant string
		count    int // more than MaxBatch makes several sendmmsg calls
	}{
		{"ipv4 from 127.0.0.2:5060", "127.0.0.1:0", "127.0.0.2:5060", "", "127.0.0.2:5060", 3},
		{"ipv4 several batches", "127.0.0.1:0", "127.0.0.2:5060", "", "127.0.0.2:5060", 2*MaxBatch + 5},
		{"ipv6 from [::1]:5060", "[::1]:0", "", "[::1]:5060", "[::1]:5060", 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rx := listenUDP(t, tc.listen)
			s, err := NewRawSender(parseOpt(tc.src4), parseOpt(tc.src6))
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			dst := rx.LocalAddr().(*net.UDPAddr).AddrPort()
			var ds []Datagram
			want := map[string]bool{}
			for i := range tc.count {
				p := fmt.Sprintf("ping %d\r\n\r\n", i)
				ds = append(ds, Datagram{Dst: dst, Payload: []byte(p)})
				want[p] = true
			}
			if failed, err := s.Send(ds); failed != 0 || err != nil {
				t.Fatalf("Send: %d failed: %v", failed, err)
			}
			for range tc.count {
				from, payload := recvUDP(t, rx)
				if from.String() != tc.fromWant {
					t.Errorf("source %v, want %s", from, tc.fromWant)
				}
				if !want[payload] {
					t.Errorf("unexpected or repeated payload %q", payload)
				}
				delete(want, payload)
			}
		})
	}
}

func TestRawSenderFamilies(t *testing.T) {
	testenv.RequireRoot(t, "raw sockets need CAP_NET_RAW")
	rx4 := listenUDP(t, "127.0.0.1:0")
	s, err := NewRawSender(netip.MustParseAddrPort("127.0.0.2:5060"), netip.AddrPort{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ds := []Datagram{
		{Dst: netip.MustParseAddrPort("[::1]:9"), Payload: crlfcrlf},
		{Dst: rx4.LocalAddr().(*net.UDPAddr).AddrPort(), Payload: []byte("v4")},
	}
	failed, err := s.Send(ds)
	if failed != 1 || !errors.Is(err, errFamily) {
		t.Fatalf("Send to an IPv6 address with no IPv6 source: %d failed, %v; want 1, %v", failed, err, errFamily)
	}
	if _, p := recvUDP(t, rx4); p != "v4" {
		t.Fatalf("the IPv4 datagram of the same batch: got %q", p)
	}
}

// TestRawSenderWithoutCapNetRaw drops CAP_NET_RAW from one thread and
// opens the sender there: it must refuse with the advice an operator
// needs.
func TestRawSenderWithoutCapNetRaw(t *testing.T) {
	testenv.RequireRoot(t, "dropping a capability needs it first")
	err := withoutCapNetRaw(t, func() error {
		s, err := NewRawSender(netip.MustParseAddrPort("127.0.0.2:5060"), netip.AddrPort{})
		if err == nil {
			s.Close()
		}
		return err
	})
	if err == nil {
		t.Fatal("opened a raw socket without CAP_NET_RAW")
	}
	for _, want := range []string{"CAP_NET_RAW", "setcap cap_net_raw+ep", "AmbientCapabilities=CAP_NET_RAW", "root"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
	if !errors.Is(err, unix.EPERM) {
		t.Errorf("error %v does not wrap EPERM", err)
	}
}

// withoutCapNetRaw runs fn on an OS thread of its own whose effective
// capabilities lack CAP_NET_RAW (capabilities are per thread in Linux).
// The thread stays locked, so it ends with the goroutine and no other
// goroutine ever runs with its lowered capabilities.
func withoutCapNetRaw(t *testing.T, fn func() error) error {
	t.Helper()
	type result struct{ setup, err error }
	ch := make(chan result, 1)
	go func() {
		runtime.LockOSThread()
		hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
		var data [2]unix.CapUserData
		if err := unix.Capget(&hdr, &data[0]); err != nil {
			ch <- result{setup: err}
			return
		}
		data[unix.CAP_NET_RAW/32].Effective &^= 1 << (unix.CAP_NET_RAW % 32)
		if err := unix.Capset(&hdr, &data[0]); err != nil {
			ch <- result{setup: err}
			return
		}
		ch <- result{err: fn()}
	}()
	r := <-ch
	if r.setup != nil {
		t.Fatalf("drop CAP_NET_RAW: %v", r.setup)
	}
	return r.err
}

func parseOpt(s string) netip.AddrPort {
	if s == "" {
		return netip.AddrPort{}
	}
	return netip.MustParseAddrPort(s)
}

func listenUDP(t *testing.T, addr string) *net.UDPConn {
	t.Helper()
	ap := netip.MustParseAddrPort(addr)
	c, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(ap))
	if err != nil {
		if ap.Addr().Is6() {
			t.Skipf("no IPv6 loopback here: %v", err)
		}
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// recvUDP waits for the next datagram; the deadline only keeps a broken
// sender from hanging the test.
func recvUDP(t *testing.T, c *net.UDPConn) (netip.AddrPort, string) {
	t.Helper()
	buf := make([]byte, 2048)
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	n, from, err := c.ReadFromUDPAddrPort(buf)
	if err != nil {
		t.Fatalf("no keepalive received: %v", err)
	}
	return netip.AddrPortFrom(from.Addr().Unmap(), from.Port()), string(buf[:n])
}
