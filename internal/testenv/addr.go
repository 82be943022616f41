package testenv

import (
	"fmt"
	"net"
	"net/netip"
	"sync"
	"testing"
)

// LoopbackIP returns 127.0.0.n, for n from 1 to 254. Linux routes all of
// 127.0.0.0/8 to lo, so distinct n give distinct hosts: a test simulates
// several phones, an LB and its backends by giving each its own n, and a
// failure log says who sent what. Ports still come from FreeUDPPort and
// friends, so tests running at the same time never collide.
func LoopbackIP(t testing.TB, n int) netip.Addr {
	t.Helper()
	if n < 1 || n > 254 {
		t.Fatalf("LoopbackIP(%d): n must be 1..254", n)
	}
	ip := netip.AddrFrom4([4]byte{127, 0, 0, byte(n)})
	if err := bindable(ip); err != nil {
		unavailable(t, "cannot bind %s: %v (only Linux routes all of 127/8 to lo)", ip, err)
	}
	return ip
}

func bindable(ip netip.Addr) error {
	c, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(ip, 0)))
	if err != nil {
		return err
	}
	return c.Close()
}

// requireLoopback fails the test unless every address is in 127.0.0.0/8
// or is ::1: test traffic never leaves the host.
func requireLoopback(t testing.TB, what string, addrs ...netip.Addr) {
	t.Helper()
	for _, a := range addrs {
		if !a.Unmap().IsLoopback() {
			t.Fatalf("%s %s: tests send only to loopback addresses (127.0.0.0/8, ::1)", what, a)
		}
	}
}

// FreeUDPPort returns a UDP port on ip that no socket holds now, for a
// server the test starts next. The kernel picks it (bind to port 0) and
// this process never hands out the same ip and port twice.
func FreeUDPPort(t testing.TB, ip netip.Addr) int {
	t.Helper()
	return freePort(t, ip, true, false)
}

// FreeTCPPort is FreeUDPPort for TCP.
func FreeTCPPort(t testing.TB, ip netip.Addr) int {
	t.Helper()
	return freePort(t, ip, false, true)
}

// FreePort returns a port free on ip for both UDP and TCP, for a SIP
// server that listens on both.
func FreePort(t testing.TB, ip netip.Addr) int {
	t.Helper()
	return freePort(t, ip, true, true)
}

// handedOut remembers the ports given to tests, so that two helpers in
// one test binary never get the same one, even once its probe socket is
// closed. Like BuildSipfleet's binary it is per process, on purpose.
var handedOut = struct {
	sync.Mutex
	ports map[netip.AddrPort]bool
}{ports: map[netip.AddrPort]bool{}}

func freePort(t testing.TB, ip netip.Addr, udp, tcp bool) int {
	t.Helper()
	requireLoopback(t, "free port on", ip)
	for range 50 {
		port, err := probePort(ip, udp, tcp)
		if err != nil {
			t.Fatalf("find a free port on %s: %v", ip, err)
		}
		if port != 0 && claim(netip.AddrPortFrom(ip, uint16(port))) {
			return port
		}
	}
	t.Fatalf("find a free port on %s: 50 tries, none free for both UDP and TCP", ip)
	return 0
}

func claim(ap netip.AddrPort) bool {
	handedOut.Lock()
	defer handedOut.Unlock()
	if handedOut.ports[ap] {
		return false
	}
	handedOut.ports[ap] = true
	return true
}

// probePort binds port 0 with the first protocol asked for and, when both
// are, checks that the second is free on the same port; it returns 0 when
// it is not, for the caller to try again.
func probePort(ip netip.Addr, udp, tcp bool) (int, error) {
	zero := netip.AddrPortFrom(ip, 0)
	if !udp {
		ln, err := net.ListenTCP("tcp", net.TCPAddrFromAddrPort(zero))
		if err != nil {
			return 0, err
		}
		defer ln.Close()
		return ln.Addr().(*net.TCPAddr).Port, nil
	}
	c, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(zero))
	if err != nil {
		return 0, err
	}
	defer c.Close()
	port := c.LocalAddr().(*net.UDPAddr).Port
	if tcp {
		ln, err := net.ListenTCP("tcp", net.TCPAddrFromAddrPort(netip.AddrPortFrom(ip, uint16(port))))
		if err != nil {
			return 0, nil
		}
		ln.Close()
	}
	return port, nil
}

// AddrPort is netip.AddrPortFrom with the int ports the helpers return.
func AddrPort(ip netip.Addr, port int) netip.AddrPort {
	if port < 0 || port > 65535 {
		panic(fmt.Sprintf("testenv.AddrPort: port %d out of range", port))
	}
	return netip.AddrPortFrom(ip, uint16(port))
}
