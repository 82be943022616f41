package transport

import (
	"cmp"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"strconv"
	"time"
)

// Config describes a Transport. Zero durations and sizes take the defaults
// below; negative ones are errors.
type Config struct {
	Listeners []ListenerConfig
	Handler   Handler      // required; called on the read goroutine
	Logger    *slog.Logger // nil: discard

	// OnConnClose, if set, is called once per stream connection after it left
	// the table, on that connection's goroutine, with the reason (io.EOF when
	// the peer closed; ErrIdleTimeout, ErrHeaderTimeout, a framing error,
	// ErrClosed on shutdown…). The registrar uses it to notice failed flows
	// (RFC 5626 §4.4). It must not block.
	OnConnClose func(ConnInfo, error)

	MaxConns       int // stream connections, both directions; default 10000
	MaxHeaderBytes int // stream header section; default 32 KiB
	MaxBodyBytes   int // stream body; default 64 KiB
	MaxDatagram    int // largest UDP datagram accepted; default 65535

	IdleTimeout      time.Duration // no traffic either way; default 5m
	HeaderTimeout    time.Duration // header section, from its first byte; default 5s
	BodyTimeout      time.Duration // body, from the end of the headers; default 10s
	DialTimeout      time.Duration // TCP connect plus TLS handshake; default 5s
	HandshakeTimeout time.Duration // server-side TLS handshake; default 5s
	WriteTimeout     time.Duration // one message write; default 5s
}

// ListenerConfig describes one named listener.
type ListenerConfig struct {
	Name  string // unique, e.g. "public-udp"
	Side  string // free-form group, e.g. "public" or "private"
	Proto Proto
	Addr  netip.AddrPort // IPv4 or IPv6; port 0 picks one (tests)

	// Advertised is the host:port that goes into Via, Record-Route and Path
	// (the VIP behind NAT or VRRP). Default: the bound address.
	Advertised string

	// TLS is the server configuration (required for TLS); TLSClient is used
	// when this listener dials out (default: a zero config verifying against
	// the system roots with the peer IP as name).
	TLS       *tls.Config
	TLSClient *tls.Config

	// Sockets is the number of UDP sockets bound to Addr with SO_REUSEPORT,
	// each with its own read goroutine; the kernel spreads datagrams by
	// 4-tuple hash. Default 1. UDP only.
	Sockets int

	// ReadBuffer sets SO_RCVBUF on UDP sockets (0: system default). Raise it
	// on a busy LB so bursts are queued rather than dropped; the kernel caps
	// it at net.core.rmem_max.
	ReadBuffer int

	// Batch is how many datagrams each UDP socket reads with one recvmmsg,
	// and how many replies its handler may queue for one sendmmsg (see
	// "Batching" in the package doc). Default 32; 1 turns batching off: one
	// recvfrom and one sendto per datagram, as on systems other than Linux,
	// where Batch is ignored. At most 1024 (UIO_MAXIOV). UDP only.
	Batch int

	// BlockingRead gives each UDP socket a reader that waits in recvmmsg
	// on a blocking socket, in a thread of its own, instead of in Go's
	// netpoller. At a moderate rate, when each read finds one datagram,
	// that saves the poller's per-datagram work (epoll_wait, futex
	// wake-ups of idle threads, the read that finds the socket empty);
	// it costs one OS thread per socket. Linux only (ignored elsewhere).
	// UDP only.
	BlockingRead bool

	// FreeBind sets IP_FREEBIND so a standby can bind a VIP it does not hold
	// yet (keepalived/VRRP). Linux only.
	FreeBind bool
}

func (c Config) withDefaults() Config {
	c.Logger = cmp.Or(c.Logger, slog.New(slog.DiscardHandler))
	c.MaxConns = cmp.Or(c.MaxConns, 10000)
	c.MaxHeaderBytes = cmp.Or(c.MaxHeaderBytes, 32<<10)
	c.MaxBodyBytes = cmp.Or(c.MaxBodyBytes, 64<<10)
	c.MaxDatagram = cmp.Or(c.MaxDatagram, 65535)
	c.IdleTimeout = cmp.Or(c.IdleTimeout, 5*time.Minute)
	c.HeaderTimeout = cmp.Or(c.HeaderTimeout, 5*time.Second)
	c.BodyTimeout = cmp.Or(c.BodyTimeout, 10*time.Second)
	c.DialTimeout = cmp.Or(c.DialTimeout, 5*time.Second)
	c.HandshakeTimeout = cmp.Or(c.HandshakeTimeout, 5*time.Second)
	c.WriteTimeout = cmp.Or(c.WriteTimeout, 5*time.Second)
	return c
}

// Validate reports every problem, not only the first.
func (c Config) Validate() error {
	var errs []error
	if c.Handler == nil {
		errs = append(errs, errors.New("handler: required"))
	}
	errs = append(errs, c.validateLimits()...)
	names := make(map[string]bool)
	for i, l := range c.Listeners {
		if names[l.Name] {
			errs = append(errs, fmt.Errorf("listener %q: duplicate name", l.Name))
		}
		names[l.Name] = true
		for _, err := range l.validate() {
			errs = append(errs, fmt.Errorf("listener %d %q: %w", i, l.Name, err))
		}
	}
	return errors.Join(errs...)
}

func (c Config) validateLimits() []error {
	var errs []error
	for _, v := range []struct {
		name string
		v    int64
	}{
		{"max conns", int64(c.MaxConns)}, {"max header bytes", int64(c.MaxHeaderBytes)},
		{"max body bytes", int64(c.MaxBodyBytes)}, {"max datagram", int64(c.MaxDatagram)},
		{"idle timeout", int64(c.IdleTimeout)}, {"header timeout", int64(c.HeaderTimeout)},
		{"body timeout", int64(c.BodyTimeout)}, {"dial timeout", int64(c.DialTimeout)},
		{"handshake timeout", int64(c.HandshakeTimeout)}, {"write timeout", int64(c.WriteTimeout)},
	} {
		if v.v < 0 {
			errs = append(errs, fmt.Errorf("%s: negative", v.name))
		}
	}
	if c.MaxDatagram > 65535 {
		errs = append(errs, errors.New("max datagram: above 65535"))
	}
	return errs
}

func (l ListenerConfig) validate() []error {
	var errs []error
	if l.Name == "" {
		errs = append(errs, errors.New("name: required"))
	}
	if !l.Proto.valid() {
		errs = append(errs, fmt.Errorf("proto: invalid %v", l.Proto))
	}
	if !l.Addr.Addr().IsValid() {
		errs = append(errs, errors.New("addr: required"))
	}
	if l.Proto == TLS && !hasCert(l.TLS) {
		errs = append(errs, errors.New("tls: a server certificate is required"))
	}
	if l.Sockets < 0 || (l.Sockets > 1 && l.Proto != UDP) {
		errs = append(errs, fmt.Errorf("sockets: %d (more than one is for UDP only)", l.Sockets))
	}
	if l.ReadBuffer < 0 || (l.ReadBuffer > 0 && l.Proto != UDP) {
		errs = append(errs, fmt.Errorf("read buffer: %d (UDP only)", l.ReadBuffer))
	}
	if l.Batch < 0 || l.Batch > maxBatch || (l.Batch > 0 && l.Proto != UDP) {
		errs = append(errs, fmt.Errorf("batch: %d (UDP only, at most %d)", l.Batch, maxBatch))
	}
	if l.BlockingRead && l.Proto != UDP {
		errs = append(errs, errors.New("blocking read: UDP only"))
	}
	if l.Advertised != "" {
		if err := checkHostPort(l.Advertised); err != nil {
			errs = append(errs, fmt.Errorf("advertised: %w", err))
		}
	}
	return errs
}

func hasCert(c *tls.Config) bool {
	return c != nil && (len(c.Certificates) > 0 || c.GetCertificate != nil || c.GetConfigForClient != nil)
}

func checkHostPort(s string) error {
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		return err
	}
	if host == "" {
		return fmt.Errorf("%q: empty host", s)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return fmt.Errorf("%q: bad port", s)
	}
	return nil
}
