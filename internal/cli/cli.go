package cli

import (
	"cmp"
	"context"
	"fmt"
	"io"
)

// Exit codes of the sipfleet command.
const (
	ExitOK    = 0 // done
	ExitFail  = 1 // the command ran and failed, or found problems
	ExitUsage = 2 // the command line was wrong
)

// App is the sipfleet command line. Its outputs are fields, not os.Stdout
// and os.Stderr, so that tests can run commands in-process.
type App struct {
	// Version is the release, set at build time; empty means "dev".
	Version string
	Stdout  io.Writer
	Stderr  io.Writer
}

// Run runs one command line, without the program name, and returns the
// process exit code. ctx is cancelled when the process is asked to stop.
func (a *App) Run(ctx context.Context, args []string) int {
	if len(args) == 0 {
		a.usage(a.Stderr)
		return ExitUsage
	}
	name, rest := args[0], args[1:]
	switch name {
	case "help", "-h", "-help", "--help":
		return a.help(ctx, rest)
	}
	cmd, ok := lookup(name)
	if !ok {
		fmt.Fprintf(a.Stderr, "sipfleet: unknown command %q\n\n", name)
		a.usage(a.Stderr)
		return ExitUsage
	}
	return cmd.run(ctx, a, rest)
}

// help prints the overview, or one command's flags when named.
func (a *App) help(ctx context.Context, args []string) int {
	if len(args) == 0 {
		a.usage(a.Stdout)
		return ExitOK
	}
	cmd, ok := lookup(args[0])
	if !ok {
		fmt.Fprintf(a.Stderr, "sipfleet help: unknown command %q\n\n", args[0])
		a.usage(a.Stderr)
		return ExitUsage
	}
	return cmd.run(ctx, a, []string{"-h"})
}

func (a *App) usage(w io.Writer) {
	fmt.Fprint(w, `sipfleet runs a scalable SIP platform: an edge load balancer in front of
registrar and proxy federations that share one location database, and a
NAT keepalive sender.

Usage:
  sipfleet <command> [flags]

Commands:
`)
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-10s  %s\n", c.name, c.summary)
	}
	fmt.Fprint(w, `  help        show this help, or a command's flags: sipfleet help <command>

Exit status: 0 done, 1 failed or found problems, 2 bad usage.
`)
}

func (a *App) version() string {
	return cmp.Or(a.Version, "dev")
}
