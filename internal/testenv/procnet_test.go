package testenv

import (
	"context"
	"net"
	"net/netip"
	"os"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestParseProcAddr(t *testing.T) {
	for _, tc := range []struct {
		in, want string
	}{
		{"00000000:13C4", "0.0.0.0:5060"},
		{"00000000000000000000000000000000:13C4", "[::]:5060"},
	} {
		got, err := parseProcAddr(tc.in)
		if err != nil || got.String() != tc.want {
			t.Errorf("parseProcAddr(%q) = %v, %v; want %s", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{"", "0100007F", "0100007F:", "0100007F:XYZ", "01007F:13C4", "0100007G:13C4"} {
		if got, err := parseProcAddr(bad); err == nil {
			t.Errorf("parseProcAddr(%q) = %v, want an error", bad, got)
		}
	}
}

// TestScanSocketsWildcard checks that a socket bound to the wildcard
// address serves every IP, and that a TCP socket must be listening.
func TestScanSocketsWildcard(t *testing.T) {
	const table = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000:13C4 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 1001 2 0
   1: 00000000:13C5 00000000:0000 01 00000000:00000000 00:00000000 00000000     0        0 1002 2 0
`
	addr := netip.MustParseAddrPort("127.0.0.9:5060")
	if got, err := scanSockets(strings.NewReader(table), addr, false); !slices.Equal(got, []string{"1001"}) || err != nil {
		t.Errorf("UDP wildcard :5060: got %v, %v; want inode 1001", got, err)
	}
	if got, _ := scanSockets(strings.NewReader(table), addr, true); len(got) != 0 {
		t.Error("TCP :5060 in state 07 counted as listening")
	}
	other := netip.MustParseAddrPort("127.0.0.9:5062")
	if got, _ := scanSockets(strings.NewReader(table), other, false); len(got) != 0 {
		t.Error("port 5062 counted as bound")
	}
}

func TestBoundUDP(t *testing.T) {
	ip := LoopbackIP(t, 22)
	c, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(AddrPort(ip, 0)))
	if err != nil {
		t.Fatal(err)
	}
	addr := c.LocalAddr().(*net.UDPAddr).AddrPort()
	checkBound(t, "udp", addr, true)
	checkBound(t, "tcp", addr, false)
	if mine, err := BoundBy(os.Getpid(), "udp", addr); !mine || err != nil {
		t.Errorf("BoundBy(this process) = %v, %v; want true", mine, err)
	}
	if theirs, err := BoundBy(os.Getppid(), "udp", addr); theirs || err != nil {
		t.Errorf("BoundBy(parent process) = %v, %v; want false", theirs, err)
	}
	checkBound(t, "udp", AddrPort(LoopbackIP(t, 23), int(addr.Port())), false)
	c.Close()
	checkBound(t, "udp", addr, false)
}

func TestBoundTCP(t *testing.T) {
	ip := LoopbackIP(t, 22)
	ln, err := net.ListenTCP("tcp", net.TCPAddrFromAddrPort(AddrPort(ip, 0)))
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().(*net.TCPAddr).AddrPort()
	checkBound(t, "tcp", addr, true)
	ln.Close()
	checkBound(t, "tcp", addr, false)
}

func checkBound(t *testing.T, network string, addr netip.AddrPort, want bool) {
	t.Helper()
	got, err := Bound(network, addr)
	if err != nil || got != want {
		t.Errorf("Bound(%s, %s) = %v, %v; want %v", network, addr, got, err, want)
	}
}

func TestBoundBadNetwork(t *testing.T) {
	if _, err := Bound("sctp", netip.MustParseAddrPort("127.0.0.1:5060")); err == nil {
		t.Error("Bound(sctp) did not fail")
	}
}

func TestWaitBound(t *testing.T) {
	ip := LoopbackIP(t, 22)
	c, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(AddrPort(ip, 0)))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := WaitBound(ctx, "udp", c.LocalAddr().(*net.UDPAddr).AddrPort()); err != nil {
		t.Errorf("WaitBound on a bound socket: %v", err)
	}

	free := AddrPort(ip, FreeUDPPort(t, ip))
	short, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := WaitBound(short, "udp", free); err == nil {
		t.Error("WaitBound on a free port returned nil")
	}

	exited := make(chan struct{})
	close(exited)
	if err := waitBoundBy(ctx, os.Getpid(), "udp", free, exited); err == nil || !strings.Contains(err.Error(), "exited") {
		t.Errorf("waitBoundBy with its process gone: %v; want an error saying it exited", err)
	}
}
