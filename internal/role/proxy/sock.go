package proxy

import (
	"net/netip"
	"strconv"
	"strings"

	"github.com/sipfleet/sipfleet/internal/nat"
	"github.com/sipfleet/sipfleet/internal/sip"
	"github.com/sipfleet/sipfleet/internal/transport"
)

// sock is a listener with the bytes the proxy writes for it computed once.
type sock struct {
	l    *transport.Listener
	host string // advertised host, IPv6 bracketed
	port int
	via  []byte // "SIP/2.0/UDP host:port;branch="
	rr   string // "<sip:host:port[;transport=tcp];lr;sft=" (recordRoute adds the token)
}

func newSock(l *transport.Listener) (*sock, error) {
	host, port, err := l.AdvertisedHostPort()
	if err != nil {
		return nil, err
	}
	portStr := strconv.Itoa(port)
	hp := host + ":" + portStr
	tp := ""
	if l.Proto() != transport.UDP {
		tp = ";transport=" + strings.ToLower(l.Proto().String())
	}
	return &sock{
		l: l, host: host, port: port,
		via: []byte("SIP/2.0/" + l.Proto().String() + " " + hp + ";branch="),
		rr:  "<sip:" + hp + tp + ";lr;sft=",
	}, nil
}

// recordRoute is the socket's Record-Route value carrying token.
func (s *sock) recordRoute(token []byte) []byte {
	b := make([]byte, 0, len(s.rr)+len(token)+1)
	return append(append(append(b, s.rr...), token...), '>')
}

// owns reports whether host:port (port 0 when absent) names this socket,
// by its advertised or its bound address.
func (s *sock) owns(host []byte, port int) bool {
	return nat.Names(host, port, s.host, s.port, s.l.Addr(), defaultPort(s.l.Proto()))
}

func defaultPort(p transport.Proto) int {
	if p == transport.TLS {
		return 5061
	}
	return 5060
}

// ownsURI reports whether a SIP URI names one of the proxy's sockets.
func (p *Proxy) ownsURI(u *sip.URI) bool {
	if !u.IsSIP() {
		return false
	}
	for _, s := range p.socks {
		if s.owns(u.Host, u.Port) {
			return true
		}
	}
	return false
}

// ownsVia reports whether a Via's sent-by is one of the proxy's sockets.
func (p *Proxy) ownsVia(v *sip.Via) bool {
	for _, s := range p.socks {
		if s.owns(v.Host, v.Port) {
			return true
		}
	}
	return false
}

// sockFor picks the socket to send to dst over proto: one of that
// transport and address family if there is one.
func (p *Proxy) sockFor(dst netip.AddrPort, proto transport.Proto) *sock {
	var any *sock
	for _, s := range p.socks {
		if s.l.Proto() != proto {
			continue
		}
		if s.l.Addr().Addr().Is4() == dst.Addr().Unmap().Is4() {
			return s
		}
		if any == nil {
			any = s
		}
	}
	return any
}

// protoOf reads a URI's transport (RFC 3263 §4.1, for a URI that names
// one).
func protoOf(tp []byte, secure bool) transport.Proto {
	switch {
	case secure || strings.EqualFold(string(tp), "tls"):
		return transport.TLS
	case strings.EqualFold(string(tp), "tcp"):
		return transport.TCP
	}
	return transport.UDP
}
