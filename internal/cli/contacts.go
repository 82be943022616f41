package cli

import (
	"cmp"
	"context"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/sipfleet/sipfleet/internal/store"
)

func contactsCommand() command {
	return command{name: "contacts", summary: "list the registered contacts, from the database", run: runContacts}
}

const contactsUsage = `usage: sipfleet contacts list (--db DSN | --config FILE) [--limit N] [AOR]

  list [AOR]    the bindings in the location table, of one AOR (user@domain,
                or user alone when the registrar is not multi-domain) or of
                all; expired bindings the sweep has not removed yet show as
                expired

To ask a running node instead, see sipfleet ctl contacts list.

Flags go before or after the subcommand:
`

func runContacts(ctx context.Context, a *App, args []string) int {
	fs, src := a.dbFlags("contacts", contactsUsage)
	limit := fs.Int("limit", 1000, "show at most `n` bindings")
	words, code, ok := parseInterspersed(fs, args)
	if !ok {
		return code
	}
	if len(words) == 0 || words[0] != "list" {
		return a.usageFail(fs, "contacts", words, "list")
	}
	if len(words) > 2 {
		fmt.Fprintf(a.Stderr, "sipfleet contacts list: unexpected argument %q\n", words[2])
		fs.Usage()
		return ExitUsage
	}
	var aor *store.AOR
	if len(words) == 2 {
		parsed := store.ParseAOR(words[1])
		aor = &parsed
	}
	s, code, ok := a.openDB(ctx, "contacts list", src)
	if !ok {
		return code
	}
	defer s.Close()
	bindings, err := s.List(ctx, aor, *limit)
	if err != nil {
		return a.fail("contacts list", err)
	}
	printBindings(a, bindings, time.Now())
	return ExitOK
}

func printBindings(a *App, bindings []store.Binding, now time.Time) {
	tw := tabwriter.NewWriter(a.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "AOR\tCONTACT\tEXPIRES IN\tRECEIVED\tPATH\tUSER AGENT\tINSTANCE")
	for _, b := range bindings {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", b.AOR, b.Contact, expiresIn(b, now),
			dash(b.Received), dash(b.Path), dash(b.UserAgent), dash(b.Instance))
	}
	tw.Flush()
}

// expiresIn says how long a binding has left, to the second.
func expiresIn(b store.Binding, now time.Time) string {
	switch {
	case b.Permanent():
		return "never"
	case !b.Live(now):
		return "expired"
	}
	return b.Expires.Sub(now).Round(time.Second).String()
}

func dash(s string) string { return cmp.Or(s, "-") }
