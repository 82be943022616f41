package fleet

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// The members' config files. Strings are written quoted (Go's quoting is
// valid YAML for the ASCII a domain or a path holds), so a flag value
// cannot turn into YAML structure.

// header says where the file comes from; the role and the file name make
// it a starting point for a fleet of separate processes (which needs an
// admin.listen of its own for each).
const header = `# Written by sipfleet up at each start; edits are lost. The %s of the
# fleet; copied elsewhere, it runs as: sipfleet %s --config %s
`

// common is the head of every member's file: where it comes from, and
// the log and admin sections they all share (one management listener).
func common(o Options, role, file string) string {
	var b strings.Builder
	fmt.Fprintf(&b, header, role, role, file)
	fmt.Fprintf(&b, "log:\n  level: %s\n  format: %s\n", q(o.Log.Level), q(o.Log.Format))
	fmt.Fprintf(&b, "admin:\n  listen: %s\n", q(o.Admin.String()))
	return b.String()
}

// listener writes one item of a listeners list.
func listener(b *strings.Builder, name, side, proto string, listen netip.AddrPort, advertise string) {
	fmt.Fprintf(b, "  - name: %s\n    side: %s\n    proto: %s\n    listen: %s\n", name, side, proto, q(listen.String()))
	if advertise != "" {
		fmt.Fprintf(b, "    advertise: %s\n", q(advertise))
	}
}

func lbYAML(o Options, p *Plan, list string) string {
	var b strings.Builder
	b.WriteString(common(o, "lb", "lb.yaml"))
	b.WriteString("listeners:\n")
	listener(&b, "public-udp", "public", "udp", p.Public, o.Advertise)
	listener(&b, "public-tcp", "public", "tcp", p.Public, o.Advertise)
	listener(&b, "private", "private", "udp", p.Private, "")
	fmt.Fprintf(&b, "lb:\n  dispatcher_list: %s\n", q(list))
	return b.String()
}

func registrarYAML(o Options, p *Plan, at netip.AddrPort, id int) string {
	var b strings.Builder
	b.WriteString(common(o, "registrar", fmt.Sprintf("registrar-%d.yaml", id)))
	b.WriteString("listeners:\n")
	listener(&b, "private", "private", "udp", at, "")
	fmt.Fprintf(&b, "registrar:\n  db: %s\n  domain: %s\n  server_id: %d\n  secret: %s\n",
		q(p.DSN), q(o.Domain), id, q(o.Secret))
	return b.String()
}

func proxyYAML(o Options, p *Plan, at netip.AddrPort, id int) string {
	var b strings.Builder
	b.WriteString(common(o, "proxy", fmt.Sprintf("proxy-%d.yaml", id)))
	b.WriteString("listeners:\n")
	listener(&b, "private", "private", "udp", at, "")
	// edges: the LB's private socket, whose requests come from the public
	// side and through which foreign domains are reached.
	fmt.Fprintf(&b, "proxy:\n  db: %s\n  domain: %s\n  secret: %s\n  edges: [%s]\n",
		q(p.DSN), q(o.Domain), q(o.Secret), q(p.Private.String()))
	return b.String()
}

func q(s string) string { return strconv.Quote(s) }
