package proxy

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"hash/maphash"
	"net/netip"

	"github.com/sipfleet/sipfleet/internal/auth"
	"github.com/sipfleet/sipfleet/internal/nat"
	"github.com/sipfleet/sipfleet/internal/sip"
	"github.com/sipfleet/sipfleet/internal/transport"
)

// buildRequest writes the request a branch sends (§16.6): the proxy's own
// Route entries removed (§16.4), the Request-URI retargeted, Max-Forwards
// decremented, the binding's Path as the route set, Record-Route and the
// proxy's Via on top. Everything else is copied as received.
func (p *Proxy) buildRequest(c *call, t *target, s *sock, branch []byte) []byte {
	e := p.edits.Get().(*sip.Editor)
	defer p.edits.Put(e)
	m := c.req
	e.Reset(m)
	c.mu.Lock()
	pop, strict, rr, consumed := c.pop, c.strict, c.rr, c.consumed
	c.mu.Unlock()
	ruri := t.ruri
	if strict {
		if last, ok := e.PopLastRoute(); ok && ruri == nil {
			if n, err := sip.ParseNameAddr(last); err == nil {
				ruri = n.URI.Raw
			}
		}
	}
	if pop > 0 {
		e.PopRoutes(pop)
	}
	if ruri != nil {
		e.SetRequestURI(ruri)
	}
	if consumed != "" {
		// Only ours: credentials for other realms are for the proxies
		// further on (RFC 3261 §22.3).
		for i := range m.NumHeaders() {
			if h := m.HeaderAt(i); h.ID == sip.HdrProxyAuthorization && auth.ForRealm(h.Value, consumed) {
				e.RemoveHeader(i)
			}
		}
	}
	e.DecrementMaxForwards()
	via := make([]byte, 0, len(s.via)+len(branch))
	e.PrependHeader("Via", append(append(via, s.via...), branch...))
	if rr {
		e.PrependHeader("Record-Route", s.recordRoute(p.rrToken(m.CallID())))
	}
	if t.route != nil {
		e.PrependHeader("Route", t.route)
	}
	if t.proto.Stream() {
		e.EnsureContentLength()
	}
	return e.AppendTo(make([]byte, 0, e.Len()+64))
}

// upstream is a response as the proxy passes it on: without its own Via
// (§16.7 step 3).
func (p *Proxy) upstream(resp *sip.Msg) []byte {
	e := p.edits.Get().(*sip.Editor)
	defer p.edits.Put(e)
	e.Reset(resp)
	e.PopVia()
	return e.AppendTo(make([]byte, 0, e.Len()))
}

// withChallenges gives the chosen 401 or 407 every challenge the branches
// sent (§16.7 step 7), each under its own header name, so the caller can
// answer all of them at once.
func (p *Proxy) withChallenges(b []byte, challenges []challenge) []byte {
	var m sip.Msg
	if err := m.Parse(b); err != nil {
		return b
	}
	e := sip.NewEditor(&m)
	e.RemoveAll(sip.HdrWWWAuthenticate)
	e.RemoveAll(sip.HdrProxyAuthenticate)
	for _, ch := range challenges {
		e.AppendHeader(ch.name, ch.value)
	}
	return e.AppendTo(nil)
}

// handleResponse passes a response to its client transaction. One that
// matches none is dropped (RFC 6026 §7.3 removed the stateless
// forwarding of §16.7: a late 2xx is caught by the client transaction's
// Accepted state, and relaying strays would let anyone aim the proxy's
// packets at a victim named in a forged Via).
func (p *Proxy) handleResponse(m *sip.Msg) {
	if !p.txl.HandleResponse(m) {
		p.stats.inc(cDropped)
	}
}

// relayByVia sends a response (our Via already removed) where its top
// Via says: received and rport, else the sent-by (RFC 3261 §18.2.2,
// RFC 3581 §4).
func (p *Proxy) relayByVia(b []byte) {
	var m sip.Msg
	if m.Parse(b) != nil {
		return
	}
	v, err := m.TopVia()
	if err != nil {
		return
	}
	proto := protoOf(v.Transport, false)
	ip, port, ok := nat.ResponseDest(&v)
	if !ok {
		return
	}
	if port == 0 {
		port = defaultPort(proto)
	}
	p.sendTo(netip.AddrPortFrom(ip, uint16(port)), proto, b)
}

// sendTo sends b to dst over proto from a matching socket, reusing or
// opening a connection for streams.
func (p *Proxy) sendTo(dst netip.AddrPort, proto transport.Proto, b []byte) {
	s := p.sockFor(dst, proto)
	if s == nil {
		return
	}
	ctx, cancel := context.WithTimeout(p.base, dialTimeout)
	defer cancel()
	_, _ = p.tr.Send(ctx, s.l, dst, b)
}

// forwardACK forwards the ACK for a 2xx statelessly along its route set
// (§16.11): it is a transaction of its own that only the UAS answers.
func (p *Proxy) forwardACK(m *sip.Msg, pk *transport.Packet) {
	rt, err := p.readRoutes(m)
	if err != nil || !p.ownDialog(m, &rt) {
		// Only the ACKs of dialogs this proxy record-routed pass: any
		// other would make it a reflector.
		p.stats.inc(cDropped)
		return
	}
	if mf, present, _ := m.MaxForwards(); present && mf == 0 {
		return
	}
	var u sip.URI
	switch {
	case rt.hasNext:
		u = rt.next
	default:
		if u, err = sip.ParseRequestURI(rt.ruri); err != nil || p.ownsURI(&u) {
			return
		}
	}
	var ip netip.Addr
	var ok bool
	if ip, ok = nat.HostIP(u.Host); !ok {
		// A name: resolve off the receive loop; ACKs for 2xx are rare
		// enough that a goroutine each costs nothing.
		c := m.Clone()
		go p.forwardACKResolved(c, rt)
		return
	}
	proto := protoOf(u.Transport(), u.IsSecure())
	port := u.Port
	if port == 0 {
		port = defaultPort(proto)
	}
	p.sendACK(m, rt, netip.AddrPortFrom(ip, uint16(port)), proto)
}

func (p *Proxy) forwardACKResolved(m *sip.Msg, rt routes) {
	ctx, cancel := context.WithTimeout(p.base, p.opt.QueryTimeout)
	defer cancel()
	u := rt.next
	if !rt.hasNext {
		var err error
		if u, err = sip.ParseRequestURI(rt.ruri); err != nil {
			return
		}
	}
	ts, err := p.resolve(ctx, &u)
	if err != nil {
		return
	}
	p.sendACK(m, rt, ts[0].dst, ts[0].proto)
}

func (p *Proxy) sendACK(m *sip.Msg, rt routes, dst netip.AddrPort, proto transport.Proto) {
	s := p.sockFor(dst, proto)
	if s == nil {
		return
	}
	e := p.edits.Get().(*sip.Editor)
	defer p.edits.Put(e)
	e.Reset(m)
	if rt.strict {
		if last, ok := e.PopLastRoute(); ok {
			if n, err := sip.ParseNameAddr(last); err == nil {
				e.SetRequestURI(n.URI.Raw)
			}
		}
	}
	if rt.n > 0 {
		e.PopRoutes(rt.n)
	}
	e.DecrementMaxForwards()
	e.PrependHeader("Via", append(append([]byte(nil), s.via...), ackBranch(m)...))
	if proto.Stream() {
		e.EnsureContentLength()
	}
	p.stats.inc(cStateless)
	p.sendTo(dst, proto, e.AppendTo(make([]byte, 0, e.Len()+64)))
}

// ackBranch derives the branch of a statelessly forwarded ACK from the
// incoming one, so that a retransmitted ACK gets the same branch (§16.11).
func ackBranch(m *sip.Msg) []byte {
	var br []byte
	if v, err := m.TopVia(); err == nil {
		br = v.Branch()
	}
	var h [8]byte
	binary.BigEndian.PutUint64(h[:], maphash.Bytes(hashSeed, br))
	return hex.AppendEncode([]byte(ackPrefix), h[:])
}
