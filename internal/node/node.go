package node

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sipfleet/sipfleet/internal/config"
	"github.com/sipfleet/sipfleet/internal/mgmt"
	"github.com/sipfleet/sipfleet/internal/store"
	"github.com/sipfleet/sipfleet/internal/store/sqlstore"
)

// Options are what the command line adds to the config file.
type Options struct {
	Logger     *slog.Logger
	Version    string
	ConfigPath string // for reloads; "" when the config was built in code
}

// role is one running part of a node.
type role interface {
	name() string
	start(ctx context.Context) error
	// reload applies what can change at run time from cfg; an error leaves
	// the running role as it was.
	reload(ctx context.Context, cfg *config.Config) error
	stop(ctx context.Context) error
}

// Node is a set of roles serving one management listener.
type Node struct {
	opt   Options
	log   *slog.Logger
	reg   *prometheus.Registry
	admin *mgmt.Server
	roles []role
}

// New builds every role present in cfg; Start runs them.
func New(cfg *config.Config, opt Options) (*Node, error) {
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	n := &Node{opt: opt, log: opt.Logger, reg: prometheus.NewRegistry()}
	var names []string
	if cfg.LB != nil {
		names = append(names, "lb")
	}
	if cfg.Registrar != nil {
		names = append(names, "registrar")
	}
	if cfg.Proxy != nil {
		names = append(names, "proxy")
	}
	if cfg.NATPing != nil {
		names = append(names, "natping")
	}
	if len(names) == 0 {
		return nil, errors.New("the config runs no role (lb, registrar, proxy, natping)")
	}
	host, _ := os.Hostname()
	admin, err := mgmt.New(mgmt.Config{
		Addr: cfg.Admin.Listen.String(), Node: host, Roles: names,
		Version: opt.Version, Logger: opt.Logger, Registry: n.reg,
	})
	if err != nil {
		return nil, err
	}
	n.admin = admin
	if err := mgmt.RegisterRuntime(n.reg, opt.Version); err != nil {
		return nil, err
	}
	if err := mountPprof(admin); err != nil {
		return nil, err
	}
	if cfg.LB != nil {
		r, err := newLBRole(cfg, n)
		if err != nil {
			return nil, fmt.Errorf("lb: %w", err)
		}
		n.roles = append(n.roles, r)
	}
	if cfg.Registrar != nil {
		r, err := newRegistrarRole(context.Background(), cfg, n)
		if err != nil {
			return nil, fmt.Errorf("registrar: %w", err)
		}
		n.roles = append(n.roles, r)
	}
	if cfg.Proxy != nil {
		r, err := newProxyRole(context.Background(), cfg, n)
		if err != nil {
			return nil, fmt.Errorf("proxy: %w", err)
		}
		n.roles = append(n.roles, r)
	}
	if cfg.NATPing != nil {
		r, err := newNATPingRole(context.Background(), cfg, n)
		if err != nil {
			return nil, fmt.Errorf("natping: %w", err)
		}
		n.roles = append(n.roles, r)
	}
	return n, nil
}

// Start starts the roles, then the management listener, so /readyz
// answers only once everything serves.
func (n *Node) Start(ctx context.Context) error {
	for i, r := range n.roles {
		if err := r.start(ctx); err != nil {
			for _, s := range n.roles[:i] {
				_ = s.stop(ctx)
			}
			return fmt.Errorf("start %s: %w", r.name(), err)
		}
	}
	if err := n.admin.Start(ctx); err != nil {
		_ = n.Shutdown(ctx)
		return err
	}
	n.log.Info("node started", "admin", n.admin.URL())
	return nil
}

// AdminURL is the management listener's base URL.
func (n *Node) AdminURL() string { return n.admin.URL() }

// Reload re-reads the config file and applies it to each role; a file that
// does not load changes nothing.
func (n *Node) Reload(ctx context.Context) error {
	if n.opt.ConfigPath == "" {
		return errors.New("reload: the node was not started from a file")
	}
	cfg, err := config.Load(n.opt.ConfigPath)
	if err != nil {
		return fmt.Errorf("reload: %w", err)
	}
	var errs []error
	for _, r := range n.roles {
		if err := r.reload(ctx, cfg); err != nil {
			errs = append(errs, fmt.Errorf("reload %s: %w", r.name(), err))
		}
	}
	return errors.Join(errs...)
}

// Shutdown stops taking new work (readiness fails first, so a balancer in
// front stops sending), then stops the roles and the listener.
func (n *Node) Shutdown(ctx context.Context) error {
	n.admin.Drain()
	var errs []error
	for i := len(n.roles) - 1; i >= 0; i-- {
		errs = append(errs, n.roles[i].stop(ctx))
	}
	errs = append(errs, n.admin.Shutdown(ctx))
	return errors.Join(errs...)
}

// roleRegisterer labels the metrics a role shares with others (transport,
// transactions) with the role, so that several roles fit in one process.
func roleRegisterer(n *Node, role string) prometheus.Registerer {
	return prometheus.WrapRegistererWith(prometheus.Labels{"role": role}, n.reg)
}

// OpenStore opens the location and subscriber database at dsn (sqlite:,
// mysql:// or postgres://). The CLI's database commands use it, so that
// only this package names the SQL implementation.
func OpenStore(ctx context.Context, dsn string, opts store.Options) (store.Store, error) {
	return sqlstore.Open(ctx, dsn, opts)
}

// registerCounters exports a role's named counters as
// sipfleet_<role>_<name>_total, taking one snapshot per scrape.
func registerCounters(reg prometheus.Registerer, role string, stats func() map[string]uint64) error {
	var metrics []mgmt.Metric[map[string]uint64]
	for name := range stats() {
		metrics = append(metrics, mgmt.Metric[map[string]uint64]{
			Name: "sipfleet_" + role + "_" + name + "_total", Help: role + " " + strings.ReplaceAll(name, "_", " ") + ".",
			Kind: mgmt.Counter, Value: func(s *map[string]uint64) float64 { return float64((*s)[name]) },
		})
	}
	return mgmt.RegisterSnapshot(reg, stats, metrics...)
}
