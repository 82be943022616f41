package node

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strings"
	"time"

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
	// Roles limits the node to these roles of the config, so that
	// `sipfleet lb --config fleet.yaml` runs only the LB of a whole-fleet
	// file; empty runs every role the config has.
	Roles []string
}

// Member is one config of a node that runs several (NewFleet). Its name
// labels its metrics ({member="registrar-1"}) and its log lines, so two
// registrars in one process stay apart.
type Member struct {
	Name   string
	Config *config.Config
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
//
// The roles keep a *Node to reach the logger, the metrics registerer and
// the management server. In a fleet each member's roles get a Node of
// their own that shares the management server and the registry, its
// logger and registerer labelled with the member; the fleet's Node holds
// every role and runs them.
type Node struct {
	opt Options
	log *slog.Logger
	// reg is where roles register their metrics: the registry the
	// management listener serves, wrapped with the member's label in a
	// fleet.
	reg   prometheus.Registerer
	admin *mgmt.Server
	roles []role
}

// New builds every role present in cfg (or those of opt.Roles); Start
// runs them. Each role binds only the listeners that serve it.
func New(cfg *config.Config, opt Options) (*Node, error) {
	return build([]Member{{Config: cfg}}, opt)
}

// NewFleet builds one node from several configs, as `sipfleet up` runs a
// whole fleet in one process: every member's roles, each on its own
// listeners, behind one management listener (the first member's
// admin.listen) whose /readyz answers once all of them serve, and one
// registry. Members start in the order given and stop in reverse, so
// backends listed before the LB are up before it sends them anything. A
// fleet's node does not reload: it was not read from one file.
func NewFleet(members []Member, opt Options) (*Node, error) {
	if len(members) == 0 {
		return nil, errors.New("a fleet needs at least one member")
	}
	for _, m := range members {
		if m.Name == "" {
			return nil, errors.New("every member of a fleet needs a name")
		}
	}
	opt.ConfigPath = ""
	return build(members, opt)
}

func build(members []Member, opt Options) (*Node, error) {
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	registry := prometheus.NewRegistry()
	n := &Node{opt: opt, log: opt.Logger, reg: registry}
	names := roleNames(members, opt.Roles)
	if len(names) == 0 {
		return nil, noRoles(opt.Roles)
	}
	host, _ := os.Hostname()
	admin, err := mgmt.New(mgmt.Config{
		Addr: members[0].Config.Admin.Listen.String(), Node: host, Roles: names,
		Version: opt.Version, Logger: opt.Logger, Registry: registry,
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
	for _, m := range members {
		// On an error the roles built so far are dropped unstarted; their
		// database pools go with the process, which is about to exit.
		if err := n.addMember(m); err != nil {
			return nil, err
		}
	}
	return n, nil
}

// roleNames are the distinct roles the members run, for /v1/status, in
// the order of a config (lb, registrar, proxy, natping).
func roleNames(members []Member, only []string) []string {
	var names []string
	for _, m := range members {
		for _, r := range selected(m.Config, only) {
			if !slices.Contains(names, r) {
				names = append(names, r)
			}
		}
	}
	order := config.AllRoles()
	slices.SortFunc(names, func(a, b string) int { return slices.Index(order, a) - slices.Index(order, b) })
	return names
}

// selected is the roles of cfg the node runs.
func selected(cfg *config.Config, only []string) []string {
	if len(only) == 0 {
		return cfg.Roles()
	}
	return slices.DeleteFunc(cfg.Roles(), func(r string) bool { return !slices.Contains(only, r) })
}

func noRoles(only []string) error {
	if len(only) > 0 {
		return fmt.Errorf("the config has no %s section", strings.Join(only, " or "))
	}
	return errors.New("the config runs no role (lb, registrar, proxy, natping)")
}

// addMember builds the roles of one member with a Node of its own (see
// Node).
func (n *Node) addMember(m Member) error {
	view := n
	if m.Name != "" {
		view = &Node{
			opt: n.opt, admin: n.admin,
			log: n.log.With("member", m.Name),
			reg: prometheus.WrapRegistererWith(prometheus.Labels{"member": m.Name}, n.reg),
		}
	}
	for _, name := range selected(m.Config, n.opt.Roles) {
		r, err := newRole(name, forRole(m.Config, name), view)
		if err != nil {
			return fmt.Errorf("%s: %w", cmp.Or(m.Name, name), err)
		}
		n.roles = append(n.roles, r)
	}
	return nil
}

// newRole builds the role called name from cfg, which holds only that
// role's listeners.
func newRole(name string, cfg *config.Config, n *Node) (role, error) {
	ctx := context.Background()
	switch name {
	case config.RoleLB:
		return newLBRole(cfg, n)
	case config.RoleRegistrar:
		return newRegistrarRole(ctx, cfg, n)
	case config.RoleProxy:
		return newProxyRole(ctx, cfg, n)
	case config.RoleNATPing:
		return newNATPingRole(ctx, cfg, n)
	}
	return nil, fmt.Errorf("unknown role %q", name)
}

// Start starts the roles, then the management listener, so /readyz
// answers only once everything serves.
func (n *Node) Start(ctx context.Context) error {
	for i, r := range n.roles {
		if err := r.start(ctx); err != nil {
			for _, s := range slices.Backward(n.roles[:i]) {
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

// Reload re-reads the config file and applies it to each role, each with
// its own listeners; a file that does not load changes nothing.
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
		if err := r.reload(ctx, forRole(cfg, r.name())); err != nil {
			errs = append(errs, fmt.Errorf("reload %s: %w", r.name(), err))
		}
	}
	return errors.Join(errs...)
}

// Shutdown stops taking new work (readiness fails first, so a balancer in
// front stops sending), then stops the roles, the last started first, and
// the listener.
func (n *Node) Shutdown(ctx context.Context) error {
	n.admin.Drain()
	var errs []error
	for _, r := range slices.Backward(n.roles) {
		errs = append(errs, r.stop(ctx))
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

// addDBReadiness makes /readyz depend on a role's database answering a
// ping within a second.
func addDBReadiness(n *Node, name string, db interface{ Ping(context.Context) error }) {
	n.admin.AddReadiness(name, func(ctx context.Context) error {
		ctx, cancel := context.WithTimeout(ctx, time.Second)
		defer cancel()
		return db.Ping(ctx)
	})
}
