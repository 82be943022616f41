package cli

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/sipfleet/sipfleet/internal/config"
	"github.com/sipfleet/sipfleet/internal/node"
)

// roleCommand runs the roles of a config file: one role (lb, registrar,
// ...) or all of them (run). Its flags are those of the stubs.
func roleCommand(name, summary string, role bool) command {
	return command{
		name: name, summary: summary, role: role,
		run: func(ctx context.Context, a *App, args []string) int { return a.serve(ctx, name, args) },
	}
}

// shutdownGrace bounds a graceful stop: in-flight transactions get this
// long to finish before the sockets close.
const shutdownGrace = 10 * time.Second

func (a *App) serve(ctx context.Context, name string, args []string) int {
	fs := a.newFlags(name, "--config FILE [--log-level LEVEL]")
	path := fs.String("config", "", "the config `file`")
	level := fs.String("log-level", "", "log `level`: debug, info, warn or error; overrides log.level")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if *path == "" {
		fmt.Fprintf(a.Stderr, "sipfleet %s: --config is required\n", name)
		return ExitUsage
	}
	cfg, err := a.loadConfig(name, *path)
	if err != nil {
		return ExitFail
	}
	if name != "run" && !hasRole(name, cfg) {
		fmt.Fprintf(a.Stderr, "sipfleet %s: %s has no %s section\n", name, *path, name)
		return ExitFail
	}
	log, err := newLogger(a.Stderr, cfg.Log, *level)
	if err != nil {
		fmt.Fprintf(a.Stderr, "sipfleet %s: %v\n", name, err)
		return ExitUsage
	}
	opt := node.Options{Logger: log, Version: a.version(), ConfigPath: *path}
	if name != "run" {
		opt.Roles = []string{name} // a whole-fleet file runs only this role here
	}
	n, err := node.New(cfg, opt)
	if err == nil {
		err = n.Start(ctx)
	}
	if err != nil {
		log.Error("cannot start", "err", err)
		return ExitFail
	}
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	for {
		select {
		case <-hup:
			if err := n.Reload(ctx); err != nil {
				log.Error("reload failed; the running config stays", "err", err)
			} else {
				log.Info("reloaded", "config", *path)
			}
		case <-ctx.Done():
			log.Info("shutting down", "grace", shutdownGrace)
			sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
			defer cancel()
			if err := n.Shutdown(sctx); err != nil {
				log.Error("shutdown", "err", err)
				return ExitFail
			}
			return ExitOK
		}
	}
}

// hasRole reports whether cfg has the section of role name.
func hasRole(name string, cfg *config.Config) bool {
	switch name {
	case "lb":
		return cfg.LB != nil
	case "registrar":
		return cfg.Registrar != nil
	case "proxy":
		return cfg.Proxy != nil
	case "natping":
		return cfg.NATPing != nil
	}
	return false
}
