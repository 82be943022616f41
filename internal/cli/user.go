package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/sipfleet/sipfleet/internal/store"
)

func userCommand() command {
	return command{name: "user", summary: "add, change, remove or list the users that may register", run: runUser}
}

const userUsage = `usage: sipfleet user <subcommand> (--db DSN | --config FILE) [flags]

  add USER@DOMAIN [PASSWORD]      add a user; the digest realm is DOMAIN
  passwd USER@DOMAIN [PASSWORD]   change a user's password
  del USER@DOMAIN                 remove a user
  list [--domain DOMAIN]          list the users, of one domain or all

The password comes from the command line or from --password-file. The
subscriber table keeps Kamailio's MD5 hashes (ha1, ha1b) and, unless
--no-plain-password, the password itself, as Kamailio does: digest with
SHA-256 (RFC 7616) needs it, since the table has no column for its hash.
A user stored without it can authenticate with MD5 only.

Flags go before or after the subcommand:
`

// userArgs are the fewest and most arguments of each subcommand.
var userArgs = map[string][2]int{"add": {1, 2}, "passwd": {1, 2}, "del": {1, 1}, "list": {0, 0}}

// userCmd holds the flags of one user command line.
type userCmd struct {
	a            *App
	src          *dbSource
	domain       string
	passwordFile string
	noPlain      bool
}

func runUser(ctx context.Context, a *App, args []string) int {
	fs, src := a.dbFlags("user", userUsage)
	u := &userCmd{a: a, src: src}
	fs.StringVar(&u.domain, "domain", "", "list: only the users of this `domain`")
	fs.StringVar(&u.passwordFile, "password-file", "", "add, passwd: read the password from this `file` (- for standard input) instead of the command line, where other users of the host can see it")
	fs.BoolVar(&u.noPlain, "no-plain-password", false, "add, passwd: keep only the MD5 hashes, not the password (no SHA-256 digest for this user)")
	words, code, ok := parseInterspersed(fs, args)
	if !ok {
		return code
	}
	if len(words) == 0 {
		return a.usageFail(fs, "user", words, "add, passwd, del or list")
	}
	sub, rest := words[0], words[1:]
	n, known := userArgs[sub]
	if !known {
		return a.usageFail(fs, "user", words, "add, passwd, del or list")
	}
	if len(rest) < n[0] || len(rest) > n[1] {
		fmt.Fprintf(a.Stderr, "sipfleet user %s: wrong number of arguments\n", sub)
		fs.Usage()
		return ExitUsage
	}
	return u.run(ctx, sub, rest)
}

func (u *userCmd) run(ctx context.Context, sub string, args []string) int {
	cmd := "user " + sub
	var aor store.AOR
	if sub != "list" {
		var ok bool
		if aor, ok = u.aor(cmd, args[0]); !ok {
			return ExitUsage
		}
	}
	password, ok := u.password(cmd, sub, args)
	if !ok {
		return ExitFail
	}
	s, code, ok := u.a.openDB(ctx, cmd, u.src)
	if !ok {
		return code
	}
	defer s.Close()
	var err error
	switch sub {
	case "add", "passwd":
		err = u.save(ctx, s, sub, aor, password)
	case "del":
		err = s.Delete(ctx, aor.User, aor.Domain)
	case "list":
		err = u.list(ctx, s)
	}
	if errors.Is(err, store.ErrNotFound) {
		err = fmt.Errorf("%s: no such user", aor)
	}
	if err != nil {
		return u.a.fail(cmd, err)
	}
	return ExitOK
}

// aor reads USER@DOMAIN; the domain is the digest realm, so it is needed.
func (u *userCmd) aor(cmd, s string) (store.AOR, bool) {
	aor := store.ParseAOR(s)
	if aor.User == "" || aor.Domain == "" {
		fmt.Fprintf(u.a.Stderr, "sipfleet %s: want USER@DOMAIN, not %q\n", cmd, s)
		return aor, false
	}
	return aor, true
}

// maxPassword bounds what --password-file reads.
const maxPassword = 4096

// password takes the password of add and passwd from the command line or
// from --password-file, without its final newline.
func (u *userCmd) password(cmd, sub string, args []string) (string, bool) {
	if sub != "add" && sub != "passwd" {
		return "", true
	}
	switch {
	case len(args) == 2 && u.passwordFile != "":
		fmt.Fprintf(u.a.Stderr, "sipfleet %s: give the password or --password-file, not both\n", cmd)
		return "", false
	case len(args) == 2:
		return args[1], true
	case u.passwordFile == "":
		fmt.Fprintf(u.a.Stderr, "sipfleet %s: give the password, or --password-file\n", cmd)
		return "", false
	}
	var data []byte
	var err error
	if u.passwordFile == "-" {
		data, err = io.ReadAll(io.LimitReader(os.Stdin, maxPassword))
	} else {
		data, err = os.ReadFile(u.passwordFile)
	}
	if err != nil {
		fmt.Fprintf(u.a.Stderr, "sipfleet %s: read password: %v\n", cmd, err)
		return "", false
	}
	p := strings.TrimRight(string(data), "\r\n")
	if p == "" {
		fmt.Fprintf(u.a.Stderr, "sipfleet %s: the password file is empty\n", cmd)
		return "", false
	}
	return p, true
}

func (u *userCmd) save(ctx context.Context, subs store.Subscribers, sub string, aor store.AOR, password string) error {
	_, err := subs.Get(ctx, aor.User, aor.Domain)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	switch exists := err == nil; {
	case sub == "add" && exists:
		return fmt.Errorf("%s exists; change its password with sipfleet user passwd", aor)
	case sub == "passwd" && !exists:
		return store.ErrNotFound
	}
	if err := subs.Put(ctx, store.NewSubscriber(aor, password, !u.noPlain)); err != nil {
		return err
	}
	verb := map[string]string{"add": "added", "passwd": "changed the password of"}[sub]
	fmt.Fprintf(u.a.Stdout, "%s %s\n", verb, aor)
	return nil
}

func (u *userCmd) list(ctx context.Context, subs store.Subscribers) error {
	all, err := subs.ListSubscribers(ctx, u.domain)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(u.a.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "USER\tDOMAIN\tPASSWORD")
	for _, s := range all {
		kept := "stored"
		if s.Password == "" {
			kept = "hashes only"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", s.User, s.Domain, kept)
	}
	return tw.Flush()
}
