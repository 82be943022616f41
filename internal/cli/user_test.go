package cli_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sipfleet/sipfleet/internal/cli"
	"github.com/sipfleet/sipfleet/internal/store"
	"github.com/sipfleet/sipfleet/internal/store/sqlstore"
)

// migrated gives the DSN of a new SQLite file with the tables made.
func migrated(t *testing.T) string {
	t.Helper()
	db := tempDB(t)
	if code, _, errOut := run(t, "", "db", "migrate", "--db", db); code != cli.ExitOK {
		t.Fatalf("db migrate: %s", errOut)
	}
	return db
}

// openDB opens the test's database to look at what a command did.
func openDB(t *testing.T, dsn string) *sqlstore.Store {
	t.Helper()
	s, err := sqlstore.Open(context.Background(), dsn, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// TestUser runs the user commands in order on one database.
func TestUser(t *testing.T) {
	db := migrated(t)
	pwFile := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(pwFile, []byte("from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		name       string
		args       []string
		wantCode   int
		wantStdout string
		wantStderr string
	}{
		{"add", []string{"user", "add", "--db", db, "alice@example.com", "s3cret"}, cli.ExitOK, "added alice@example.com\n", ""},
		{"add again", []string{"user", "add", "--db", db, "alice@example.com", "other"}, cli.ExitFail, "", "alice@example.com exists"},
		{"add hashes only", []string{"user", "add", "--no-plain-password", "--db", db, "bob@example.org", "hunter2"}, cli.ExitOK, "added bob@example.org\n", ""},
		{"add from a file", []string{"user", "add", "--db", db, "--password-file", pwFile, "carol@example.com"}, cli.ExitOK, "added carol@example.com\n", ""},
		{"list", []string{"user", "list", "--db", db}, cli.ExitOK,
			"USER   DOMAIN       PASSWORD\nalice  example.com  stored\ncarol  example.com  stored\nbob    example.org  hashes only\n", ""},
		{"list a domain", []string{"user", "list", "--domain", "example.org", "--db", db}, cli.ExitOK,
			"USER  DOMAIN       PASSWORD\nbob   example.org  hashes only\n", ""},
		{"passwd", []string{"user", "passwd", "--db", db, "alice@example.com", "n3w"}, cli.ExitOK, "changed the password of alice@example.com\n", ""},
		{"passwd of nobody", []string{"user", "passwd", "--db", db, "zed@example.com", "x"}, cli.ExitFail, "", "zed@example.com: no such user"},
		{"del", []string{"user", "del", "--db", db, "carol@example.com"}, cli.ExitOK, "", ""},
		{"del again", []string{"user", "del", "--db", db, "carol@example.com"}, cli.ExitFail, "", "carol@example.com: no such user"},
		{"no domain", []string{"user", "add", "--db", db, "alice", "pw"}, cli.ExitUsage, "", "want USER@DOMAIN"},
		{"no password", []string{"user", "add", "--db", db, "dave@example.com"}, cli.ExitFail, "", "give the password, or --password-file"},
		{"too many", []string{"user", "del", "--db", db, "a@b", "c"}, cli.ExitUsage, "", "wrong number of arguments"},
		{"unknown", []string{"user", "rename", "--db", db}, cli.ExitUsage, "", `unknown subcommand "rename"`},
	}
	for _, st := range steps {
		code, out, errOut := run(t, "", st.args...)
		if code != st.wantCode || out != st.wantStdout && st.wantStdout != "" || !strings.Contains(errOut, st.wantStderr) {
			t.Errorf("%s: exit %d, stdout %q, stderr %q; want %d, %q, %q", st.name, code, out, errOut, st.wantCode, st.wantStdout, st.wantStderr)
		}
	}
	s := openDB(t, db)
	want := map[string]store.Subscriber{
		"alice": store.NewSubscriber(store.AOR{User: "alice", Domain: "example.com"}, "n3w", true),
		"bob":   store.NewSubscriber(store.AOR{User: "bob", Domain: "example.org"}, "hunter2", false),
	}
	for user, w := range want {
		got, err := s.Get(t.Context(), user, w.Domain)
		if err != nil || got != w {
			t.Errorf("%s stored as %+v, %v; want %+v", user, got, err, w)
		}
	}
}
