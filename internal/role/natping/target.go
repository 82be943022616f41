package natping

import (
	"bytes"
	"net/netip"
	"strings"

	"github.com/sipfleet/sipfleet/internal/nat"
	"github.com/sipfleet/sipfleet/internal/sip"
	"github.com/sipfleet/sipfleet/internal/store"
)

// target is one binding to ping, in as few bytes as a cycle can hold a
// million of.
type target struct {
	dst     netip.AddrPort
	contact string // the Request-URI of an OPTIONS; empty for CRLF
}

// verdict says why a binding is or is not pinged.
type verdict uint8

const (
	pingIt verdict = iota
	// skipStream: a TCP, TLS or WebSocket binding, kept open by its
	// connection.
	skipStream
	// skipUnusable: neither received nor the contact gives an IP address
	// and port.
	skipUnusable
	// skipFamily: an address of a family the LB has no source address
	// for.
	skipFamily
)

// targetOf works out where a binding's keepalive goes: to its received
// address, the NAT's public side as the LB saw it (with the transport it
// was seen on), else to the contact, which must then name an IP literal.
// A binding without received is one a registrar saved straight from a
// phone (Kamailio without an LB in front), so its socket tells the
// transport too.
func targetOf(b *store.Binding, keepContact bool) (target, verdict) {
	t := target{}
	if keepContact {
		t.contact = b.Contact
	}
	if b.Received != "" {
		dst, proto, err := nat.ParseReceived([]byte(b.Received))
		switch {
		case err != nil:
			return t, skipUnusable
		case proto != "udp":
			return t, skipStream
		}
		t.dst = unmap(dst)
		return t, pingIt
	}
	u, err := sip.ParseURI([]byte(b.Contact))
	switch {
	case err != nil || !u.IsSIP():
		return t, skipUnusable
	case u.IsSecure() || !isUDP(u.Transport()) || !socketIsUDP(b.Socket):
		return t, skipStream
	}
	host := bytes.TrimSuffix(bytes.TrimPrefix(u.Host, []byte("[")), []byte("]"))
	addr, err := netip.ParseAddr(string(host))
	if err != nil || addr.Zone() != "" {
		return t, skipUnusable // a host name: a NATed phone never has one
	}
	port := u.Port
	if port == 0 {
		port = 5060
	}
	t.dst = netip.AddrPortFrom(addr.Unmap(), uint16(port))
	return t, pingIt
}

func unmap(ap netip.AddrPort) netip.AddrPort {
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
}

// isUDP reads a transport parameter; none means UDP (RFC 3261 §19.1.1).
func isUDP(transport []byte) bool {
	return transport == nil || bytes.EqualFold(transport, []byte("udp"))
}

// socketIsUDP reads the protocol of a location row's socket column,
// "proto:host:port"; an empty one says nothing.
func socketIsUDP(socket string) bool {
	proto, _, found := strings.Cut(socket, ":")
	return !found || strings.EqualFold(proto, "udp")
}
