package sqlstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/sipfleet/sipfleet/internal/store"
	"github.com/sipfleet/sipfleet/internal/store/storetest"
)

// The servers the tests use, from the environment, as .ci/run sets them.
const (
	envMySQL    = "SIPFLEET_TEST_MYSQL"
	envPostgres = "SIPFLEET_TEST_POSTGRES"
)

// serverDSN gives the DSN of a server to test against. Without one the
// test is skipped, except in CI, where a missing server is a failure.
func serverDSN(tb testing.TB, env string) string {
	tb.Helper()
	dsn := os.Getenv(env)
	switch {
	case dsn != "":
		return dsn
	case os.Getenv("CI") != "":
		tb.Fatalf("%s is not set; CI must test against every engine", env)
	default:
		tb.Skipf("%s is not set", env)
	}
	return ""
}

// freshDSN makes an empty database for one test and gives its DSN; the
// database is dropped when the test ends. For SQLite it is a temporary
// file; for a server, a database named sf_test_<random> beside the one
// the environment names.
func freshDSN(tb testing.TB, engine string) string {
	tb.Helper()
	switch engine {
	case "sqlite":
		return "sqlite:" + filepath.Join(tb.TempDir(), "sipfleet.db")
	case "mysql":
		return serverDatabase(tb, serverDSN(tb, envMySQL), "DROP DATABASE IF EXISTS ")
	default:
		return serverDatabase(tb, serverDSN(tb, envPostgres), "DROP DATABASE IF EXISTS ")
	}
}

func serverDatabase(tb testing.TB, base, drop string) string {
	tb.Helper()
	admin := adminStore(tb, base)
	name := "sf_test_" + randomHex(6)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := admin.w.db.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		tb.Fatalf("create database %s: %v", name, err)
	}
	tb.Cleanup(func() {
		q := drop + name
		if admin.d == postgresDialect {
			q += " WITH (FORCE)"
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := admin.w.db.ExecContext(ctx, q); err != nil {
			tb.Errorf("drop database %s: %v", name, err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		tb.Fatal(err)
	}
	u.Path = "/" + name
	return u.String()
}

// adminStore opens the database the environment names, for creating and
// dropping test databases; it is closed when the test ends, after the
// drop.
func adminStore(tb testing.TB, dsn string) *Store {
	tb.Helper()
	s, err := Open(context.Background(), dsn, store.Options{MaxConns: 2, QueryTimeout: 10 * time.Second})
	if err != nil {
		tb.Fatalf("open %s: %v", dsn, err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// openStore opens a store on dsn for a test and closes it after.
// migratedStore opens a store on a fresh, migrated database of engine.
func migratedStore(t *testing.T, engine string) *Store {
	t.Helper()
	s := openStore(t, freshDSN(t, engine), store.Options{})
	if err := s.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	return s
}

func openStore(tb testing.TB, dsn string, opts store.Options) *Store {
	tb.Helper()
	if opts.QueryTimeout == 0 {
		opts.QueryTimeout = 10 * time.Second
	}
	s, err := Open(context.Background(), dsn, opts)
	if err != nil {
		tb.Fatalf("open: %v", err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

func backend(engine string) storetest.Backend {
	return storetest.Backend{
		Name:       engine,
		LaxLengths: engine == "sqlite",
		Fresh: func(t *testing.T) func(t *testing.T, serverID int) store.Store {
			dsn := freshDSN(t, engine)
			return func(t *testing.T, serverID int) store.Store {
				return openStore(t, dsn, store.Options{ServerID: serverID})
			}
		},
	}
}

var engines = []string{"sqlite", "mysql", "postgres"}

func TestConformance(t *testing.T) {
	for _, engine := range engines {
		t.Run(engine, func(t *testing.T) { storetest.Run(t, backend(engine)) })
	}
}
