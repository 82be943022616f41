package dispatcher

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/sipfleet/sipfleet/internal/sip"
)

// checkEntry validates what the file and the database rows share: the
// URI, the flags and the attributes. It fills e.Attrs from e.Attrs.Raw.
func checkEntry(e *Entry, o origin) Errors {
	var bad Errors
	if msg := checkSIPURI(e.URI); msg != "" {
		bad = append(bad, o.errorf("uri", "%s", msg))
	}
	if rest := e.Flags &^ allFlags; rest != 0 {
		bad = append(bad, o.errorf("flags", "unknown bits %d (known: 1 inactive, 2 trying, 4 disabled, 8 probing, 16 nodns)", rest))
	}
	for _, p := range parseAttrs(&e.Attrs) {
		bad = append(bad, o.errorf(p.field, "%s", p.msg))
	}
	return bad
}

// target is what the LB needs of a destination URI to send to it.
type target struct {
	host      string
	port      int
	transport string
}

// parseTarget splits a destination URI, which checkSIPURI has accepted.
func parseTarget(uri string) target {
	u, err := sip.ParseURI([]byte(uri))
	if err != nil {
		return target{}
	}
	return target{host: string(u.Host), port: u.Port, transport: strings.ToLower(string(u.Transport()))}
}

// checkSIPURI says what is wrong with s as a destination: it must be a
// sip: or sips: URI (RFC 3261 §19.1) with a host, no headers and, if any,
// a transport this fleet speaks. Kamailio prepends a missing "sip:"; here
// the operator writes it, so that what is loaded is what is written.
func checkSIPURI(s string) string {
	u, err := sip.ParseURI([]byte(s))
	if err != nil {
		return fmt.Sprintf("%q: %v", s, err)
	}
	if !u.IsSIP() {
		return fmt.Sprintf("%q: want a sip: or sips: URI", s)
	}
	if len(u.Host) == 0 {
		return fmt.Sprintf("%q: no host", s)
	}
	if u.Headers != nil {
		return fmt.Sprintf("%q: headers are not allowed in a destination", s)
	}
	if t, ok := u.Param("transport"); ok && !knownTransport(string(t)) {
		return fmt.Sprintf("%q: unknown transport %q (want udp, tcp, tls, sctp, ws or wss)", s, t)
	}
	return ""
}

func knownTransport(t string) bool {
	switch strings.ToLower(t) {
	case "udp", "tcp", "tls", "sctp", "ws", "wss":
		return true
	}
	return false
}

// checkSocket validates a socket attribute, "[proto:]host[:port]" as
// Kamailio's parse_phostport reads it, for example "udp:10.0.0.1:5060" or
// "tcp:[2001:db8::1]:5060". Whether the socket exists is the LB's business.
func checkSocket(v string) string {
	rest := v
	if proto, after, ok := strings.Cut(v, ":"); ok && knownTransport(proto) {
		rest = after
	}
	host, port, ok := splitSocketHost(rest)
	if !ok {
		return fmt.Sprintf("%q: want [proto:]host[:port], IPv6 in []", v)
	}
	if port != "" {
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return fmt.Sprintf("%q: bad port %q", v, port)
		}
	}
	if strings.HasPrefix(host, "[") {
		if a, err := netip.ParseAddr(strings.Trim(host, "[]")); err != nil || !a.Is6() {
			return fmt.Sprintf("%q: bad IPv6 address", v)
		}
	}
	return ""
}

// splitSocketHost splits "host[:port]", where host may be "[IPv6]".
func splitSocketHost(s string) (host, port string, ok bool) {
	if strings.HasPrefix(s, "[") {
		end := strings.IndexByte(s, ']')
		if end < 0 {
			return "", "", false
		}
		host, rest := s[:end+1], s[end+1:]
		if rest == "" {
			return host, "", true
		}
		port, ok = strings.CutPrefix(rest, ":")
		return host, port, ok
	}
	host, port, _ = strings.Cut(s, ":")
	return host, port, host != "" && !strings.ContainsAny(host, ":[]/")
}

// identity is what makes a destination the same one across reloads: its
// set and its duid if it has one (so the operator can move it to a new
// address and keep its state), its URI otherwise.
func identity(e *Entry) string {
	if e.Attrs.DUID != "" {
		return strconv.Itoa(e.SetID) + " duid:" + e.Attrs.DUID
	}
	return strconv.Itoa(e.SetID) + " " + e.URI
}

// dupChecker finds entries that claim an identity already taken.
type dupChecker struct{ seen map[string]origin }

func newDupChecker() *dupChecker { return &dupChecker{seen: map[string]origin{}} }

func (d *dupChecker) check(e Entry, o origin) Errors {
	id := identity(&e)
	if first, ok := d.seen[id]; ok {
		what := "destination " + e.URI
		if e.Attrs.DUID != "" {
			what = "duid " + strconv.Quote(e.Attrs.DUID)
		}
		return Errors{o.errorf("", "%s given twice in set %d (first at %s)", what, e.SetID, first.short())}
	}
	d.seen[id] = o
	return nil
}

// short names o within its own file or table: "line 3" or "id=3".
func (o origin) short() string {
	if o.row {
		return "id=" + strconv.Itoa(o.line)
	}
	return "line " + strconv.Itoa(o.line)
}
