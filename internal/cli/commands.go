package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
)

// command is one subcommand.
type command struct {
	name    string
	summary string
	// role marks the commands that run one role of the fleet.
	role bool
	run  func(ctx context.Context, a *App, args []string) int
}

// commands lists the subcommands in the order help shows them. It is a
// function, not a package variable, so nothing in the package can change it.
func commands() []command {
	return []command{
		upCommand(),
		roleCommand("run", "run every role in a config file", false),
		roleCommand("lb", "run the edge load balancer", true),
		roleCommand("registrar", "run a registrar node", true),
		roleCommand("proxy", "run a proxy node", true),
		roleCommand("natping", "run the NAT keepalive sender", true),
		validateCommand(),
		dbCommand(),
		userCommand(),
		contactsCommand(),
		ctlCommand(),
		versionCommand(),
	}
}

func lookup(name string) (command, bool) {
	for _, c := range commands() {
		if c.name == name {
			return c, true
		}
	}
	return command{}, false
}

// newFlags makes a command's flag set, writing its usage to stderr.
func (a *App) newFlags(name, synopsis string) *flag.FlagSet {
	fs := flag.NewFlagSet("sipfleet "+name, flag.ContinueOnError)
	fs.SetOutput(a.Stderr)
	fs.Usage = func() {
		fmt.Fprintf(a.Stderr, "usage: sipfleet %s %s\n", name, synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses args and reports whether the command should go on; if
// not, code is its exit code: 0 after -h, 2 for a bad command line. No
// command takes positional arguments yet.
func parseFlags(fs *flag.FlagSet, args []string) (code int, ok bool) {
	switch err := fs.Parse(args); {
	case errors.Is(err, flag.ErrHelp):
		return ExitOK, false
	case err != nil:
		return ExitUsage, false
	case fs.NArg() > 0:
		fmt.Fprintf(fs.Output(), "%s: unexpected argument %q\n", fs.Name(), fs.Arg(0))
		fs.Usage()
		return ExitUsage, false
	}
	return ExitOK, true
}
