package resolver

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/miekg/dns"
)

var (
	// ErrNotFound means the name has no SIP service: DNS answered, and no
	// target came out of its answers (NXDOMAIN, no records, or SRV records
	// saying the service is not available).
	ErrNotFound = errors.New("resolver: no SIP target found")
	// ErrLookup means DNS failed: no nameserver answered in time, or they
	// answered with an error such as SERVFAIL, or the context ended.
	ErrLookup = errors.New("resolver: DNS lookup failed")
)

// Transports, as Config.Transports, Query.Transport and Target.Transport
// name them.
const (
	UDP = "udp"
	TCP = "tcp"
	TLS = "tls"
)

const (
	defaultTimeout     = 2 * time.Second
	defaultMaxTTL      = time.Hour
	defaultNegativeTTL = 30 * time.Second
	// failureTTL is how long a failed lookup (timeouts, SERVFAIL) is
	// remembered, so that while DNS is down requests fail fast instead of
	// each waiting for every nameserver to time out again.
	failureTTL = time.Second
	// ednsSize is the UDP buffer advertised with EDNS(0), the size the DNS
	// flag day 2020 settled on to avoid IP fragmentation.
	ednsSize = 1232
	// maxCacheEntries bounds the cache; past it, expired entries are swept
	// and then, if need be, half the rest.
	maxCacheEntries = 1 << 16
)

// Config configures a Resolver. The zero value is usable: the nameservers
// of /etc/resolv.conf, UDP and TCP.
type Config struct {
	// Nameservers are "ip:port" of the servers to ask; empty means the ones in /etc/resolv.conf.
	// A bare IP means port 53. They are asked in turn, the next one when
	// one fails.
	Nameservers []string
	Timeout     time.Duration // per query; default 2s
	// Transports the caller can use, in preference order, of "udp", "tcp", "tls"; default udp, tcp.
	// They limit and order discovery (NAPTR and SRV); a transport named
	// by the query itself (Query.Transport, Query.Secure) is used as is.
	Transports     []string
	MinTTL, MaxTTL time.Duration // clamp on cached TTLs; defaults 0 and 1h
	NegativeTTL    time.Duration // how long NXDOMAIN/NODATA is cached; default 30s
	Logger         *slog.Logger  // nil discards
	// Rand returns a uniform random int in [0, n), n > 0, for weighted
	// selection; nil means math/rand/v2.IntN. It is called from concurrent
	// Resolve calls, so it must be safe for that. Tests inject it.
	Rand func(n int) int
	Now  func() time.Time // nil means time.Now
}

// Query is the part of a SIP URI that decides where the request goes.
type Query struct {
	Host      string // a domain name or an IP literal (IPv6 with or without brackets)
	Port      int    // 0 when the URI names no port
	Transport string // "" when the URI has no transport param; else "udp","tcp","tls"
	Secure    bool   // sips: URI
}

// Target is one address to try.
type Target struct {
	Addr      netip.AddrPort
	Transport string // "udp","tcp","tls"
	// Host is the name the address came from (SRV target or the host,
	// without a trailing dot), for TLS and logs; for an IP literal, the
	// address.
	Host             string
	Priority, Weight uint16 // from the SRV record; 0 without SRV
}

func (t Target) String() string {
	return t.Transport + ":" + t.Addr.String() + " (" + t.Host + ")"
}

// Resolver resolves SIP URIs to targets. It is safe for concurrent use.
type Resolver struct {
	servers    []string
	timeout    time.Duration
	transports []string
	minTTL     time.Duration
	maxTTL     time.Duration
	negTTL     time.Duration
	log        *slog.Logger
	rand       func(int) int
	now        func() time.Time
	udp, tcp   *dns.Client

	mu       sync.Mutex
	cache    map[key]*entry
	inflight map[key]*call

	st counters
}

// New checks cfg and makes a Resolver of it.
func New(cfg Config) (*Resolver, error) {
	r := &Resolver{
		timeout:  durationOr(cfg.Timeout, defaultTimeout),
		minTTL:   cfg.MinTTL,
		maxTTL:   durationOr(cfg.MaxTTL, defaultMaxTTL),
		negTTL:   durationOr(cfg.NegativeTTL, defaultNegativeTTL),
		log:      cfg.Logger,
		rand:     cfg.Rand,
		now:      cfg.Now,
		cache:    make(map[key]*entry),
		inflight: make(map[key]*call),
	}
	if cfg.Timeout < 0 || cfg.MinTTL < 0 || cfg.MaxTTL < 0 || cfg.NegativeTTL < 0 {
		return nil, errors.New("resolver: negative duration in config")
	}
	if r.maxTTL < r.minTTL {
		return nil, fmt.Errorf("resolver: MaxTTL %v below MinTTL %v", r.maxTTL, r.minTTL)
	}
	if r.log == nil {
		r.log = slog.New(slog.DiscardHandler)
	}
	if r.rand == nil {
		r.rand = rand.IntN
	}
	if r.now == nil {
		r.now = time.Now
	}

	transports := cfg.Transports
	if len(transports) == 0 {
		transports = []string{UDP, TCP}
	}
	for _, t := range transports {
		t = strings.ToLower(t)
		if t != UDP && t != TCP && t != TLS {
			return nil, fmt.Errorf("resolver: unknown transport %q", t)
		}
		if !slices.Contains(r.transports, t) {
			r.transports = append(r.transports, t)
		}
	}

	servers := cfg.Nameservers
	if len(servers) == 0 {
		cc, err := dns.ClientConfigFromFile("/etc/resolv.conf")
		if err != nil {
			return nil, fmt.Errorf("resolver: no nameservers given and %w", err)
		}
		for _, s := range cc.Servers {
			servers = append(servers, net.JoinHostPort(s, cc.Port))
		}
		if len(servers) == 0 {
			return nil, errors.New("resolver: no nameservers given nor in /etc/resolv.conf")
		}
	}
	for _, s := range servers {
		ap, err := netip.ParseAddrPort(s)
		if err != nil {
			a, err2 := netip.ParseAddr(strings.Trim(s, "[]"))
			if err2 != nil {
				return nil, fmt.Errorf("resolver: nameserver %q is not ip:port: %w", s, err)
			}
			ap = netip.AddrPortFrom(a, 53)
		}
		r.servers = append(r.servers, ap.String())
	}

	r.udp = &dns.Client{Net: "udp", Timeout: r.timeout}
	r.tcp = &dns.Client{Net: "tcp", Timeout: r.timeout}
	return r, nil
}

func durationOr(d, def time.Duration) time.Duration {
	if d == 0 {
		return def
	}
	return d
}

// Resolve gives every target to try for q, in the order to try them (RFC 3263 §4).
//
// An IP literal needs no DNS. With a port, the host's A and AAAA records
// are used. With a transport and no port, the SRV records of that
// transport, or the host's addresses with the default port when it has
// none. With neither, the host's NAPTR records choose the transports and
// their SRV records; without usable NAPTR records, the SRV records of each
// transport of Config.Transports in turn; without any SRV record, the
// host's addresses on port 5060 (5061 for TLS). A sips: URI (Secure) uses
// TLS only.
//
// SRV records are ordered by priority and, within a priority, by weighted
// random selection (RFC 2782), drawn anew on each call. Each SRV target
// gives all its addresses, IPv4 first, each a Target.
//
// The error wraps ErrNotFound when DNS answered and no target came out,
// and ErrLookup when there is no target and some lookup failed (or ctx
// ended). When some lookups fail and others give targets, Resolve returns
// those targets and no error.
func (r *Resolver) Resolve(ctx context.Context, q Query) ([]Target, error) {
	r.st.resolves.Add(1)
	if q.Port < 0 || q.Port > 65535 {
		return nil, fmt.Errorf("resolver: port %d out of range", q.Port)
	}
	transport := strings.ToLower(q.Transport)
	switch transport {
	case "", UDP, TCP, TLS:
	default:
		return nil, fmt.Errorf("resolver: unknown transport %q", q.Transport)
	}
	if q.Secure {
		switch transport {
		case "", TCP, TLS: // sips: with transport=tcp means TLS over TCP (RFC 3261 §26.2.2)
			transport = TLS
		default:
			return nil, fmt.Errorf("resolver: sips: URI with transport %q", q.Transport)
		}
	}
	port := uint16(q.Port)

	host := strings.TrimSuffix(strings.TrimPrefix(q.Host, "["), "]")
	if addr, err := netip.ParseAddr(host); err == nil {
		t := orDefault(transport, UDP)
		return []Target{{Addr: netip.AddrPortFrom(addr, portOr(port, t)), Transport: t, Host: addr.String()}}, nil
	}
	host = strings.TrimSuffix(q.Host, ".")
	name := strings.ToLower(dns.Fqdn(host))
	if host == "" || !validName(name) {
		return nil, fmt.Errorf("resolver: %q is neither a domain name nor an IP address", q.Host)
	}

	w := &walk{r: r, ctx: ctx, seen: make(map[targetKey]bool)}
	switch {
	case port != 0: // RFC 3263 §4.2: a port, no SRV
		t := orDefault(transport, UDP)
		w.expand([]hop{{name: name, host: host, port: port, transport: t}})
	case transport != "": // §4.2: a transport, SRV of it
		w.expand(w.srv([]srvQuery{{name: srvName(transport, name), transport: transport}}))
		if !w.srvFound && w.ctx.Err() == nil {
			w.expand([]hop{{name: name, host: host, port: portOr(0, transport), transport: transport}})
		}
	default: // §4.1: NAPTR, else SRV, else the host
		transports := r.transports
		if q.Secure {
			transports = []string{TLS}
		}
		w.expand(w.srv(w.naptr(name, transports)))
		if len(w.targets) == 0 && w.ctx.Err() == nil {
			qs := make([]srvQuery, len(transports))
			for i, t := range transports {
				qs[i] = srvQuery{name: srvName(t, name), transport: t}
			}
			w.expand(w.srv(qs))
		}
		if !w.srvFound && w.ctx.Err() == nil {
			t := transports[0]
			if slices.Contains(transports, UDP) {
				t = UDP
			}
			w.expand([]hop{{name: name, host: host, port: portOr(0, t), transport: t}})
		}
	}
	return w.result(q.Host)
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// portOr is port, or the default port of transport when port is 0.
func portOr(port uint16, transport string) uint16 {
	switch {
	case port != 0:
		return port
	case transport == TLS:
		return 5061
	default:
		return 5060
	}
}

// srvName is the SRV owner name of transport at name (RFC 3263 §4.1).
func srvName(transport, name string) string {
	switch transport {
	case TLS:
		return "_sips._tcp." + name
	case TCP:
		return "_sip._tcp." + name
	default:
		return "_sip._udp." + name
	}
}

// validName reports whether fqdn, lower-case and fully qualified, is a
// host name: letters, digits, hyphens (and underscores, which SRV owner
// names have) in labels of 1 to 63 bytes.
func validName(fqdn string) bool {
	if _, ok := dns.IsDomainName(fqdn); !ok || len(fqdn) < 2 || strings.Contains(fqdn, "..") || fqdn[0] == '.' {
		return false
	}
	for _, c := range []byte(fqdn) {
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// walk is the state of one Resolve: the targets found so far, in order.
type walk struct {
	r        *Resolver
	ctx      context.Context
	targets  []Target
	seen     map[targetKey]bool
	srvFound bool  // some SRV record (even ".") exists, so no fallback to the host
	err      error // the first lookup failure
}

type targetKey struct {
	addr      netip.AddrPort
	transport string
}

// hop is a name to expand into addresses, with what goes with them.
type hop struct {
	name             string // lower-case, fully qualified
	host             string // for Target.Host
	port             uint16
	transport        string
	priority, weight uint16
}

type srvQuery struct {
	name      string // lower-case, fully qualified
	transport string
}

func (w *walk) fail(err error) {
	if w.err == nil {
		w.err = err
	}
}

func (w *walk) result(host string) ([]Target, error) {
	if err := w.ctx.Err(); err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrLookup, host, err)
	}
	if len(w.targets) > 0 {
		if w.err != nil {
			w.r.log.Debug("resolver: partial result", "host", host, "targets", len(w.targets), "err", w.err)
		}
		return w.targets, nil
	}
	if w.err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrLookup, host, w.err)
	}
	return nil, fmt.Errorf("%w: %s", ErrNotFound, host)
}

// lookupAll looks keys up concurrently and gives their entries in the same
// order: nil for a failed lookup, whose error is recorded in w.
func (w *walk) lookupAll(keys []key) []*entry {
	calls := make([]*call, len(keys))
	out := make([]*entry, len(keys))
	for i, k := range keys {
		out[i], calls[i] = w.r.begin(k)
	}
	for i, k := range keys {
		if calls[i] != nil {
			e, err := w.r.wait(w.ctx, k, calls[i])
			if err != nil {
				w.fail(err)
				continue
			}
			out[i] = e
		}
		if out[i].err != nil {
			w.fail(fmt.Errorf("%s %s: %w", k.name, dns.TypeToString[k.qtype], out[i].err))
			out[i] = nil
		}
	}
	return out
}

// naptrServices maps the NAPTR services RFC 3263 §4.1 defines to transports.
var naptrServices = map[string]string{
	"SIP+D2U":  UDP,
	"SIP+D2T":  TCP,
	"SIPS+D2T": TLS,
}

// naptr looks up the NAPTR records of name and gives the SRV lookups that
// its usable records lead to, in order: records of a service of one of
// transports, with flag "s", by order then preference.
func (w *walk) naptr(name string, transports []string) []srvQuery {
	e := w.lookupAll([]key{{name, dns.TypeNAPTR}})[0]
	if e == nil {
		return nil
	}
	var recs []*dns.NAPTR
	for _, rr := range e.rrs {
		n := rr.(*dns.NAPTR)
		t, ok := naptrServices[strings.ToUpper(n.Service)]
		if !ok || !slices.Contains(transports, t) || !strings.EqualFold(n.Flags, "s") || n.Replacement == "." {
			continue
		}
		recs = append(recs, n)
	}
	slices.SortStableFunc(recs, func(a, b *dns.NAPTR) int {
		if a.Order != b.Order {
			return int(a.Order) - int(b.Order)
		}
		return int(a.Preference) - int(b.Preference)
	})
	qs := make([]srvQuery, 0, len(recs))
	for _, n := range recs {
		q := srvQuery{name: strings.ToLower(n.Replacement), transport: naptrServices[strings.ToUpper(n.Service)]}
		if !slices.Contains(qs, q) {
			qs = append(qs, q)
		}
	}
	if len(e.rrs) > 0 && len(qs) == 0 {
		w.r.log.Debug("resolver: no usable NAPTR record", "name", name, "records", len(e.rrs))
	}
	return qs
}

// srv looks up the SRV records of qs and gives their targets in the order
// to try: qs in order, and within each, by priority then weighted random
// selection. Targets "." are left out.
func (w *walk) srv(qs []srvQuery) []hop {
	keys := make([]key, len(qs))
	for i, q := range qs {
		keys[i] = key{q.name, dns.TypeSRV}
	}
	var hops []hop
	for i, e := range w.lookupAll(keys) {
		if e == nil || len(e.rrs) == 0 {
			continue
		}
		w.srvFound = true
		srvs := make([]*dns.SRV, len(e.rrs))
		for j, rr := range e.rrs {
			srvs[j] = rr.(*dns.SRV)
		}
		for _, s := range orderSRV(srvs, w.r.rand) {
			if s.Target == "." {
				continue
			}
			hops = append(hops, hop{
				name:      strings.ToLower(s.Target),
				host:      strings.TrimSuffix(s.Target, "."),
				port:      s.Port,
				transport: qs[i].transport,
				priority:  s.Priority,
				weight:    s.Weight,
			})
		}
	}
	return hops
}

// expand looks up the A and AAAA records of hops and adds a target for
// each address: hops in order, each with its IPv4 addresses then its IPv6.
func (w *walk) expand(hops []hop) {
	if len(hops) == 0 {
		return
	}
	keys := make([]key, 0, 2*len(hops))
	for _, h := range hops {
		keys = append(keys, key{h.name, dns.TypeA}, key{h.name, dns.TypeAAAA})
	}
	entries := w.lookupAll(keys)
	for i, h := range hops {
		for _, e := range entries[2*i : 2*i+2] {
			if e == nil {
				continue
			}
			for _, rr := range e.rrs {
				var ip net.IP
				switch rr := rr.(type) {
				case *dns.A:
					ip = rr.A
				case *dns.AAAA:
					ip = rr.AAAA
				}
				addr, ok := netip.AddrFromSlice(ip)
				if !ok {
					continue
				}
				w.add(Target{
					Addr:      netip.AddrPortFrom(addr.Unmap(), h.port),
					Transport: h.transport,
					Host:      h.host,
					Priority:  h.priority,
					Weight:    h.weight,
				})
			}
		}
	}
}

func (w *walk) add(t Target) {
	k := targetKey{t.Addr, t.Transport}
	if w.seen[k] {
		return
	}
	w.seen[k] = true
	w.targets = append(w.targets, t)
}

// orderSRV gives srvs in the order to try them (RFC 2782): by priority
// ascending, and within one priority by weighted random selection. srvs is
// not changed.
func orderSRV(srvs []*dns.SRV, randn func(int) int) []*dns.SRV {
	out := slices.Clone(srvs)
	slices.SortStableFunc(out, func(a, b *dns.SRV) int { return int(a.Priority) - int(b.Priority) })
	for i := 0; i < len(out); {
		j := i + 1
		for j < len(out) && out[j].Priority == out[i].Priority {
			j++
		}
		weightedOrder(out[i:j], randn)
		i = j
	}
	return out
}

// weightedOrder orders g, records of one priority, as RFC 2782 says: the
// records of weight 0 first, then, for each place in turn, a uniform
// random number between 0 and the sum of the remaining weights inclusive,
// and the first remaining record whose running sum of weights is at least
// that number takes the place.
func weightedOrder(g []*dns.SRV, randn func(int) int) {
	if len(g) < 2 {
		return
	}
	slices.SortStableFunc(g, func(a, b *dns.SRV) int {
		return boolInt(a.Weight != 0) - boolInt(b.Weight != 0)
	})
	for k := 0; k < len(g)-1; k++ {
		sum := 0
		for _, s := range g[k:] {
			sum += int(s.Weight)
		}
		n := randn(sum + 1)
		if n < 0 || n > sum { // a misbehaving injected source
			n = ((n % (sum + 1)) + sum + 1) % (sum + 1)
		}
		run := 0
		for m := k; m < len(g); m++ {
			run += int(g[m].Weight)
			if run >= n {
				s := g[m]
				copy(g[k+1:m+1], g[k:m])
				g[k] = s
				break
			}
		}
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// Stats counts lookups:
//
//	resolves       Resolve calls
//	lookups        record lookups (name and type) that Resolve made
//	cache_hits     lookups answered from the cache, negative entries included
//	shared         lookups that joined a query already under way
//	queries        queries sent to nameservers (a TCP retry is one more),
//	               and queries_naptr, queries_srv, queries_a, queries_aaaa
//	truncated      truncated UDP answers, retried over TCP
//	query_errors   queries that failed (timeout, refused, SERVFAIL...), each
//	               followed by the next nameserver if there is one
//	errors         lookups that failed on every nameserver
//	nxdomain       NXDOMAIN answers
//	nodata         answers without records of the asked type
//	cache_entries  entries in the cache now
func (r *Resolver) Stats() map[string]uint64 {
	m := map[string]uint64{
		"resolves":     r.st.resolves.Load(),
		"lookups":      r.st.lookups.Load(),
		"cache_hits":   r.st.hits.Load(),
		"shared":       r.st.shared.Load(),
		"queries":      r.st.queries.Load(),
		"truncated":    r.st.truncated.Load(),
		"query_errors": r.st.queryErrors.Load(),
		"errors":       r.st.errors.Load(),
		"nxdomain":     r.st.nxdomain.Load(),
		"nodata":       r.st.nodata.Load(),
	}
	for i, t := range queryTypes {
		m["queries_"+strings.ToLower(dns.TypeToString[t])] = r.st.byType[i].Load()
	}
	r.mu.Lock()
	m["cache_entries"] = uint64(len(r.cache))
	r.mu.Unlock()
	return m
}
