package lb

import (
	"strconv"
	"strings"

	"github.com/sipfleet/sipfleet/internal/nat"
	"github.com/sipfleet/sipfleet/internal/transport"
)

// side is where a listener faces: phones and peers, or the backends.
type side uint8

const (
	public side = iota
	private
)

func (s side) String() string {
	if s == public {
		return "public"
	}
	return "private"
}

// sock is a listener as the LB uses it, with the bytes it writes for it
// computed once.
type sock struct {
	l        *transport.Listener
	udp      *transport.Socket // the socket UDP sends leave from
	idx      int               // position among the LB's sockets, carried in branches
	side     side
	host     string // advertised host (an IP literal, [v6] bracketed, or a name)
	port     int
	via      []byte // "SIP/2.0/UDP host:port;branch="
	rr       []byte // "<sip:host:port;transport=tcp;lr;r2=on>" (one RR entry)
	rrSingle []byte // the same without r2=on
	uri      []byte // "sip:host:port;transport=tcp;lr" (Path)
}

func newSock(l *transport.Listener, sd side) (*sock, error) {
	host, port, err := l.AdvertisedHostPort()
	if err != nil {
		return nil, err
	}
	s := &sock{l: l, side: sd, host: host, port: port}
	if socks := l.Sockets(); len(socks) > 0 {
		s.udp = socks[0]
	}
	hp := host + ":" + strconv.Itoa(port)
	s.via = []byte("SIP/2.0/" + l.Proto().String() + " " + hp + ";branch=")
	tp := ""
	if l.Proto() != transport.UDP {
		tp = ";transport=" + strings.ToLower(l.Proto().String())
	}
	s.uri = []byte("sip:" + hp + tp + ";lr")
	s.rr = []byte("<sip:" + hp + tp + ";lr;r2=on>")
	s.rrSingle = []byte("<sip:" + hp + tp + ";lr>")
	return s, nil
}

// owns reports whether host:port (as written in a URI or Via; port 0 when
// absent) names this socket, by its advertised or its bound address.
func (s *sock) owns(host []byte, port int) bool {
	return nat.Names(host, port, s.host, s.port, s.l.Addr(), defaultPort(s.l.Proto()))
}

func defaultPort(p transport.Proto) int {
	if p == transport.TLS {
		return 5061
	}
	return 5060
}
