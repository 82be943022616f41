package cli

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"strings"

	"github.com/sipfleet/sipfleet/internal/config"
	"github.com/sipfleet/sipfleet/internal/fleet"
	"github.com/sipfleet/sipfleet/internal/node"
)

func upCommand() command {
	return command{name: "up", summary: "run a whole small fleet in one process", run: runUp}
}

const upSynopsis = "[--listen ADDR] [--admin ADDR] [--data DIR] [--domain DOMAIN] [--demo]"

// upFlags are the command line of up.
type upFlags struct {
	listen, advertise, admin string
	data, domain, level      string
	demo                     bool
}

// demoUsers are the users --demo makes, enough for one call.
func demoUsers() []string { return []string{"alice", "bob"} }

// runUp runs the fleet of package fleet until ctx ends: it lays it out,
// writes its files, prepares the database, builds one node of all its
// members and prints where everything is.
func runUp(ctx context.Context, a *App, args []string) int {
	f, code, ok := a.parseUp(args)
	if !ok {
		return code
	}
	opt, err := f.options()
	if err != nil {
		fmt.Fprintf(a.Stderr, "sipfleet up: %v\n", err)
		return ExitUsage
	}
	log, err := newLogger(a.Stderr, opt.Log, "")
	if err != nil {
		fmt.Fprintf(a.Stderr, "sipfleet up: %v\n", err)
		return ExitUsage
	}
	plan, err := fleet.NewPlan(opt)
	if err != nil {
		fmt.Fprintf(a.Stderr, "sipfleet up: %v\n", err)
		return ExitUsage
	}
	var demo []string
	if f.demo {
		demo = demoUsers()
	}
	if err := plan.Write(opt.DataDir); err != nil {
		return a.fail("up", err)
	}
	creds, err := plan.PrepareDB(ctx, demo)
	if err != nil {
		return a.fail("up", err)
	}
	n, err := node.NewFleet(plan.Members, node.Options{Logger: log, Version: a.version()})
	if err == nil {
		err = n.Start(ctx)
	}
	if err != nil {
		return a.fail("up", err)
	}
	printFleet(a.Stdout, plan, n.AdminURL(), creds)
	<-ctx.Done()
	return a.stop(n, log)
}

func (a *App) parseUp(args []string) (upFlags, int, bool) {
	fs := a.newFlags("up", upSynopsis)
	var f upFlags
	fs.StringVar(&f.listen, "listen", fleet.DefaultListen, "the LB's public `address` (UDP and TCP), e.g. 0.0.0.0:5060 for phones on the LAN")
	fs.StringVar(&f.advertise, "advertise", "", "the `address` phones reach the LB at, when --listen is a wildcard (default: this host's first LAN address)")
	fs.StringVar(&f.admin, "admin", fleet.DefaultAdmin, "the management listener's `address` (/readyz, /metrics, sipfleet ctl)")
	fs.StringVar(&f.data, "data", "./"+fleet.DefaultDataDir, "the data `directory`: the SQLite database "+fleet.DBFile+" and the generated configs")
	fs.StringVar(&f.domain, "domain", fleet.DefaultDomain, "the SIP `domain` (and digest realm) of the users")
	fs.StringVar(&f.level, "log-level", "warn", "log `level`: debug, info, warn or error")
	fs.BoolVar(&f.demo, "demo", false, "also create the users alice and bob with random passwords, printed")
	code, ok := parseFlags(fs, args)
	return f, code, ok
}

// options checks the addresses of the command line and turns it into the
// fleet's Options, with a fresh nonce secret: nothing outlives the
// process but the database.
func (f upFlags) options() (fleet.Options, error) {
	o := fleet.Options{DataDir: f.data, Domain: f.domain, Secret: fleet.Secret(),
		Log: config.Log{Level: f.level, Format: "text"}}
	var err error
	if o.Listen, err = netip.ParseAddrPort(f.listen); err != nil {
		return o, fmt.Errorf("--listen %q: want ip:port", f.listen)
	}
	if o.Admin, err = netip.ParseAddrPort(f.admin); err != nil {
		return o, fmt.Errorf("--admin %q: want ip:port", f.admin)
	}
	o.Advertise = f.advertise
	if o.Advertise == "" && o.Listen.Addr().IsUnspecified() {
		guess, err := fleet.GuessAdvertise(o.Listen)
		if err != nil {
			return o, fmt.Errorf("--listen %s: %v; give it with --advertise", o.Listen, err)
		}
		o.Advertise = guess.String()
	}
	return o, nil
}

// printFleet says in a few lines what runs where and how to use it.
func printFleet(w io.Writer, p *fleet.Plan, admin string, creds []fleet.Credential) {
	fmt.Fprintf(w, "sipfleet up: a fleet for domain %s is serving; Ctrl-C stops it\n", p.Domain)
	fmt.Fprintf(w, "  lb          %s udp+tcp for phones; %s udp toward the backends\n", p.Public, p.Private)
	fmt.Fprintf(w, "  proxies     %s\n", joinAddrs(p.Proxies))
	fmt.Fprintf(w, "  registrars  %s\n", joinAddrs(p.Registrars))
	fmt.Fprintf(w, "  database    %s (the members' configs are beside it)\n", p.DSN)
	fmt.Fprintf(w, "  admin       %s (/readyz, /metrics; sipfleet ctl status)\n", admin)
	fmt.Fprintln(w, "  natping     not run: phones on this host or LAN need no NAT keepalives (docs/first-run.md)")
	for _, c := range creds {
		fmt.Fprintf(w, "  user        %s@%s password %s\n", c.User, c.Domain, c.Password)
	}
	if len(creds) > 0 {
		fmt.Fprintf(w, "Softphone: user %s, domain %s, the password above, outbound proxy %s (UDP or TCP).\n", creds[0].User, p.Domain, p.Advertise)
	} else {
		fmt.Fprintf(w, "Softphone: add a user (below, or start with --demo), then domain %s, outbound proxy %s (UDP or TCP).\n", p.Domain, p.Advertise)
	}
	fmt.Fprintf(w, "More users: sipfleet user add --db %s USER@%s PASSWORD\n", p.DSN, p.Domain)
}

func joinAddrs(as []netip.AddrPort) string {
	s := make([]string, len(as))
	for i, a := range as {
		s[i] = a.String()
	}
	return strings.Join(s, ", ")
}

// stop shuts the fleet down gracefully once ctx has ended (Ctrl-C,
// SIGTERM): /readyz fails first, in-flight transactions get
// shutdownGrace to finish.
func (a *App) stop(n *node.Node, log *slog.Logger) int {
	log.Info("shutting down", "grace", shutdownGrace)
	ctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if err := n.Shutdown(ctx); err != nil {
		return a.fail("up", err)
	}
	fmt.Fprintln(a.Stdout, "sipfleet up: stopped")
	return ExitOK
}
