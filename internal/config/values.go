package config

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
)

// Side says which network a listener faces: the LB's public side (UACs and
// peers) or the private LAN of the backends.
type Side string

// The sides of a listener.
const (
	Public  Side = "public"
	Private Side = "private"
)

// Proto is a SIP transport protocol.
type Proto string

// The transports a listener can serve.
const (
	UDP Proto = "udp"
	TCP Proto = "tcp"
	TLS Proto = "tls"
)

// HostPort is a host (an IP literal or a DNS name, possibly empty for "every
// interface") and a port, written "host:port" or "[ipv6]:port".
type HostPort struct {
	Host string
	Port uint16
}

// IsZero reports whether the address was left unset.
func (h HostPort) IsZero() bool { return h == HostPort{} }

// IsWildcard reports whether the host names every interface, which a
// listener may bind to but no peer can send to.
func (h HostPort) IsWildcard() bool {
	if h.Host == "" {
		return true
	}
	ip, err := netip.ParseAddr(h.Host)
	return err == nil && ip.IsUnspecified()
}

// String gives the address in the form it is written in, "[::1]:5060" for
// IPv6; the zero value gives "".
func (h HostPort) String() string {
	if h.IsZero() {
		return ""
	}
	return net.JoinHostPort(h.Host, strconv.Itoa(int(h.Port)))
}

// MarshalText writes the address as String does.
func (h HostPort) MarshalText() ([]byte, error) { return []byte(h.String()), nil }

// UnmarshalText parses "host:port" or "[ipv6]:port"; the port may be 0
// (let the kernel pick), and which addresses make sense is for the field's
// validation to say.
func (h *HostPort) UnmarshalText(text []byte) error {
	s := string(text)
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		var ae *net.AddrError
		if errors.As(err, &ae) {
			return fmt.Errorf("bad address %q: %s (want host:port or [ipv6]:port)", s, ae.Err)
		}
		return fmt.Errorf("bad address %q: %w", s, err)
	}
	p, err := strconv.ParseUint(port, 10, 16)
	if err != nil {
		return fmt.Errorf("bad address %q: port must be a number from 0 to 65535", s)
	}
	if !validHost(host) {
		return fmt.Errorf("bad address %q: host is neither an IP address nor a DNS name", s)
	}
	*h = HostPort{Host: host, Port: uint16(p)}
	return nil
}

// validHost accepts an IP literal (with an IPv6 zone), an empty host, or a
// DNS name of letters, digits and hyphens (RFC 1123 §2.1).
func validHost(host string) bool {
	if host == "" {
		return true
	}
	if _, err := netip.ParseAddr(host); err == nil {
		return true
	}
	if len(host) > 253 {
		return false
	}
	for label := range strings.SplitSeq(strings.TrimSuffix(host, "."), ".") {
		if !validLabel(label) {
			return false
		}
	}
	return true
}

func validLabel(l string) bool {
	if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
		return false
	}
	for _, c := range []byte(l) {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// DSN names a database as a URL: "sqlite:PATH",
// "mysql://user:pass@host:port/db" or "postgres://user:pass@host:port/db".
type DSN string

// Scheme is the database kind: sqlite, mysql or postgres.
func (d DSN) Scheme() string {
	scheme, _, _ := strings.Cut(string(d), ":")
	return scheme
}

// UnmarshalText checks the form of the URL. Its errors never quote the
// value, since a DSN may hold a password and errors end up in logs.
func (d *DSN) UnmarshalText(text []byte) error {
	u, err := url.Parse(string(text))
	if err != nil {
		return errors.New("bad database URL: not a URL")
	}
	switch u.Scheme {
	case "sqlite":
		if u.Opaque == "" && u.Path == "" {
			return errors.New("bad database URL: sqlite needs a file path, as in sqlite:./sipfleet.db")
		}
	case "mysql", "postgres":
		if u.Host == "" || strings.Trim(u.Path, "/") == "" {
			return fmt.Errorf("bad database URL: %s needs a host and a database, as in %s://user@host/db", u.Scheme, u.Scheme)
		}
	default:
		return errors.New("bad database URL: the scheme must be sqlite, mysql or postgres")
	}
	*d = DSN(text)
	return nil
}
