package resolver

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"github.com/miekg/dns"
)

// key names one cached answer: a lower-case, fully qualified name and a
// record type.
type key struct {
	name  string
	qtype uint16
}

// entry is the outcome of one lookup, cached until expires.
type entry struct {
	rrs     []dns.RR // records of the asked type, CNAMEs followed; never changed once made
	err     error    // the lookup failed on every nameserver
	expires time.Time
}

// call is a query under way, shared by every lookup of its key until it
// ends.
type call struct {
	done    chan struct{}
	e       *entry // set before done is closed
	waiters int    // under Resolver.mu; the query is cancelled when it drops to 0
	cancel  context.CancelFunc
}

type counters struct {
	resolves, lookups, hits, shared atomic.Uint64
	queries, truncated, queryErrors atomic.Uint64
	errors, nxdomain, nodata        atomic.Uint64
	byType                          [len(queryTypes)]atomic.Uint64
}

// queryTypes are the record types counted apart in Stats.
var queryTypes = [...]uint16{dns.TypeNAPTR, dns.TypeSRV, dns.TypeA, dns.TypeAAAA}

// begin starts the lookup of k: the cached entry when there is a fresh
// one, else the call to wait for, joined or started. A started query runs
// on its own goroutine, apart from the context of any one caller, so that
// one caller giving up does not fail the others that joined it.
func (r *Resolver) begin(k key) (*entry, *call) {
	r.st.lookups.Add(1)
	now := r.now()
	r.mu.Lock()
	defer r.mu.Unlock()
	if e, ok := r.cache[k]; ok {
		if now.Before(e.expires) {
			r.st.hits.Add(1)
			return e, nil
		}
		delete(r.cache, k)
	}
	if c, ok := r.inflight[k]; ok {
		c.waiters++
		r.st.shared.Add(1)
		return nil, c
	}
	ctx, cancel := context.WithCancel(context.Background())
	c := &call{done: make(chan struct{}), waiters: 1, cancel: cancel}
	r.inflight[k] = c
	go r.run(ctx, k, c)
	return nil, c
}

// wait waits for c, the call of k, or for ctx to end. The last waiter to
// give up cancels the query.
func (r *Resolver) wait(ctx context.Context, k key, c *call) (*entry, error) {
	select {
	case <-c.done:
		return c.e, nil
	case <-ctx.Done():
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	c.waiters--
	if c.waiters == 0 {
		c.cancel()
		if r.inflight[k] == c {
			delete(r.inflight, k)
		}
	}
	return nil, ctx.Err()
}

// run queries for k, caches the outcome and hands it to c's waiters.
func (r *Resolver) run(ctx context.Context, k key, c *call) {
	defer c.cancel()
	resp, err := r.exchange(ctx, k)
	now := r.now()
	var e *entry
	if err != nil && ctx.Err() != nil { // nobody waits any more
		e = &entry{err: err}
	} else {
		e = r.entryOf(k, resp, err, now)
	}
	r.mu.Lock()
	if r.inflight[k] == c {
		delete(r.inflight, k)
	}
	if err == nil || ctx.Err() == nil { // a query cancelled by its waiters is not an answer
		r.store(k, e, now)
		if err == nil && len(e.rrs) > 0 {
			r.prime(k, e, resp.Extra, now)
		}
	}
	c.e = e
	r.mu.Unlock()
	close(c.done)
}

// entryOf makes the cache entry for an answer or a failure.
func (r *Resolver) entryOf(k key, resp *dns.Msg, err error, now time.Time) *entry {
	if err != nil {
		r.st.errors.Add(1)
		r.log.Warn("resolver: lookup failed", "name", k.name, "type", dns.TypeToString[k.qtype], "err", err)
		return &entry{err: err, expires: now.Add(min(failureTTL, r.negTTL))}
	}
	if resp.Rcode == dns.RcodeNameError {
		r.st.nxdomain.Add(1)
		return &entry{expires: now.Add(r.negTTL)}
	}
	rrs, ttl := answers(resp.Answer, k.name, k.qtype)
	if len(rrs) == 0 {
		r.st.nodata.Add(1)
		return &entry{expires: now.Add(r.negTTL)}
	}
	return &entry{rrs: rrs, expires: now.Add(r.clamp(ttl))}
}

func (r *Resolver) clamp(ttl time.Duration) time.Duration {
	return min(max(ttl, r.minTTL), r.maxTTL)
}

// answers picks from an answer section the records of qtype that answer
// name, following a CNAME chain, and the least TTL along the way.
func answers(section []dns.RR, name string, qtype uint16) ([]dns.RR, time.Duration) {
	owner := name
	ttl := uint32(1<<32 - 1)
	for range 8 {
		var out []dns.RR
		next := ""
		for _, rr := range section {
			h := rr.Header()
			if !strings.EqualFold(h.Name, owner) {
				continue
			}
			switch {
			case h.Rrtype == qtype:
				out = append(out, rr)
			case h.Rrtype == dns.TypeCNAME && next == "":
				next = rr.(*dns.CNAME).Target
				ttl = min(ttl, h.Ttl)
			}
		}
		if len(out) > 0 {
			for _, rr := range out {
				ttl = min(ttl, rr.Header().Ttl)
			}
			return out, time.Duration(ttl) * time.Second
		}
		if next == "" {
			return nil, 0
		}
		owner = next
	}
	return nil, 0
}

// store caches e under k, making room when the cache is full. Call with
// r.mu held.
func (r *Resolver) store(k key, e *entry, now time.Time) {
	if !now.Before(e.expires) {
		return
	}
	if len(r.cache) >= maxCacheEntries {
		for k, e := range r.cache {
			if !now.Before(e.expires) {
				delete(r.cache, k)
			}
		}
		for k := range r.cache {
			if len(r.cache) < maxCacheEntries/2 {
				break
			}
			delete(r.cache, k)
		}
	}
	r.cache[k] = e
}

// prime caches the records that the additional section of an SRV or NAPTR
// answer carries for the lookups that answer leads to: the A and AAAA
// records of SRV targets, and the SRV records of NAPTR replacements. Only
// those names are taken, not whatever else a server put there, and each
// record type on its own: an additional section with A records and no
// AAAA ones says nothing about AAAA, which is then asked as usual. Call
// with r.mu held.
func (r *Resolver) prime(k key, e *entry, extra []dns.RR, now time.Time) {
	if len(extra) == 0 {
		return
	}
	group := func(name string, qtype uint16) []dns.RR {
		var out []dns.RR
		for _, rr := range extra {
			if h := rr.Header(); h.Rrtype == qtype && strings.EqualFold(h.Name, name) {
				out = append(out, rr)
			}
		}
		return out
	}
	put := func(name string, qtype uint16, rrs []dns.RR) {
		if len(rrs) == 0 {
			return
		}
		pk := key{strings.ToLower(name), qtype}
		if old, ok := r.cache[pk]; ok && now.Before(old.expires) {
			return
		}
		ttl := rrs[0].Header().Ttl
		for _, rr := range rrs {
			ttl = min(ttl, rr.Header().Ttl)
		}
		r.store(pk, &entry{rrs: rrs, expires: now.Add(r.clamp(time.Duration(ttl) * time.Second))}, now)
	}
	addresses := func(srvs []dns.RR) {
		for _, rr := range srvs {
			if s := rr.(*dns.SRV); s.Target != "." {
				put(s.Target, dns.TypeA, group(s.Target, dns.TypeA))
				put(s.Target, dns.TypeAAAA, group(s.Target, dns.TypeAAAA))
			}
		}
	}
	switch k.qtype {
	case dns.TypeSRV:
		addresses(e.rrs)
	case dns.TypeNAPTR:
		for _, rr := range e.rrs {
			n := rr.(*dns.NAPTR)
			if !strings.EqualFold(n.Flags, "s") || n.Replacement == "." {
				continue
			}
			srvs := group(n.Replacement, dns.TypeSRV)
			put(n.Replacement, dns.TypeSRV, srvs)
			addresses(srvs)
		}
	}
}

// exchange asks each nameserver in turn for k until one answers: over
// UDP, and again over TCP when the UDP answer is truncated. An answer is
// NOERROR or NXDOMAIN; other rcodes (SERVFAIL, REFUSED...) and failures
// move on to the next nameserver.
func (r *Resolver) exchange(ctx context.Context, k key) (*dns.Msg, error) {
	m := new(dns.Msg)
	m.SetQuestion(k.name, k.qtype)
	m.SetEdns0(ednsSize, false)
	var errs []error
	for _, server := range r.servers {
		resp, err := r.ask(ctx, r.udp, m, server)
		if err == nil && resp.Truncated {
			r.st.truncated.Add(1)
			resp, err = r.ask(ctx, r.tcp, m, server)
		}
		if err == nil {
			if resp.Rcode == dns.RcodeSuccess || resp.Rcode == dns.RcodeNameError {
				return resp, nil
			}
			err = fmt.Errorf("%s answered %s", server, dns.RcodeToString[resp.Rcode])
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		r.st.queryErrors.Add(1)
		r.log.Debug("resolver: query failed", "name", k.name, "type", dns.TypeToString[k.qtype], "server", server, "err", err)
		errs = append(errs, err)
	}
	return nil, errors.Join(errs...)
}

// ask sends m to server with client c, within r.timeout, and checks that
// what comes back answers it.
func (r *Resolver) ask(ctx context.Context, c *dns.Client, m *dns.Msg, server string) (*dns.Msg, error) {
	r.st.queries.Add(1)
	for i, t := range queryTypes {
		if t == m.Question[0].Qtype {
			r.st.byType[i].Add(1)
		}
	}
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	m.Id = dns.Id()
	conn, err := c.DialContext(ctx, server)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", server, err)
	}
	defer conn.Close()
	// The client only sets deadlines; closing the connection is what
	// stops a read when the query is cancelled.
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	resp, _, err := c.ExchangeWithConnContext(ctx, m, conn)
	if err != nil {
		if ctx.Err() != nil {
			err = ctx.Err()
		}
		return nil, fmt.Errorf("%s over %s: %w", server, c.Net, err)
	}
	q := m.Question[0]
	if len(resp.Question) != 1 || resp.Question[0].Qtype != q.Qtype || !strings.EqualFold(resp.Question[0].Name, q.Name) {
		return nil, fmt.Errorf("%s answered another question", server)
	}
	return resp, nil
}
