package sqlstore

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sipfleet/sipfleet/internal/store"
)

func TestSQLitePath(t *testing.T) {
	tests := []struct{ dsn, path, err string }{
		{"sqlite:./sipfleet.db", "./sipfleet.db", ""},
		{"sqlite:data/sipfleet.db", "data/sipfleet.db", ""},
		{"sqlite:/var/lib/sipfleet.db", "/var/lib/sipfleet.db", ""},
		{"sqlite:///var/lib/sipfleet.db", "/var/lib/sipfleet.db", ""},
		{"sqlite://host/sipfleet.db", "", "not a host"},
		{"sqlite:", "", "needs a file path"},
		{"sqlite:x.db?mode=ro", "", "takes no parameters"},
	}
	for _, tt := range tests {
		t.Run(tt.dsn, func(t *testing.T) {
			u := mustParse(t, tt.dsn)
			path, err := sqlitePath(u)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error %v; want one saying %q", err, tt.err)
				}
				return
			}
			if err != nil || path != tt.path {
				t.Errorf("path %q, %v; want %q", path, err, tt.path)
			}
		})
	}
}

// TestOpenErrors checks that a bad DSN is refused before anything is
// dialled, and that no error quotes the password.
func TestOpenErrors(t *testing.T) {
	tests := []struct{ dsn, want string }{
		{"mysql://root:s3cret@127.0.0.1:1", "needs a host and a database"},
		{"mysql://root:s3cret@127.0.0.1:1/db?tls=maybe", "bad mysql parameters"},
		{"oracle://root:s3cret@host/db", "scheme must be"},
		{"postgres://root:s3cret@127.0.0.1:1/db?sslmode=bogus", "bad postgres"},
		{"::s3cret", "not a URL"},
		{"mysql://root:s3cret@127.0.0.1:1/db", "unavailable"}, // nothing listens on port 1
		{"postgres://root:s3cret@127.0.0.1:1/db", "unavailable"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			s, err := Open(context.Background(), tt.dsn, store.Options{})
			if err == nil {
				s.Close()
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), "s3cret") {
				t.Errorf("error %q; want one saying %q, without the password", err, tt.want)
			}
		})
	}
}

func TestOpenSQLiteSettings(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, "sqlite:"+filepath.Join(dir, "x.db"), store.Options{})
	var mode string
	if err := s.w.db.QueryRowContext(t.Context(), "PRAGMA journal_mode").Scan(&mode); err != nil || mode != "wal" {
		t.Errorf("journal mode %q, %v; want wal", mode, err)
	}
	if _, err := s.r.db.ExecContext(t.Context(), "CREATE TABLE t (x)"); err == nil {
		t.Error("the read pool can write")
	}
	if n := s.w.db.Stats().MaxOpenConnections; n != 1 {
		t.Errorf("%d writer connections; want 1", n)
	}
}
