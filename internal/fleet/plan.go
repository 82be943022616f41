package fleet

import (
	"cmp"
	"errors"
	"fmt"
	"net/netip"
	"path/filepath"
	"strings"

	"github.com/sipfleet/sipfleet/internal/config"
	"github.com/sipfleet/sipfleet/internal/node"
)

// Options say where the fleet runs; the zero values take the defaults of
// `sipfleet up`.
type Options struct {
	// Listen is the LB's public address, bound on UDP and TCP.
	Listen netip.AddrPort
	// Advertise is what the LB puts in Via, Record-Route and Path for its
	// public side, "host:port"; needed when Listen is a wildcard address.
	Advertise string
	// Admin is the management listener's address.
	Admin netip.AddrPort
	// DataDir holds the database and the generated files.
	DataDir string
	// Domain is the SIP domain, and digest realm, of the users.
	Domain string
	// Secret signs the digest nonces every registrar and proxy shares; at
	// least 16 characters. The command line draws a random one per start.
	Secret string
	// Log is the members' log section.
	Log config.Log
}

// Defaults of `sipfleet up`.
const (
	DefaultListen  = "127.0.0.1:5060"
	DefaultAdmin   = "127.0.0.1:9060"
	DefaultDataDir = "sipfleet-data"
	DefaultDomain  = "localhost"
	// DBFile is the SQLite file's name in the data directory.
	DBFile = "sipfleet.db"
)

// Offsets of the backends' ports above the LB's public port.
const (
	offPrivate   = 10
	offProxy     = 11 // and 12
	offRegistrar = 21 // and 22
	replicas     = 2  // registrars, and proxies
)

// Plan is a fleet ready to build: its members' configs, the files they
// read, and where everything listens.
type Plan struct {
	// Members are the configs, backends first so that they serve before
	// the LB sends them anything.
	Members []node.Member
	// Files are written to the data directory before the members are
	// built: name to content.
	Files []File
	// DSN is the database, sqlite:DIR/sipfleet.db.
	DSN string

	Public     netip.AddrPort // the LB's public socket, UDP and TCP
	Advertise  string         // what phones are told, "host:port"
	Private    netip.AddrPort // the LB's private socket
	Proxies    []netip.AddrPort
	Registrars []netip.AddrPort
	Admin      netip.AddrPort
	Domain     string
}

// File is one generated file of the data directory.
type File struct {
	Name    string // base name
	Content []byte
}

// NewPlan lays the fleet out and loads its configs. It touches no file:
// Write does.
func NewPlan(o Options) (*Plan, error) {
	o = o.withDefaults()
	if err := o.check(); err != nil {
		return nil, err
	}
	p := &Plan{
		DSN:    "sqlite:" + filepath.Join(o.DataDir, DBFile),
		Public: o.Listen, Advertise: cmp.Or(o.Advertise, o.Listen.String()),
		Admin: o.Admin, Domain: o.Domain,
	}
	ip := backendIP(o.Listen.Addr())
	at := func(off int) netip.AddrPort { return netip.AddrPortFrom(ip, o.Listen.Port()+uint16(off)) }
	p.Private = at(offPrivate)
	for i := range replicas {
		p.Proxies = append(p.Proxies, at(offProxy+i))
		p.Registrars = append(p.Registrars, at(offRegistrar+i))
	}
	list := filepath.Join(o.DataDir, "dispatcher.list")
	p.Files = append(p.Files, File{Name: "dispatcher.list", Content: []byte(p.dispatcherList())})
	var docs []File
	for i, a := range p.Registrars {
		docs = append(docs, File{fmt.Sprintf("registrar-%d.yaml", i+1), []byte(registrarYAML(o, p, a, i+1))})
	}
	for i, a := range p.Proxies {
		docs = append(docs, File{fmt.Sprintf("proxy-%d.yaml", i+1), []byte(proxyYAML(o, p, a, i+1))})
	}
	docs = append(docs, File{"lb.yaml", []byte(lbYAML(o, p, list))})
	for _, f := range docs {
		cfg, err := config.Parse(filepath.Join(o.DataDir, f.Name), f.Content)
		if err != nil {
			// What check cannot see (a malformed advertise address)
			// ends up here, reported at its line in the generated file.
			return nil, fmt.Errorf("fleet config:\n%w", err)
		}
		p.Members = append(p.Members, node.Member{Name: strings.TrimSuffix(f.Name, ".yaml"), Config: cfg})
	}
	p.Files = append(p.Files, docs...)
	return p, nil
}

func (o Options) withDefaults() Options {
	if !o.Listen.IsValid() {
		o.Listen = netip.MustParseAddrPort(DefaultListen)
	}
	if !o.Admin.IsValid() {
		o.Admin = netip.MustParseAddrPort(DefaultAdmin)
	}
	o.DataDir = cmp.Or(o.DataDir, DefaultDataDir)
	o.Domain = cmp.Or(o.Domain, DefaultDomain)
	o.Log.Level = cmp.Or(o.Log.Level, "info")
	o.Log.Format = cmp.Or(o.Log.Format, "text")
	return o
}

func (o Options) check() error {
	var errs []error
	switch port := int(o.Listen.Port()); {
	case port == 0:
		errs = append(errs, errors.New("listen: give a port; the backends' ports are counted from it"))
	case port+offRegistrar+replicas-1 > 65535:
		errs = append(errs, fmt.Errorf("listen: port %d leaves no room for the backends' ports %d to %d above it", port, offPrivate, offRegistrar+replicas-1))
	}
	if o.Listen.Addr().IsUnspecified() && o.Advertise == "" {
		errs = append(errs, fmt.Errorf("listen: %s is every interface; give the address phones reach it at (advertise)", o.Listen))
	}
	if !isDomain(o.Domain) {
		errs = append(errs, fmt.Errorf("domain %q: want a host name or an IP address", o.Domain))
	}
	if len(o.Secret) < 16 {
		errs = append(errs, errors.New("secret: at least 16 characters"))
	}
	return errors.Join(errs...)
}

// isDomain accepts what a SIP URI's host may be and a phone can be told:
// a DNS name (letters, digits, hyphens and dots) or an IP address.
func isDomain(s string) bool {
	if _, err := netip.ParseAddr(s); err == nil {
		return true
	}
	if s == "" || len(s) > 253 || strings.HasPrefix(s, ".") || strings.HasPrefix(s, "-") {
		return false
	}
	return !strings.ContainsFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '.')
	})
}

// backendIP is where the backends listen: the LB's own address when that
// is loopback (tests give each fleet its own 127.0.0.x), else loopback of
// the same family, so that only the LB reaches them.
func backendIP(public netip.Addr) netip.Addr {
	switch {
	case public.IsLoopback():
		return public
	case public.Is4() || public.Is4In6():
		return netip.MustParseAddr("127.0.0.1")
	}
	return netip.IPv6Loopback()
}

// dispatcherList is the LB's destinations in Kamailio's format: set 1 the
// proxies, set 2 the registrars (the lb section's defaults).
func (p *Plan) dispatcherList() string {
	var b strings.Builder
	b.WriteString("# Written by sipfleet up at each start; edits are lost.\n# setid uri flags priority attrs\n")
	for i, a := range p.Proxies {
		fmt.Fprintf(&b, "1 sip:%s 0 0 duid=proxy-%d\n", a, i+1)
	}
	for i, a := range p.Registrars {
		fmt.Fprintf(&b, "2 sip:%s 0 0 duid=registrar-%d\n", a, i+1)
	}
	return b.String()
}
