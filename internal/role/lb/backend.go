package lb

import (
	"context"
	"net"
	"net/netip"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/sipfleet/sipfleet/internal/dispatcher"
	"github.com/sipfleet/sipfleet/internal/transport"
)

// backendSet answers "is this address one of our backends?" for the
// open-relay rule, and resolves destinations to socket addresses. It is
// rebuilt on every dispatcher reload and read without a lock.
type backendSet struct {
	cur atomic.Pointer[backendSnap]
}

type backendSnap struct {
	addrs map[netip.AddrPort]bool
	hosts map[string]bool // host[:port] as written in the list, lower case
	dests map[*dispatcher.Destination]target
}

// target is where a message goes: an address and the transport to use.
type target struct {
	addr  netip.AddrPort
	proto transport.Proto
}

// refresh rebuilds the set from the dispatcher's destinations. Hostnames
// are resolved here, once per reload, with a timeout, so the message path
// never waits on DNS.
func (b *backendSet) refresh(d *dispatcher.Dispatcher) {
	s := &backendSnap{
		addrs: make(map[netip.AddrPort]bool),
		hosts: make(map[string]bool),
		dests: make(map[*dispatcher.Destination]target),
	}
	for _, dst := range d.Destinations() {
		t, ok := resolveDest(dst)
		if !ok {
			continue
		}
		s.dests[dst] = t
		s.addrs[t.addr] = true
		s.hosts[dst.Host+":"+strconv.Itoa(int(t.addr.Port()))] = true
	}
	b.cur.Store(s)
}

func resolveDest(dst *dispatcher.Destination) (target, bool) {
	proto := transport.UDP
	switch dst.Transport {
	case "tcp":
		proto = transport.TCP
	case "tls":
		proto = transport.TLS
	}
	port := dst.Port
	if port == 0 {
		port = defaultPort(proto)
	}
	if ip, ok := parseHostIP([]byte(dst.Host)); ok {
		return target{netip.AddrPortFrom(ip, uint16(port)), proto}, true
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	ips, err := net.DefaultResolver.LookupNetIP(ctx, "ip", dst.Host)
	if err != nil || len(ips) == 0 {
		return target{}, false
	}
	return target{netip.AddrPortFrom(ips[0].Unmap(), uint16(port)), proto}, true
}

func (b *backendSet) isBackend(a netip.AddrPort) bool {
	s := b.cur.Load()
	return s != nil && s.addrs[netip.AddrPortFrom(a.Addr().Unmap(), a.Port())]
}

func (b *backendSet) target(dst *dispatcher.Destination) (target, bool) {
	s := b.cur.Load()
	if s == nil {
		return target{}, false
	}
	t, ok := s.dests[dst]
	return t, ok
}

// byName finds a backend by the hostname the dispatcher list gives it.
func (b *backendSet) byName(host []byte, port int, proto transport.Proto) (target, bool) {
	s := b.cur.Load()
	if s == nil {
		return target{}, false
	}
	for dst, t := range s.dests {
		if equalFold(host, dst.Host) && int(t.addr.Port()) == port && t.proto == proto {
			return t, true
		}
	}
	return target{}, false
}
