package cli_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sipfleet/sipfleet/internal/cli"
)

// tempDB gives the DSN of a new SQLite file.
func tempDB(t *testing.T) string {
	t.Helper()
	return "sqlite:" + filepath.Join(t.TempDir(), "sipfleet.db")
}

// configWith writes a config file whose section holds db.
func configWith(t *testing.T, section, db string) string {
	t.Helper()
	body := section + ":\n  db: " + db + "\n"
	if section == "natping" {
		body += "  source: 192.0.2.1:5060\n"
	} else {
		body += "listeners:\n  - name: udp\n    side: private\n    listen: 127.0.0.1:5060\n"
	}
	path := filepath.Join(t.TempDir(), "sipfleet.yaml")
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestDBMigrate(t *testing.T) {
	db := tempDB(t)
	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantStdout string
		wantStderr string
	}{
		{"migrate", []string{"db", "migrate", "--db", db}, cli.ExitOK, "ok: sqlite database, location 9, subscriber 7, dispatcher 4\n", ""},
		{"again", []string{"db", "--db", db, "migrate"}, cli.ExitOK, "ok: sqlite database", ""},
		{"from a registrar config", []string{"db", "migrate", "--config", configWith(t, "registrar", tempDB(t))}, cli.ExitOK, "ok: sqlite", ""},
		{"from a natping config", []string{"db", "migrate", "--config", configWith(t, "natping", tempDB(t))}, cli.ExitOK, "ok: sqlite", ""},
		{"config without a db", []string{"db", "migrate", "--config", "testdata/good.yaml"}, cli.ExitFail, "", "has no registrar, proxy or natping section"},
		{"no database", []string{"db", "migrate"}, cli.ExitUsage, "", "--db or --config is required"},
		{"both", []string{"db", "migrate", "--db", db, "--config", "x.yaml"}, cli.ExitUsage, "", "not both"},
		{"bad url", []string{"db", "migrate", "--db", "oracle://x/y"}, cli.ExitUsage, "", "the scheme must be sqlite, mysql or postgres"},
		{"no subcommand", []string{"db", "--db", db}, cli.ExitUsage, "", "missing subcommand: migrate"},
		{"unknown subcommand", []string{"db", "drop", "--db", db}, cli.ExitUsage, "", `unknown subcommand "drop"`},
		{"unreachable", []string{"db", "migrate", "--timeout", "2s", "--db", "mysql://root:pw@127.0.0.1:1/x"}, cli.ExitFail, "", "database unavailable"},
		{"help", []string{"help", "db"}, cli.ExitOK, "", "usage: sipfleet db migrate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := run(t, "", tt.args...)
			if code != tt.wantCode || !strings.HasPrefix(out, tt.wantStdout) || !strings.Contains(errOut, tt.wantStderr) {
				t.Errorf("exit %d, stdout %q, stderr %q; want %d, %q, %q", code, out, errOut, tt.wantCode, tt.wantStdout, tt.wantStderr)
			}
			if strings.Contains(errOut, ":pw@") {
				t.Errorf("stderr quotes the password: %q", errOut)
			}
		})
	}
}
