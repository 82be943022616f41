package lb

import (
	"bytes"
	"context"
	"net"
	"net/netip"
	"sync/atomic"
	"time"

	"github.com/sipfleet/sipfleet/internal/dispatcher"
	"github.com/sipfleet/sipfleet/internal/nat"
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
	// dests is keyed by what names a destination's address, not by the
	// Destination; prev is the list before the last reload, since a request
	// selected before it fails over among that list's destinations, which
	// must still resolve (one generation is enough: a failover lasts
	// seconds, reloads are operator actions).
	dests, prev map[destKey]target
	nets        []netip.Prefix
}

type destKey struct {
	host      string
	port      int
	transport string
}

func keyOf(d *dispatcher.Destination) destKey { return destKey{d.Host, d.Port, d.Transport} }

// target is where a message goes: an address and the transport to use.
type target struct {
	addr  netip.AddrPort
	proto transport.Proto
}

// refresh rebuilds the set from the dispatcher's destinations. Hostnames
// are resolved here, once per reload, with a timeout, so the message path
// never waits on DNS.
func (b *backendSet) refresh(d *dispatcher.Dispatcher, nets []netip.Prefix) {
	s := &backendSnap{
		addrs: make(map[netip.AddrPort]bool),
		dests: make(map[destKey]target),
		nets:  nets,
	}
	if old := b.cur.Load(); old != nil {
		s.prev = old.dests
	}
	for _, dst := range d.Destinations() {
		t, ok := resolveDest(dst)
		if !ok {
			continue
		}
		s.dests[keyOf(dst)] = t
		s.addrs[t.addr] = true
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
	if ip, ok := nat.HostIP([]byte(dst.Host)); ok {
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

// isBackend reports an address of the private side: a destination of the
// dispatcher list, or an address in the configured private networks (so
// that dialogs through a backend survive its removal from the list).
func (b *backendSet) isBackend(a netip.AddrPort) bool {
	s := b.cur.Load()
	if s == nil {
		return false
	}
	a = netip.AddrPortFrom(a.Addr().Unmap(), a.Port())
	if s.addrs[a] {
		return true
	}
	for _, p := range s.nets {
		if p.Contains(a.Addr()) {
			return true
		}
	}
	return false
}

func (b *backendSet) target(dst *dispatcher.Destination) (target, bool) {
	if s := b.cur.Load(); s != nil {
		if t, ok := s.dests[keyOf(dst)]; ok {
			return t, true
		}
		if t, ok := s.prev[keyOf(dst)]; ok {
			return t, true
		}
	}
	return resolveDest(dst)
}

// byName finds a backend by the hostname the dispatcher list gives it.
func (b *backendSet) byName(host []byte, port int, proto transport.Proto) (target, bool) {
	s := b.cur.Load()
	if s == nil {
		return target{}, false
	}
	for k, t := range s.dests {
		if bytes.EqualFold(host, []byte(k.host)) && int(t.addr.Port()) == port && t.proto == proto {
			return t, true
		}
	}
	return target{}, false
}
