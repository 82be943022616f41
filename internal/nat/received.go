package nat

import (
	"errors"
	"net/netip"
	"strconv"
	"strings"

	"github.com/sipfleet/sipfleet/internal/sip"
)

// AppendReceived appends the value of a Path URI's received= parameter for
// a UA seen at src over proto ("udp", "tcp", "tls", ...): a SIP URI of the
// source, escaped so that it is one uri-parameter value (RFC 3261 §19.1.1
// escapes ';' and '=' inside it), e.g. "sip:198.51.100.7:40000" or
// "sip:198.51.100.7:40000%3Btransport%3Dtcp". UDP is the default and is
// left out, as Kamailio's add_path_received does.
func AppendReceived(dst []byte, src netip.AddrPort, proto string) []byte {
	dst = append(dst, "sip:"...)
	dst = AppendHostPort(dst, src)
	if proto != "" && !strings.EqualFold(proto, "udp") {
		dst = append(dst, "%3Btransport%3D"...)
		for i := 0; i < len(proto); i++ {
			c := proto[i]
			if c >= 'A' && c <= 'Z' {
				c += 'a' - 'A'
			}
			dst = append(dst, c)
		}
	}
	return dst
}

// AppendHostPort appends ap as a URI's hostport: IPv6 in brackets, IPv4
// mapped addresses as IPv4.
func AppendHostPort(dst []byte, ap netip.AddrPort) []byte {
	a := ap.Addr().Unmap()
	if a.Is6() {
		dst = append(dst, '[')
		dst = a.AppendTo(dst)
		dst = append(dst, ']')
	} else {
		dst = a.AppendTo(dst)
	}
	dst = append(dst, ':')
	return strconv.AppendUint(dst, uint64(ap.Port()), 10)
}

// ErrBadReceived is returned for a received= value that is not a SIP URI
// with a literal IP address and port.
var ErrBadReceived = errors.New("bad received= value")

// ParseReceived reads a received= value written by AppendReceived (or by
// Kamailio), escaped or not: "sip:IP:PORT[;transport=T]". The port
// defaults to 5060 and the transport to "udp".
func ParseReceived(v []byte) (src netip.AddrPort, proto string, err error) {
	raw, err := sip.Unescape(nil, v)
	if err != nil {
		return netip.AddrPort{}, "", ErrBadReceived
	}
	s, ok := strings.CutPrefix(strings.ToLower(string(raw)), "sip:")
	if !ok {
		return netip.AddrPort{}, "", ErrBadReceived
	}
	hostport, params, _ := strings.Cut(s, ";")
	proto = "udp"
	for p := range strings.SplitSeq(params, ";") {
		if t, ok := strings.CutPrefix(p, "transport="); ok {
			if !isAlnum(t) {
				return netip.AddrPort{}, "", ErrBadReceived
			}
			proto = t
		}
	}
	src, err = parseHostPort(hostport)
	return src, proto, err
}

func parseHostPort(s string) (netip.AddrPort, error) {
	host, port := s, "5060"
	switch {
	case strings.HasPrefix(s, "["):
		end := strings.IndexByte(s, ']')
		if end < 0 {
			return netip.AddrPort{}, ErrBadReceived
		}
		host = s[1:end]
		if rest := s[end+1:]; rest != "" {
			p, ok := strings.CutPrefix(rest, ":")
			if !ok {
				return netip.AddrPort{}, ErrBadReceived
			}
			port = p
		}
	case strings.Count(s, ":") == 1:
		host, port, _ = strings.Cut(s, ":")
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return netip.AddrPort{}, ErrBadReceived
	}
	p, err := strconv.ParseUint(port, 10, 16)
	if err != nil || p == 0 {
		return netip.AddrPort{}, ErrBadReceived
	}
	return netip.AddrPortFrom(a, uint16(p)), nil
}

// isAlnum reports whether s is a non-empty run of letters and digits, as
// every SIP transport name is.
func isAlnum(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') {
			return false
		}
	}
	return s != ""
}

// ResponseDest is where a response goes by its Via (RFC 3261 §18.2.2,
// RFC 3581 §4): the received address (else the sent-by host, an IP
// literal), and rport (else the sent-by port; 0 when neither, for the
// caller's transport default). ok is false for a sent-by name.
func ResponseDest(v *sip.Via) (ip netip.Addr, port int, ok bool) {
	host := v.Received()
	if len(host) == 0 {
		host = v.Host
	}
	if ip, ok = HostIP(host); !ok {
		return ip, 0, false
	}
	port = v.Port
	if rp, _ := v.RPort(); rp > 0 {
		port = rp
	}
	return ip, port, true
}
