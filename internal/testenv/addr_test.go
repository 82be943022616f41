package testenv

import (
	"net"
	"net/netip"
	"testing"
)

func TestLoopbackIP(t *testing.T) {
	if got, want := LoopbackIP(t, 7), netip.MustParseAddr("127.0.0.7"); got != want {
		t.Errorf("LoopbackIP(7) = %s, want %s", got, want)
	}
	for _, n := range []int{0, 255, -1} {
		if f := runFake(t, func(tb testing.TB) { LoopbackIP(tb, n) }); !f.fatal {
			t.Errorf("LoopbackIP(%d) did not fail the test", n)
		}
	}
}

func TestFreeUDPPort(t *testing.T) {
	ip := LoopbackIP(t, 21)
	a, b := FreeUDPPort(t, ip), FreeUDPPort(t, ip)
	if a == b {
		t.Fatalf("FreeUDPPort twice gave port %d", a)
	}
	c, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(AddrPort(ip, a)))
	if err != nil {
		t.Fatalf("bind the free port: %v", err)
	}
	c.Close()
}

func TestFreeTCPPort(t *testing.T) {
	ip := LoopbackIP(t, 21)
	ln, err := net.ListenTCP("tcp", net.TCPAddrFromAddrPort(AddrPort(ip, FreeTCPPort(t, ip))))
	if err != nil {
		t.Fatalf("listen on the free port: %v", err)
	}
	ln.Close()
}

func TestFreePortBoth(t *testing.T) {
	ip := LoopbackIP(t, 21)
	ap := AddrPort(ip, FreePort(t, ip))
	c, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(ap))
	if err != nil {
		t.Fatalf("bind UDP %s: %v", ap, err)
	}
	defer c.Close()
	ln, err := net.ListenTCP("tcp", net.TCPAddrFromAddrPort(ap))
	if err != nil {
		t.Fatalf("listen TCP %s: %v", ap, err)
	}
	ln.Close()
}

func TestFreePortRefusesNonLoopback(t *testing.T) {
	f := runFake(t, func(tb testing.TB) { FreeUDPPort(tb, netip.MustParseAddr("192.0.2.1")) })
	if !f.fatal {
		t.Error("FreeUDPPort on 192.0.2.1 did not fail the test")
	}
}
