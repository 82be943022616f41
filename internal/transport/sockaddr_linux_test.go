//go:build linux

package transport

import (
	"net"
	"net/netip"
	"testing"

	"golang.org/x/sys/unix"
)

// TestSockaddrRoundTrip: what the writer puts in a sockaddr the reader
// turns back into the same address, zones (by interface name or number)
// included.
func TestSockaddrRoundTrip(t *testing.T) {
	lo, err := net.InterfaceByIndex(1)
	if err != nil {
		t.Skip("no interface 1")
	}
	tests := []struct {
		name, in, want string
	}{
		{"ipv4", "192.0.2.1:5060", ""},
		{"ipv4 high port", "127.0.0.1:65535", ""},
		{"ipv6", "[2001:db8::1]:5061", ""},
		{"link-local by name", "[fe80::1%" + lo.Name + "]:5060", ""},
		{"link-local by number", "[fe80::1%1]:5060", "[fe80::1%" + lo.Name + "]:5060"},
	}
	var zw, zr zoneCache
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := netip.MustParseAddrPort(tt.in)
			var sa unix.RawSockaddrInet6
			n := putSockaddr(&sa, in, &zw)
			if (n == unix.SizeofSockaddrInet4) != in.Addr().Is4() {
				t.Fatalf("length %d for %v", n, in)
			}
			want := in
			if tt.want != "" {
				want = netip.MustParseAddrPort(tt.want)
			}
			if got := addrPortOf(&sa, &zr); got != want {
				t.Errorf("got %v, want %v", got, want)
			}
		})
	}
}
