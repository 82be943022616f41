package cli

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"time"

	"github.com/sipfleet/sipfleet/internal/config"
	"github.com/sipfleet/sipfleet/internal/node"
	"github.com/sipfleet/sipfleet/internal/store"
)

// The db, user and contacts commands work on the location database
// directly, not through a node: they are what an operator runs before
// any node is up (db migrate, user add) and when none answers.

func dbCommand() command {
	return command{name: "db", summary: "create or upgrade the database tables", run: runDB}
}

const dbUsage = `usage: sipfleet db migrate (--db DSN | --config FILE)

  migrate    create the missing tables (Kamailio's location, subscriber,
             dispatcher and version) and upgrade older ones; safe to run
             again and from several hosts at once

Flags go before or after the subcommand:
`

func runDB(ctx context.Context, a *App, args []string) int {
	fs, db := a.dbFlags("db", dbUsage)
	words, code, ok := parseInterspersed(fs, args)
	if !ok {
		return code
	}
	if len(words) != 1 || words[0] != "migrate" {
		return a.usageFail(fs, "db", words, "migrate")
	}
	s, code, ok := a.openDB(ctx, "db migrate", db)
	if !ok {
		return code
	}
	defer s.Close()
	if err := s.Migrate(ctx); err != nil {
		return a.fail("db migrate", err)
	}
	v, err := s.SchemaVersions(ctx)
	if err != nil {
		return a.fail("db migrate", err)
	}
	engine := "sql"
	if e, ok := s.(interface{ Engine() string }); ok {
		engine = e.Engine()
	}
	fmt.Fprintf(a.Stdout, "ok: %s database, location %d, subscriber %d, dispatcher %d\n",
		engine, v["location"], v["subscriber"], v["dispatcher"])
	return ExitOK
}

// dbSource is where a command finds its database: --db, or the db of a
// config file's registrar, proxy or natping section.
type dbSource struct {
	dsn, config string
	timeout     time.Duration
}

// dbFlags makes the flag set of a database command, with usage as its
// help text.
func (a *App) dbFlags(name, usage string) (*flag.FlagSet, *dbSource) {
	fs := a.newFlags(name, "")
	fs.Usage = func() {
		fmt.Fprint(a.Stderr, usage)
		fs.PrintDefaults()
	}
	var src dbSource
	fs.StringVar(&src.dsn, "db", "", "the database `URL`: sqlite:PATH, mysql://user:pass@host:port/db or postgres://user:pass@host:port/db")
	fs.StringVar(&src.config, "config", "", "take the database from the registrar, proxy or natping section of this config `file`")
	fs.DurationVar(&src.timeout, "timeout", 10*time.Second, "give up on a database operation after `duration`")
	return fs, &src
}

// openDB opens the store the flags name; on failure it has said why and
// gives the exit code.
func (a *App) openDB(ctx context.Context, cmd string, src *dbSource) (store.Store, int, bool) {
	dsn, code, ok := a.dsnOf(cmd, src)
	if !ok {
		return nil, code, false
	}
	var checked config.DSN
	if err := checked.UnmarshalText([]byte(dsn)); err != nil {
		fmt.Fprintf(a.Stderr, "sipfleet %s: %v\n", cmd, err)
		return nil, ExitUsage, false
	}
	s, err := node.OpenStore(ctx, dsn, store.Options{MaxConns: 2, QueryTimeout: src.timeout, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return nil, a.fail(cmd, err), false
	}
	return s, ExitOK, true
}

// dsnOf gives the DSN of --db or of the config file; on failure it has
// said why and gives the exit code.
func (a *App) dsnOf(cmd string, src *dbSource) (string, int, bool) {
	switch {
	case src.dsn != "" && src.config != "":
		fmt.Fprintf(a.Stderr, "sipfleet %s: give --db or --config, not both\n", cmd)
		return "", ExitUsage, false
	case src.dsn != "":
		return src.dsn, ExitOK, true
	case src.config == "":
		fmt.Fprintf(a.Stderr, "sipfleet %s: --db or --config is required\n", cmd)
		return "", ExitUsage, false
	}
	cfg, err := a.loadConfig(cmd, src.config)
	if err != nil {
		return "", ExitFail, false
	}
	switch {
	case cfg.Registrar != nil:
		return string(cfg.Registrar.DB), ExitOK, true
	case cfg.Proxy != nil:
		return string(cfg.Proxy.DB), ExitOK, true
	case cfg.NATPing != nil:
		return string(cfg.NATPing.DB), ExitOK, true
	}
	fmt.Fprintf(a.Stderr, "sipfleet %s: %s has no registrar, proxy or natping section to take the database from\n", cmd, src.config)
	return "", ExitFail, false
}

// fail reports an error of a database command and gives exit code 1.
func (a *App) fail(cmd string, err error) int {
	fmt.Fprintf(a.Stderr, "sipfleet %s: %v\n", cmd, err)
	return ExitFail
}

// usageFail reports a missing or unknown subcommand of cmd.
func (a *App) usageFail(fs *flag.FlagSet, cmd string, words []string, subs string) int {
	if len(words) == 0 {
		fmt.Fprintf(a.Stderr, "sipfleet %s: missing subcommand: %s\n", cmd, subs)
	} else {
		fmt.Fprintf(a.Stderr, "sipfleet %s: unknown subcommand %q\n", cmd, words[0])
	}
	fs.Usage()
	return ExitUsage
}
