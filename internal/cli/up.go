package cli

import (
	"context"
	"fmt"
	"strings"
)

func upCommand() command {
	return command{name: "up", summary: "run a whole small fleet in one process", pending: true, run: runUp}
}

// runUp will start every role in one process on an embedded SQLite
// database. Until the roles exist it says which are missing, so that the
// README's first command gives an honest answer on a fresh clone.
func runUp(_ context.Context, a *App, args []string) int {
	fs := a.newFlags("up", "")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	fmt.Fprintf(a.Stderr, "sipfleet up: the fleet cannot start yet; roles not yet built: %s\n",
		strings.Join(pendingRoles(), ", "))
	fmt.Fprintln(a.Stderr, "sipfleet up: the lb and the registrar run on their own (sipfleet lb|registrar --config FILE, examples/); see Status in README.md")
	return ExitUsage
}

func pendingRoles() []string {
	var names []string
	for _, c := range commands() {
		if c.role && c.pending {
			names = append(names, c.name)
		}
	}
	return names
}
