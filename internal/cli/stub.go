package cli

import (
	"context"
	"fmt"

	"github.com/sipfleet/sipfleet/internal/config"
)

// stubCommand stands for a command whose issue is still open. It already
// takes the flags the real command will, so that a config can be checked
// and the logger built, then says it is not built and exits 2. When a role
// is built, its own file replaces its stubCommand line in commands().
func stubCommand(name, summary string, role bool) command {
	return command{
		name:    name,
		summary: summary,
		role:    role,
		pending: true,
		run: func(ctx context.Context, a *App, args []string) int {
			return a.runStub(ctx, name, args)
		},
	}
}

func (a *App) runStub(_ context.Context, name string, args []string) int {
	fs := a.newFlags(name, "[--config FILE] [--log-level LEVEL]")
	path := fs.String("config", "", "the config `file`")
	level := fs.String("log-level", "", "log `level`: debug, info, warn or error; overrides log.level")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	var cfg config.Config
	if *path != "" {
		loaded, err := a.loadConfig(name, *path)
		if err != nil {
			return ExitFail
		}
		cfg = *loaded
	}
	log, err := newLogger(a.Stderr, cfg.Log, *level)
	if err != nil {
		fmt.Fprintf(a.Stderr, "sipfleet %s: %v\n", name, err)
		return ExitUsage
	}
	log.Debug("config loaded", "file", *path, "listeners", len(cfg.Listeners))
	fmt.Fprintf(a.Stderr, "sipfleet %s: not yet implemented\n", name)
	return ExitUsage
}
