package nat

import (
	"bytes"
	"net/netip"
	"strings"

	"github.com/sipfleet/sipfleet/internal/sip"
)

// Test is a set of NAT tests, numbered as Kamailio's nat_uac_test flags so
// operators can carry their settings over.
type Test uint8

// The tests; combine with |.
const (
	PrivateContact Test = 1  // the Contact URI host is a private address
	ViaHost        Test = 2  // the top Via's sent-by host is not the source IP
	PrivateVia     Test = 4  // the top Via's sent-by host is a private address
	ViaPort        Test = 16 // the top Via's port is not the source port
	PrivateSource  Test = 32 // the packet's source address is private

	// DefaultTests is what the LB runs unless configured otherwise.
	DefaultTests = PrivateContact | ViaHost | ViaPort | PrivateSource
)

// Detect runs the tests in which on a request received from src and
// returns those that fired (0: no sign of a NAT).
func Detect(m *sip.Msg, src netip.AddrPort, which Test) Test {
	var fired Test
	if which&(ViaHost|PrivateVia|ViaPort) != 0 {
		fired |= detectVia(m, src, which)
	}
	if which&PrivateContact != 0 && contactIsPrivate(m) {
		fired |= PrivateContact
	}
	if which&PrivateSource != 0 && IsPrivate(src.Addr()) {
		fired |= PrivateSource
	}
	return fired
}

func detectVia(m *sip.Msg, src netip.AddrPort, which Test) Test {
	v, err := m.TopVia()
	if err != nil {
		return 0
	}
	var fired Test
	host, isIP := HostIP(v.Host)
	if which&ViaHost != 0 && (!isIP || host != src.Addr().Unmap()) {
		fired |= ViaHost
	}
	if which&PrivateVia != 0 && isIP && IsPrivate(host) {
		fired |= PrivateVia
	}
	if which&ViaPort != 0 && viaPort(&v) != src.Port() {
		fired |= ViaPort
	}
	return fired
}

// viaPort is the port a response would go to without rport: the sent-by
// port, or the transport's default (RFC 3261 §18.2.2).
func viaPort(v *sip.Via) uint16 {
	if v.Port > 0 {
		return uint16(v.Port)
	}
	if bytes.EqualFold(v.Transport, []byte("tls")) {
		return 5061
	}
	return 5060
}

func contactIsPrivate(m *sip.Msg) bool {
	private := false
	_ = m.NameAddrs(sip.HdrContact, func(n sip.NameAddr) bool {
		if a, ok := HostIP(n.URI.Host); ok && IsPrivate(a) {
			private = true
		}
		return !private
	})
	return private
}

// HostIP parses a URI or Via host that is an IP literal (IPv6 in
// brackets), without allocating for IPv4; ok is false for a hostname.
func HostIP(h []byte) (netip.Addr, bool) {
	if len(h) > 1 && h[0] == '[' && h[len(h)-1] == ']' {
		h = h[1 : len(h)-1]
	}
	if a, ok := parseIPv4(h); ok {
		return a, true
	}
	a, err := netip.ParseAddr(string(h))
	if err != nil {
		return netip.Addr{}, false
	}
	return a.Unmap(), true
}

// parseIPv4 reads a dotted quad without the string conversion
// netip.ParseAddr needs, since the LB runs this on every request.
func parseIPv4(h []byte) (netip.Addr, bool) {
	var ip [4]byte
	part, n, digits := 0, 0, 0
	for _, c := range h {
		switch {
		case c >= '0' && c <= '9' && digits < 3:
			n = n*10 + int(c-'0')
			digits++
		case c == '.' && digits > 0 && part < 3:
			if n > 255 {
				return netip.Addr{}, false
			}
			ip[part] = byte(n)
			part, n, digits = part+1, 0, 0
		default:
			return netip.Addr{}, false
		}
	}
	if part != 3 || digits == 0 || n > 255 {
		return netip.Addr{}, false
	}
	ip[3] = byte(n)
	return netip.AddrFrom4(ip), true
}

// Names reports whether host:port, as written in a URI or a Via (port 0
// when absent, meaning defPort), names a socket advertised as
// advHost:advPort (advHost as written, IPv6 in brackets) and bound to
// bound: by the advertised name, or by the bound IP literal. The LB and
// the proxy use it to know their own Route and Via entries.
func Names(host []byte, port int, advHost string, advPort int, bound netip.AddrPort, defPort int) bool {
	if port == 0 {
		port = defPort
	}
	if port == advPort && strings.EqualFold(string(host), advHost) {
		return true
	}
	if port != int(bound.Port()) {
		return false
	}
	ip, ok := HostIP(host)
	return ok && ip == bound.Addr().Unmap()
}
