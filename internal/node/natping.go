package node

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"time"

	"github.com/sipfleet/sipfleet/internal/config"
	"github.com/sipfleet/sipfleet/internal/mgmt"
	"github.com/sipfleet/sipfleet/internal/role/natping"
	"github.com/sipfleet/sipfleet/internal/store"
	"github.com/sipfleet/sipfleet/internal/store/sqlstore"
)

// natpingRole runs the NAT keepalive sender: a raw-socket sender with the
// LB's public address as source, reading the shared location database.
type natpingRole struct {
	n      *Node
	cfg    config.NATPing // what was started with, for reloads
	db     *sqlstore.Store
	sender *natping.RawSender
	p      *natping.Pinger
}

// newNATPingRole opens the raw sockets first: without CAP_NET_RAW the node
// fails to start at once, with the error telling how to grant it, before
// anything else is set up.
func newNATPingRole(ctx context.Context, cfg *config.Config, n *Node) (role, error) {
	c := cfg.NATPing
	src4, src6, err := natpingSources(c)
	if err != nil {
		return nil, err
	}
	r := &natpingRole{n: n, cfg: *c}
	if r.sender, err = natping.NewRawSender(src4, src6); err != nil {
		return nil, err
	}
	r.db, err = sqlstore.Open(ctx, string(c.DB), store.Options{QueryTimeout: c.QueryTimeout, Logger: n.log})
	if err != nil {
		r.sender.Close()
		return nil, err
	}
	settings, err := natpingSettings(c)
	if err == nil {
		r.p, err = natping.New(natping.Options{
			Store: r.db, Sender: r.sender, Source4: src4, Source6: src6, Settings: settings, Logger: n.log,
		})
	}
	if err == nil {
		err = r.register()
	}
	if err != nil {
		r.sender.Close()
		r.db.Close()
		return nil, err
	}
	return r, nil
}

// natpingSources splits the configured sources by family; config has
// checked they are IP addresses with ports.
func natpingSources(c *config.NATPing) (src4, src6 netip.AddrPort, err error) {
	for _, hp := range []config.HostPort{c.Source, c.Source6} {
		if hp.IsZero() {
			continue
		}
		a, err := netip.ParseAddr(hp.Host)
		if err != nil {
			return src4, src6, fmt.Errorf("source %s: %w", hp, err)
		}
		ap := netip.AddrPortFrom(a.Unmap(), hp.Port)
		if ap.Addr().Is4() {
			src4 = ap
		} else {
			src6 = ap
		}
	}
	return src4, src6, nil
}

func natpingSettings(c *config.NATPing) (natping.Settings, error) {
	payload, err := natping.ParsePayload(c.Payload)
	if err != nil {
		return natping.Settings{}, err
	}
	return natping.Settings{
		Interval: c.Interval, Payload: payload, Partitions: c.Partitions,
		Shard: c.Shard, Shards: c.Shards, Batch: c.Batch, QueryTimeout: c.QueryTimeout,
	}, nil
}

func (r *natpingRole) name() string { return "natping" }

func (r *natpingRole) start(ctx context.Context) error { return r.p.Start(ctx) }

func (r *natpingRole) stop(context.Context) error {
	return errors.Join(r.p.Close(), r.sender.Close(), r.db.Close())
}

// reload applies the interval, payload, share of the table, page size and
// query timeout from the next cycle on. The sources and the database are
// what the sockets and the pool were opened with: changing them takes a
// restart, and a reload that tries changes nothing.
func (r *natpingRole) reload(_ context.Context, cfg *config.Config) error {
	c := cfg.NATPing
	switch {
	case c == nil:
		return errors.New("the natping section is gone; stopping the pinger takes a restart")
	case c.DB != r.cfg.DB || c.Source != r.cfg.Source || c.Source6 != r.cfg.Source6:
		return errors.New("db, source and source6 change only with a restart")
	}
	s, err := natpingSettings(c)
	if err != nil {
		return err
	}
	if err := r.p.Reconfigure(s); err != nil {
		return err
	}
	r.cfg = *c
	return nil
}

// register adds the database to readiness and exports the counters as
// sipfleet_natping_<name>_total and the last cycle as gauges.
func (r *natpingRole) register() error {
	addDBReadiness(r.n, "natping-db", r.db)
	if err := registerCounters(r.n.reg, "natping", r.p.Stats); err != nil {
		return err
	}
	secs := func(d time.Duration) float64 { return d.Seconds() }
	return mgmt.RegisterSnapshot(r.n.reg, r.p.LastCycle,
		mgmt.Metric[natping.Cycle]{Name: "sipfleet_natping_cycle_bindings", Kind: mgmt.Gauge,
			Help:  "NATed bindings read in the last complete cycle.",
			Value: func(c *natping.Cycle) float64 { return float64(c.Bindings) }},
		mgmt.Metric[natping.Cycle]{Name: "sipfleet_natping_cycle_duration_seconds", Kind: mgmt.Gauge,
			Help:  "Time from the start of the last complete cycle to its last keepalive.",
			Value: func(c *natping.Cycle) float64 { return secs(c.Duration) }},
		mgmt.Metric[natping.Cycle]{Name: "sipfleet_natping_cycle_db_seconds", Kind: mgmt.Gauge,
			Help:  "Time the last complete cycle spent waiting on the database (overlapped with sending).",
			Value: func(c *natping.Cycle) float64 { return secs(c.Read) }},
		mgmt.Metric[natping.Cycle]{Name: "sipfleet_natping_cycle_lag_seconds", Kind: mgmt.Gauge,
			Help:  "How far the last complete cycle ran past its interval; 0 when on time.",
			Value: func(c *natping.Cycle) float64 { return secs(c.Lag) }},
	)
}
