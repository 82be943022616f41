package proxy

import (
	"context"
	"net/netip"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/sipfleet/sipfleet/internal/resolver"
	"github.com/sipfleet/sipfleet/internal/sip"
)

// PSTN is how telephone numbers are routed: to gateways found by DNS
// under Domain, or to a static list.
type PSTN struct {
	// Pattern matches the Request-URI users that are numbers, after
	// visual separators are removed.
	Pattern *regexp.Regexp
	// E.164 normalisation (see config.PSTN).
	CountryCode, NationalPrefix, InternationalPrefix string
	Plus                                             bool
	Domain                                           string
	Gateways                                         []string // SIP URIs
	FailoverCodes                                    []int    // nil: defaultFailoverCodes
	Avoid                                            time.Duration
}

// defaultFailoverCodes are the answers that say "this gateway, not this
// call": try the next.
var defaultFailoverCodes = []int{408, 500, 502, 503, 504}

func defaultFailover(code int) bool { return slices.Contains(defaultFailoverCodes, code) }

func (ps *PSTN) failover(code int) bool {
	if ps.FailoverCodes == nil {
		return defaultFailover(code)
	}
	return slices.Contains(ps.FailoverCodes, code)
}

// digits drops the visual separators of RFC 3966 from a user part.
func digits(user []byte) string {
	u, err := sip.Unescape(nil, user)
	if err != nil {
		return ""
	}
	if i := strings.IndexByte(string(u), ';'); i >= 0 {
		u = u[:i] // user parameters such as ;isub= or ;phone-context=
	}
	return strings.Map(func(r rune) rune {
		switch r {
		case '-', '.', '(', ')', ' ':
			return -1
		}
		return r
	}, string(u))
}

func (ps *PSTN) isNumber(user []byte) bool {
	return ps.Pattern != nil && ps.Pattern.MatchString(digits(user))
}

// normalise gives the number in E.164 (with or without "+", per Plus).
func (ps *PSTN) normalise(user []byte) string {
	n := digits(user)
	switch {
	case strings.HasPrefix(n, "+"):
		n = n[1:]
	case ps.InternationalPrefix != "" && strings.HasPrefix(n, ps.InternationalPrefix):
		n = n[len(ps.InternationalPrefix):]
	case ps.NationalPrefix != "" && strings.HasPrefix(n, ps.NationalPrefix):
		if ps.CountryCode == "" {
			return n // a national number, and no country to put it in
		}
		n = ps.CountryCode + n[len(ps.NationalPrefix):]
	}
	// Otherwise the number is taken to carry its country code already.
	if ps.Plus {
		return "+" + n
	}
	return n
}

// routePSTN tries the gateways in turn for number: every target of every
// gateway (every SRV record, every address), avoiding recently failed ones
// until nothing else is left.
func (p *Proxy) routePSTN(ctx context.Context, c *call, number string) {
	ps := p.opt.Rules.PSTN
	var groups []group
	add := func(host string, ts []target) {
		ruri := []byte("sip:" + number + "@" + host + ";user=phone")
		for _, t := range ts {
			t.ruri, t.gateway = ruri, true
			groups = append(groups, group{t})
		}
	}
	var lastErr error
	if len(ps.Gateways) > 0 {
		for _, g := range ps.Gateways {
			u, err := sip.ParseURI([]byte(g))
			if err != nil {
				continue
			}
			ts, err := p.resolve(ctx, &u)
			if err != nil {
				lastErr = err
				continue
			}
			add(string(u.HostPort()), ts)
		}
	} else {
		ts, err := p.resolve(ctx, &sip.URI{Scheme: []byte("sip"), Host: []byte(ps.Domain), Raw: []byte("sip:" + ps.Domain)})
		lastErr = err
		add(ps.Domain, ts)
	}
	if len(groups) == 0 {
		if lastErr == nil {
			lastErr = resolver.ErrNotFound
		}
		p.unreachable(c, lastErr)
		return
	}
	c.start(p.avoid.order(groups, p.opt.Now()), ps.failover)
}

// avoidList remembers targets that failed, to be tried last for a while.
type avoidList struct {
	mu  sync.Mutex
	m   map[netip.AddrPort]time.Time
	ttl time.Duration
}

func (a *avoidList) add(dst netip.AddrPort, now time.Time) {
	if a.ttl <= 0 {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.m) > 10000 {
		for k, until := range a.m {
			if now.After(until) {
				delete(a.m, k)
			}
		}
	}
	a.m[dst] = now.Add(a.ttl)
}

func (a *avoidList) avoided(dst netip.AddrPort, now time.Time) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	until, ok := a.m[dst]
	return ok && now.Before(until)
}

// order moves the groups whose targets are all avoided to the end, in
// their order: they are still tried when nothing better is left.
func (a *avoidList) order(groups []group, now time.Time) []group {
	out := make([]group, 0, len(groups))
	var later []group
	for _, g := range groups {
		if slices.ContainsFunc(g, func(t target) bool { return !a.avoided(t.dst, now) }) {
			out = append(out, g)
		} else {
			later = append(later, g)
		}
	}
	return append(out, later...)
}
