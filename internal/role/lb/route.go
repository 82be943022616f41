package lb

import (
	"bytes"
	"net/netip"

	"github.com/sipfleet/sipfleet/internal/nat"
	"github.com/sipfleet/sipfleet/internal/sip"
	"github.com/sipfleet/sipfleet/internal/transport"
)

// ownRoutes describes the LB's own entries at the top of a request's Route
// set: a Path URI it wrote on a REGISTER, or one or two Record-Route URIs
// it wrote on a dialog-creating request (two, with r2=on, when the request
// crossed sockets — RFC 5658).
type ownRoutes struct {
	n        int    // own entries at the top
	total    int    // Route values in all
	received []byte // the ;received= of an own entry (use_received), escaped
	next     sip.URI
	hasNext  bool // a Route value follows the own ones
}

// readRoutes walks the Route set once.
func (lb *LB) readRoutes(m *sip.Msg) (ownRoutes, error) {
	var r ownRoutes
	leading := true
	err := m.NameAddrs(sip.HdrRoute, func(n sip.NameAddr) bool {
		r.total++
		if leading && r.n < 2 && lb.ownsURI(&n.URI) {
			r.n++
			if v, ok := n.URI.Params.Get("received"); ok && r.received == nil {
				r.received = v
			}
			return true
		}
		if leading {
			leading = false
			r.next, r.hasNext = n.URI, true
		}
		return true
	})
	return r, err
}

// ownsURI reports whether a SIP URI names one of the LB's sockets.
func (lb *LB) ownsURI(u *sip.URI) bool {
	if !u.IsSIP() {
		return false
	}
	for _, s := range lb.socks().all {
		if s.owns(u.Host, u.Port) {
			return true
		}
	}
	return false
}

// uriTarget is where a request whose next hop is u goes (RFC 3263 for
// literal addresses; the LB resolves no names on the message path, so a
// hostname must be a backend's name from the dispatcher list).
func (lb *LB) uriTarget(u *sip.URI) (target, bool) {
	proto := protoOf(u.Transport(), u.IsSecure())
	port := u.Port
	if port == 0 {
		port = defaultPort(proto)
	}
	if ip, ok := nat.HostIP(u.Host); ok {
		return target{netip.AddrPortFrom(ip, uint16(port)), proto}, true
	}
	return lb.backend.byName(u.Host, port, proto)
}

func protoOf(tp []byte, secure bool) transport.Proto {
	switch {
	case secure || bytes.EqualFold(tp, []byte("tls")):
		return transport.TLS
	case bytes.EqualFold(tp, []byte("tcp")):
		return transport.TCP
	}
	return transport.UDP
}

// receivedTarget decodes a Path ;received= value.
func receivedTarget(v []byte) (target, bool) {
	addr, proto, err := nat.ParseReceived(v)
	if err != nil {
		return target{}, false
	}
	p, err := transport.ParseProto(proto)
	if err != nil {
		return target{}, false
	}
	return target{addr, p}, true
}

// viaTarget is where a response goes by a Via (RFC 3261 §18.2.2 and
// RFC 3581 §4): received (else the sent-by host), and rport (else the
// sent-by port, else the transport's default).
func viaTarget(v *sip.Via) (target, bool) {
	proto := protoOf(v.Transport, false)
	ip, port, ok := nat.ResponseDest(v)
	if !ok {
		return target{}, false
	}
	if port == 0 {
		port = defaultPort(proto)
	}
	return target{netip.AddrPortFrom(ip, uint16(port)), proto}, true
}

// outSock picks the socket toward t: the private side for backends, the
// public side for everything else, matching the transport when possible.
func (lb *LB) outSock(t target) *sock {
	ss := lb.socks()
	socks := ss.pub
	if lb.backend.isBackend(t.addr) {
		socks = ss.priv
	}
	for _, s := range socks {
		if s.l.Proto() == t.proto && s.l.Addr().Addr().Is4() == t.addr.Addr().Is4() {
			return s
		}
	}
	for _, s := range socks {
		if s.l.Proto() == t.proto {
			return s
		}
	}
	return nil
}
