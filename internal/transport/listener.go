package transport

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
)

// Listener is one named local endpoint: a group of UDP sockets or a TCP/TLS
// listening socket, plus the stream connections dialed from its address.
type Listener struct {
	cfg        ListenerConfig
	addr       netip.AddrPort // bound address, known after Start
	advertised string
	sockets    []*Socket        // UDP
	ln         *net.TCPListener // TCP and TLS
	stats      counters         // stream traffic and connections of this listener
	next       atomic.Uint32    // round-robin socket for sends
	queued     senders          // read loops' batches that queue sends on this listener
}

func newListener(cfg ListenerConfig) *Listener {
	cfg.Addr = unmap(cfg.Addr)
	if cfg.Sockets == 0 {
		cfg.Sockets = 1
	}
	if cfg.Batch == 0 && cfg.Proto == UDP {
		cfg.Batch = defaultBatch
	}
	return &Listener{cfg: cfg, addr: cfg.Addr, advertised: cfg.Advertised}
}

// Name returns the configured name.
func (l *Listener) Name() string { return l.cfg.Name }

// Side returns the configured side ("public", "private", …).
func (l *Listener) Side() string { return l.cfg.Side }

// Proto returns the transport protocol.
func (l *Listener) Proto() Proto { return l.cfg.Proto }

// Addr returns the bound address; with port 0 in the config, the real port
// is known once Start has returned.
func (l *Listener) Addr() netip.AddrPort { return l.addr }

// Advertised returns the host:port to put in Via, Record-Route and Path.
func (l *Listener) Advertised() string {
	if l.advertised != "" {
		return l.advertised
	}
	return l.addr.String()
}

// Sockets returns the UDP sockets (nil for streams). Any of them may send:
// they share the local address.
func (l *Listener) Sockets() []*Socket { return slices.Clone(l.sockets) }

// Stats returns this listener's counters (once Start has returned).
func (l *Listener) Stats() Stats {
	var v [numCounters]uint64
	l.addStats(&v)
	return statsFrom(&v)
}

func (l *Listener) addStats(v *[numCounters]uint64) {
	l.stats.addTo(v)
	for _, s := range l.sockets {
		s.stats.addTo(v)
	}
}

// socket picks a UDP socket round-robin, spreading send load over the
// sockets' locks.
func (l *Listener) socket() *Socket {
	n := uint32(len(l.sockets))
	return l.sockets[l.next.Add(1)%n]
}

func (l *Listener) bind(ctx context.Context) error {
	if l.cfg.Proto == UDP {
		return l.bindUDP(ctx)
	}
	return l.bindStream(ctx)
}

func (l *Listener) close() error {
	var errs []error
	if l.ln != nil {
		errs = append(errs, ignoreClosed(l.ln.Close()))
	}
	for _, s := range l.sockets {
		errs = append(errs, s.close())
	}
	return errors.Join(errs...)
}

func ignoreClosed(err error) error {
	if errors.Is(err, net.ErrClosed) {
		return nil
	}
	return err
}

func (l *Listener) sameFamily(dst netip.AddrPort) bool {
	return l.addr.Addr().Is4() == dst.Addr().Is4()
}

func unmap(ap netip.AddrPort) netip.AddrPort {
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
}

func network(base string, a netip.Addr) string {
	if a.Is4() {
		return base + "4"
	}
	return base + "6"
}

// addrPort converts a net.Addr of a TCP or UDP socket.
func addrPort(a net.Addr) netip.AddrPort {
	switch a := a.(type) {
	case *net.TCPAddr:
		return unmap(a.AddrPort())
	case *net.UDPAddr:
		return unmap(a.AddrPort())
	}
	return netip.AddrPort{}
}

// AdvertisedHostPort splits Advertised into the host as a URI or Via
// writes it (IPv6 in brackets) and the port.
func (l *Listener) AdvertisedHostPort() (host string, port int, err error) {
	h, p, err := net.SplitHostPort(l.Advertised())
	if err != nil {
		return "", 0, err
	}
	if port, err = strconv.Atoi(p); err != nil {
		return "", 0, err
	}
	if strings.Contains(h, ":") {
		h = "[" + h + "]"
	}
	return h, port, nil
}
