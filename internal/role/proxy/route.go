package proxy

import (
	"context"
	"errors"
	"net/netip"
	"slices"
	"strings"

	"github.com/sipfleet/sipfleet/internal/auth"
	"github.com/sipfleet/sipfleet/internal/nat"
	"github.com/sipfleet/sipfleet/internal/resolver"
	"github.com/sipfleet/sipfleet/internal/sip"
	"github.com/sipfleet/sipfleet/internal/store"
	"github.com/sipfleet/sipfleet/internal/transport"
)

// route decides where a request goes and starts its branches (§16.3 to
// §16.6). It runs on a worker, since it may wait on the database or DNS.
func (p *Proxy) route(c *call) {
	m := c.req
	if n, present, _ := m.MaxForwards(); present && n == 0 {
		c.respond(483, "Too Many Hops", nil)
		return
	}
	if p.looped(m, c.hash) {
		p.stats.inc(cLoops)
		c.respond(482, "Loop Detected", nil)
		return
	}
	rt, err := p.readRoutes(m)
	if err != nil {
		c.respond(400, "Bad Route", nil)
		return
	}
	c.mu.Lock()
	c.pop, c.strict = rt.n, rt.strict
	c.mu.Unlock()
	ruri, err := sip.ParseRequestURI(rt.ruri)
	if err != nil {
		c.respond(400, "Bad Request-URI", nil)
		return
	}
	ctx, cancel := context.WithTimeout(p.base, p.opt.QueryTimeout)
	defer cancel()
	inDialog := len(m.ToTag()) > 0
	if inDialog && !p.ownDialog(m, &rt) && !p.trusted(c) {
		// Not a dialog this proxy record-routed (see token.go).
		p.forbid(c)
		return
	}
	switch {
	case inDialog && rt.hasNext:
		// §16.12: the route set the dialog recorded leads on.
		p.routeURI(ctx, c, &rt.next, nil)
		return
	case inDialog:
		// The Request-URI is the remote target (a contact).
		if p.ownsURI(&ruri) {
			c.respond(404, "Not Found", nil)
			return
		}
		p.routeURI(ctx, c, &ruri, nil)
		return
	}
	switch m.Method() {
	case sip.REGISTER:
		c.respond(403, "Registrations Go To The Registrar", nil)
		return
	case sip.PRACK, sip.BYE, sip.UPDATE, sip.INFO:
		// Only meaningful inside a dialog, which this request is not in.
		c.respond(481, "Call/Transaction Does Not Exist", nil)
		return
	}
	authed, ok := p.authorize(ctx, c)
	if !ok {
		return
	}
	c.mu.Lock()
	c.rr = recordRoutes(m.Method())
	c.mu.Unlock()
	local := p.isLocalDomain(ruri.Host) || p.ownsURI(&ruri)
	switch {
	case rt.hasNext:
		// A pre-loaded route: allowed to local users and trusted peers.
		if !authed {
			p.forbid(c)
			return
		}
		p.routeURI(ctx, c, &rt.next, nil)
	case local && p.opt.Rules.PSTN != nil && p.opt.Rules.PSTN.isNumber(ruri.User):
		if !authed {
			p.forbid(c)
			return
		}
		p.routePSTN(ctx, c, p.opt.Rules.PSTN.normalise(ruri.User))
	case local:
		p.routeLocal(ctx, c, &ruri)
	case !authed:
		p.forbid(c)
	default:
		p.routeForeign(ctx, c, &ruri)
	}
}

func (p *Proxy) forbid(c *call) {
	p.stats.inc(cForbidden)
	c.respond(403, "Relaying Forbidden", nil)
}

// recordRoutes: the proxy stays on the path of the dialogs these
// requests create (§16.6 step 4).
func recordRoutes(m sip.Method) bool {
	switch m {
	case sip.INVITE, sip.SUBSCRIBE, sip.REFER, sip.NOTIFY:
		return true
	}
	return false
}

// authorize decides whether the caller may use the proxy beyond calling
// local users: requests from trusted sources may, and requests from local
// users once they prove who they are (§22.3, 407). It answers the request
// itself and returns ok false when the caller must authenticate first.
func (p *Proxy) authorize(ctx context.Context, c *call) (authed, ok bool) {
	m := c.req
	if p.trusted(c) {
		return true, true
	}
	from, err := m.From()
	if err != nil || !p.isLocalDomain(from.URI.Host) {
		return false, true
	}
	a := p.opt.Auth
	if a == nil || m.Method() == sip.ACK || m.Method() == sip.CANCEL {
		return true, true
	}
	realm := strings.ToLower(string(from.URI.Host))
	res := a.Verify(ctx, m, auth.Proxy, realm, p.opt.HA1)
	switch {
	case res.Err != nil:
		p.dbResult(res.Err)
		c.respond(503, "Service Unavailable", retryAfter)
		return false, false
	case !res.OK:
		p.stats.inc(cChallenged)
		b := sip.AppendResponseHead(nil, m, 407, "Proxy Authentication Required", c.tx.ToTag())
		b = a.AppendChallenge(b, auth.Proxy, realm, res.Stale)
		c.respondBytes(sip.AppendBody(b, nil), 407)
		return false, false
	}
	if fromUser, err := sip.Unescape(nil, from.URI.User); err != nil || string(fromUser) != res.User {
		// Alice may not call as Bob: the From is who gets billed.
		p.stats.inc(cForbidden)
		c.respond(403, "Forbidden", nil)
		return false, false
	}
	c.mu.Lock()
	c.consumed = realm // the credentials for our realm are not passed on
	c.mu.Unlock()
	return true, true
}

// trusted reports whether the request's origin is a trusted peer or
// gateway.
func (p *Proxy) trusted(c *call) bool {
	o := p.origin(c)
	return o.IsValid() && inPrefixes(p.opt.Rules.Trusted, o)
}

// origin is who sent the request: its source, or, when the source is an
// LB, the sender the LB recorded in the Via below its own (the received
// the LB adds whenever the Via's host is not where the request came from,
// RFC 3261 §18.2.1).
func (p *Proxy) origin(c *call) netip.Addr {
	src := c.src.Addr().Unmap()
	if !inPrefixes(p.opt.Rules.Edges, src) {
		return src
	}
	var o netip.Addr
	i := 0
	_ = c.req.Vias(func(v sip.Via) bool {
		if i++; i < 2 {
			return true
		}
		host := v.Received()
		if len(host) == 0 {
			host = v.Host
		}
		o, _ = nat.HostIP(host)
		return false
	})
	return o
}

func inPrefixes(ps []netip.Prefix, a netip.Addr) bool {
	for _, p := range ps {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// isLocalDomain reports whether host is one of the proxy's domains.
func (p *Proxy) isLocalDomain(host []byte) bool {
	return slices.ContainsFunc(p.opt.Rules.Domains, func(d string) bool { return strings.EqualFold(d, string(host)) })
}

// routeLocal forks to the bindings of a local AoR, read from the location
// table on every request.
func (p *Proxy) routeLocal(ctx context.Context, c *call, ruri *sip.URI) {
	user, err := sip.Unescape(nil, ruri.User)
	if err != nil || len(user) == 0 {
		c.respond(404, "Not Found", nil)
		return
	}
	domain := strings.ToLower(string(ruri.Host))
	aor := store.AOR{User: string(user)}
	if p.opt.Rules.UseDomain {
		aor.Domain = domain
	}
	bs, err := p.opt.Store.Bindings(ctx, aor, p.opt.Now())
	p.dbResult(err)
	if err != nil {
		c.respond(503, "Service Unavailable", retryAfter)
		return
	}
	if len(bs) == 0 {
		// 404 for a user the subscriber table does not know, 480 for one
		// who is just not registered. When the subscriber table cannot
		// say, the callee is still known to have no binding: 480, but the
		// failure is counted and logged as any database error is.
		_, err := p.opt.Store.Get(ctx, string(user), domain)
		switch {
		case errors.Is(err, store.ErrNotFound):
			c.respond(404, "Not Found", nil)
		default:
			p.dbResult(err)
			c.respond(480, "Temporarily Unavailable", nil)
		}
		return
	}
	groups := p.bindingGroups(ctx, bs)
	if len(groups) == 0 {
		c.respond(480, "Temporarily Unavailable", nil)
		return
	}
	c.start(groups, nil)
}

// bindingGroups turns bindings into branches: parallel among equal q,
// serial by decreasing q (RFC 3261 §16.6; a binding without q counts as
// 1.0). Each branch's Request-URI is the contact and its route set the
// binding's Path, so it goes back through the LB the UA registered
// through.
func (p *Proxy) bindingGroups(ctx context.Context, bs []store.Binding) []group {
	q := func(b store.Binding) float64 {
		if b.Q == store.QUnset {
			return 1
		}
		return b.Q
	}
	slices.SortStableFunc(bs, func(a, b store.Binding) int {
		switch qa, qb := q(a), q(b); {
		case qa > qb:
			return -1
		case qa < qb:
			return 1
		}
		return 0
	})
	var groups []group
	last := -2.0
	for _, b := range bs {
		t, err := p.bindingTarget(ctx, &b)
		if err != nil {
			p.log.Debug("binding not reachable", "contact", b.Contact, "err", err)
			continue
		}
		if q(b) != last || len(groups) == 0 {
			groups = append(groups, nil)
			last = q(b)
		}
		groups[len(groups)-1] = append(groups[len(groups)-1], t)
	}
	return groups
}

// bindingTarget is where a binding's branch goes: the first Path URI
// (the LB), else the UA's NATed source, else the contact itself.
func (p *Proxy) bindingTarget(ctx context.Context, b *store.Binding) (target, error) {
	t := target{ruri: []byte(b.Contact)}
	if b.Path != "" {
		t.route = []byte(b.Path)
		first, _ := sip.NextElem(t.route)
		n, err := sip.ParseNameAddr(first)
		if err != nil {
			return t, err
		}
		return p.uriTarget(ctx, &n.URI, t)
	}
	if b.Received != "" {
		addr, proto, err := nat.ParseReceived([]byte(b.Received))
		if err == nil {
			if pr, err := transport.ParseProto(proto); err == nil {
				t.dst, t.proto = addr, pr
				return t, nil
			}
		}
	}
	u, err := sip.ParseURI(t.ruri)
	if err != nil {
		return t, err
	}
	return p.uriTarget(ctx, &u, t)
}

// uriTarget fills in t's destination from a URI: a literal address
// directly, a name through DNS (RFC 3263), its first target.
func (p *Proxy) uriTarget(ctx context.Context, u *sip.URI, t target) (target, error) {
	ts, err := p.resolve(ctx, u)
	if err != nil {
		return t, err
	}
	t.dst, t.proto = ts[0].dst, ts[0].proto
	return t, nil
}

// resolve gives every target of a URI, in the order to try them.
func (p *Proxy) resolve(ctx context.Context, u *sip.URI) ([]target, error) {
	if !u.IsSIP() {
		return nil, errNotSIP
	}
	proto := protoOf(u.Transport(), u.IsSecure())
	if ip, ok := nat.HostIP(u.Host); ok {
		port := u.Port
		if port == 0 {
			port = defaultPort(proto)
		}
		return []target{{dst: netip.AddrPortFrom(ip, uint16(port)), proto: proto}}, nil
	}
	if p.opt.Resolver == nil {
		return nil, errNoResolver
	}
	q := resolver.Query{Host: string(u.Host), Port: u.Port, Secure: u.IsSecure()}
	if tp := u.Transport(); len(tp) > 0 {
		q.Transport = strings.ToLower(string(tp))
	}
	rs, err := p.opt.Resolver.Resolve(ctx, q)
	if err != nil {
		p.stats.inc(cDNSErrors)
		return nil, err
	}
	ts := make([]target, 0, len(rs))
	for _, r := range rs {
		pr, err := transport.ParseProto(r.Transport)
		if err != nil {
			continue
		}
		ts = append(ts, target{dst: r.Addr, proto: pr})
	}
	if len(ts) == 0 {
		return nil, resolver.ErrNotFound
	}
	return ts, nil
}

var (
	errNotSIP     = errors.New("not a SIP URI")
	errNoResolver = errors.New("no DNS resolver configured")
)

// routeURI sends the request to one URI's target (a route set's next hop,
// an in-dialog remote target), keeping its Request-URI unless ruri is set.
func (p *Proxy) routeURI(ctx context.Context, c *call, u *sip.URI, ruri []byte) {
	t, err := p.uriTarget(ctx, u, target{ruri: ruri})
	if err != nil {
		p.unreachable(c, err)
		return
	}
	c.start([]group{{t}}, nil)
}

// unreachable answers a request whose next hop cannot be found: 404 when
// DNS says the name has no SIP service, 503 when DNS failed.
func (p *Proxy) unreachable(c *call, err error) {
	p.log.Debug("no route", "err", err)
	if errors.Is(err, resolver.ErrNotFound) || errors.Is(err, errNotSIP) {
		c.respond(404, "Not Found", nil)
		return
	}
	c.respond(503, "Service Unavailable", retryAfter)
}

// routeForeign sends a request for another domain to every target DNS
// gives for it, in turn, each through the LB when the proxy has one, so it
// leaves from the public side.
func (p *Proxy) routeForeign(ctx context.Context, c *call, ruri *sip.URI) {
	ts, err := p.resolve(ctx, ruri)
	if err != nil {
		p.unreachable(c, err)
		return
	}
	groups := make([]group, 0, len(ts))
	for _, t := range ts {
		t.gateway = true
		groups = append(groups, group{p.viaOutbound(t)})
	}
	c.start(p.avoid.order(groups, p.opt.Now()), defaultFailover)
}

// viaOutbound routes t through the LB: a pre-loaded route of the LB and
// then the target itself, which the target takes off as its own (§16.4).
func (p *Proxy) viaOutbound(t target) target {
	ob := p.opt.Rules.Outbound
	if !ob.IsValid() {
		return t
	}
	var b []byte
	b = append(b, "<sip:"...)
	b = nat.AppendHostPort(b, ob)
	b = append(b, ";lr>,<sip:"...)
	b = nat.AppendHostPort(b, t.dst)
	if t.proto != transport.UDP {
		b = append(b, ";transport="...)
		b = append(b, strings.ToLower(t.proto.String())...)
	}
	b = append(b, ";lr>"...)
	if t.route != nil {
		b = append(append(b, ','), t.route...)
	}
	t.route, t.dst, t.proto = b, ob, transport.UDP
	return t
}

// routes is what the proxy reads of a request's Route set (§16.4).
type routes struct {
	n       int     // own entries at the top, to remove
	next    sip.URI // the first Route after them
	hasNext bool
	strict  bool   // the Request-URI is the proxy's: the last Route is the real one
	ruri    []byte // the Request-URI to route on
	token   []byte // the ;sft= of the first own entry (see token.go)
}

func (p *Proxy) readRoutes(m *sip.Msg) (routes, error) {
	r := routes{ruri: m.RequestURIBytes()}
	if m.Count(sip.HdrRoute) == 0 {
		return r, nil
	}
	if u, err := m.RequestURI(); err == nil && len(u.User) == 0 && p.ownsURI(&u) {
		// §16.4: a strict router put our Record-Route in the
		// Request-URI; the real one is the last Route.
		r.strict = true
	}
	leading := true
	var last []byte
	total := 0
	err := m.NameAddrs(sip.HdrRoute, func(n sip.NameAddr) bool {
		total++
		last = n.URI.Raw
		if leading && p.ownsURI(&n.URI) {
			if r.n == 0 {
				r.token, _ = n.URI.Params.Get("sft")
			}
			r.n++
			return true
		}
		if leading {
			leading = false
			r.next, r.hasNext = n.URI, true
		}
		return true
	})
	if err != nil {
		return r, err
	}
	if r.strict {
		r.ruri = last
		if total-r.n <= 1 {
			r.hasNext = false // the last Route is the Request-URI now
		}
	}
	return r, nil
}
