package node

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"regexp"
	"strings"

	"github.com/sipfleet/sipfleet/internal/config"
	"github.com/sipfleet/sipfleet/internal/mgmt"
	"github.com/sipfleet/sipfleet/internal/resolver"
	"github.com/sipfleet/sipfleet/internal/role/proxy"
	"github.com/sipfleet/sipfleet/internal/store"
	"github.com/sipfleet/sipfleet/internal/store/sqlstore"
	"github.com/sipfleet/sipfleet/internal/transaction"
)

// proxyRole runs a proxy node on the shared location database.
type proxyRole struct {
	n   *Node
	db  *sqlstore.Store
	px  *proxy.Proxy
	dns *resolver.Resolver
}

func newProxyRole(ctx context.Context, cfg *config.Config, n *Node) (role, error) {
	c := cfg.Proxy
	db, err := sqlstore.Open(ctx, string(c.DB), store.Options{QueryTimeout: c.QueryTimeout, Logger: n.log})
	if err != nil {
		return nil, err
	}
	r := &proxyRole{n: n, db: db}
	opt, err := r.options(cfg)
	if err == nil {
		r.px, err = proxy.New(opt)
	}
	if err == nil {
		err = r.register()
	}
	if err != nil {
		db.Close()
		return nil, err
	}
	return r, nil
}

func (r *proxyRole) options(cfg *config.Config) (proxy.Options, error) {
	c := cfg.Proxy
	tc, err := transportConfig(cfg)
	if err != nil {
		return proxy.Options{}, err
	}
	rules := proxy.Rules{
		Domains:   append([]string{strings.ToLower(c.Domain)}, lower(c.Domains)...),
		UseDomain: c.UseDomain, TimerC: c.TimerC,
	}
	for _, e := range c.Edges {
		p, _ := config.ParsePrefixOrAddr(e) // checked by the config loader
		rules.Edges = append(rules.Edges, p)
		if ap, err := netip.ParseAddrPort(e); err == nil && !rules.Outbound.IsValid() {
			rules.Outbound = ap
		}
	}
	for _, t := range c.Trusted {
		p, _ := config.ParsePrefixOrAddr(t)
		rules.Trusted = append(rules.Trusted, p)
	}
	if ps := c.PSTN; ps.Domain != "" || len(ps.Gateways) > 0 {
		rules.PSTN = &proxy.PSTN{
			Pattern:     regexp.MustCompile(ps.Pattern), // checked by the config loader
			CountryCode: ps.CountryCode, NationalPrefix: ps.NationalPrefix,
			InternationalPrefix: ps.InternationalPrefix, Plus: ps.Plus,
			Domain: ps.Domain, Gateways: ps.Gateways, FailoverCodes: ps.FailoverCodes, Avoid: ps.Avoid,
		}
	}
	rc := resolver.Config{Timeout: c.DNS.Timeout, Logger: r.n.log}
	for _, ns := range c.DNS.Nameservers {
		rc.Nameservers = append(rc.Nameservers, ns.String())
	}
	if r.dns, err = resolver.New(rc); err != nil {
		return proxy.Options{}, fmt.Errorf("dns: %w", err)
	}
	opt := proxy.Options{
		Transport: tc, Timers: transaction.Config{T1: cfg.SIP.T1, T2: cfg.SIP.T2, T4: cfg.SIP.T4},
		Store: r.db, Resolver: r.dns, Rules: rules, Workers: c.Workers, QueryTimeout: c.QueryTimeout, Logger: r.n.log,
		Secret: []byte(c.Secret),
	}
	if c.Auth {
		a, err := newAuthenticator(c.Secret, c.AuthAlgorithms, newNonceCounter(r.db, c.QueryTimeout))
		if err != nil {
			return opt, err
		}
		opt.Auth, opt.HA1 = a, ha1Lookup(r.db, c.QueryTimeout)
	}
	return opt, nil
}

func (r *proxyRole) name() string { return "proxy" }

func (r *proxyRole) start(ctx context.Context) error { return r.px.Start(ctx) }

func (r *proxyRole) stop(ctx context.Context) error {
	return errors.Join(r.px.Close(ctx), r.db.Close())
}

func (r *proxyRole) reload(context.Context, *config.Config) error { return nil }

func (r *proxyRole) register() error {
	addDBReadiness(r.n, "proxy-db", r.db)
	reg := roleRegisterer(r.n, "proxy")
	if err := mgmt.RegisterTransport(reg, r.px.Transport().Stats); err != nil {
		return err
	}
	if err := registerCounters(r.n.reg, "proxy", r.px.Stats); err != nil {
		return err
	}
	// The resolver's stats are counters but for the cache's size.
	counters := func() map[string]uint64 {
		m := r.dns.Stats()
		delete(m, "cache_entries")
		return m
	}
	if err := registerCounters(r.n.reg, "dns", counters); err != nil {
		return err
	}
	if err := mgmt.RegisterGaugeFunc(r.n.reg, "sipfleet_dns_cache_entries", "DNS answers cached by the proxy's resolver.",
		func() float64 { return float64(r.dns.Stats()["cache_entries"]) }); err != nil {
		return err
	}
	return mgmt.RegisterTransactions(reg, r.px.Transactions)
}
