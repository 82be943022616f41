package sqlstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sipfleet/sipfleet/internal/testenv"

	"github.com/sipfleet/sipfleet/internal/store"
)

// syncBuffer is a log sink safe for the store's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) count(sub string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return strings.Count(s.b.String(), sub)
}

// TestOutage takes the database away behind a proxy, twice: once as a
// server that is down (connections refused) and once as a cut network
// (connections that never answer). Each time the store must fail with
// ErrUnavailable within its timeout, log the outage once, and work again
// once the database is back, on new connections with its statements
// prepared again, without being reopened.
func TestOutage(t *testing.T) {
	for _, engine := range []string{"mysql", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			dsn := freshDSN(t, engine)
			openStore(t, dsn, store.Options{}).Migrate(t.Context())
			u, _ := url.Parse(dsn)
			proxy := testenv.StartTCPProxy(t, netip.MustParseAddr("127.0.0.1"), u.Host)
			u.Host = proxy.Addr()
			var logs syncBuffer
			const timeout = time.Second
			s := openStore(t, u.String(), store.Options{ServerID: 1, MaxConns: 4, QueryTimeout: timeout,
				Logger: slog.New(slog.NewTextHandler(&logs, nil))})
			register(t, s, 0)
			for i, mode := range []testenv.ProxyMode{testenv.ProxyRefuse, testenv.ProxyBlackhole} {
				proxy.Set(mode)
				for _, op := range []string{"bindings", "update"} {
					start := time.Now()
					var err error
					if op == "bindings" {
						_, err = s.Bindings(t.Context(), store.AOR{User: "alice"}, time.Now())
					} else {
						err = s.Update(t.Context(), store.AOR{User: "alice"}, []store.Binding{{AOR: store.AOR{User: "alice"}, Contact: "sip:a@x"}}, nil)
					}
					if took := time.Since(start); !errors.Is(err, store.ErrUnavailable) || took > timeout+time.Second {
						t.Fatalf("mode %d, %s with the database away: %v after %v; want ErrUnavailable within %v", mode, op, err, took, timeout)
					}
				}
				if s.Stats().Available {
					t.Error("stats say available during the outage")
				}
				proxy.Set(testenv.ProxyForward)
				recovered(t, s, i+1)
				if !s.Stats().Available {
					t.Error("stats say unavailable after recovery")
				}
			}
			if down, up := logs.count("database unavailable"), logs.count("database available again"); down != 2 || up != 2 {
				t.Errorf("logged %d outages and %d recoveries; want 2 and 2:\n%s", down, up, logs.b.String())
			}
		})
	}
}

// TestTerminatedConnections kills every connection of the store on the
// PostgreSQL side, as a failover or an administrator would: the store
// sends its statements again on new connections, and at most the first
// call fails, with ErrUnavailable.
func TestTerminatedConnections(t *testing.T) {
	dsn := freshDSN(t, "postgres")
	s := openStore(t, dsn, store.Options{MaxConns: 4, QueryTimeout: 2 * time.Second})
	if err := s.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	admin := adminStore(t, serverDSN(t, envPostgres))
	for round := range 3 {
		register(t, s, round)
		name := strings.TrimPrefix(mustParse(t, dsn).Path, "/")
		res, err := admin.w.db.ExecContext(t.Context(),
			`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1`, name)
		if err != nil {
			t.Fatal(err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			t.Fatal("no connection to terminate")
		}
		err = registerErr(t.Context(), s, round+1)
		if err != nil && !errors.Is(err, store.ErrUnavailable) {
			t.Fatalf("round %d: first call after the kill: %v; want success or ErrUnavailable", round, err)
		}
		register(t, s, round+1)
	}
	if st := s.Stats(); st.Retries == 0 {
		t.Errorf("stats %+v: no retries counted", st)
	}
}

func mustParse(t *testing.T, s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// registerErr does what a registrar's batch of REGISTER refreshes does:
// read the bindings of alice and bob, then save one of each. Once the
// first has saved them, a read that finds none is an error: a read sent
// again after a lost connection must read everything again.
func registerErr(ctx context.Context, s *Store, cseq int) error {
	aors := []store.AOR{{User: "alice"}, {User: "bob"}}
	cur, err := s.BindingsOf(ctx, aors, time.Now())
	if err != nil {
		return err
	}
	var changes []store.Change
	for i, aor := range aors {
		b := store.Binding{AOR: aor, Contact: "sip:" + aor.User + "@192.0.2.4", Expires: time.Now().Add(time.Hour), CSeq: cseq, Q: store.QUnset}
		switch {
		case len(cur[i]) > 0:
			b.ID = cur[i][0].ID
		case cseq > 0:
			return fmt.Errorf("%s: no binding read", aor)
		}
		changes = append(changes, store.Change{AOR: aor, Put: []store.Binding{b}})
	}
	return s.UpdateAll(ctx, changes)
}

func register(t *testing.T, s *Store, cseq int) {
	t.Helper()
	if err := registerErr(t.Context(), s, cseq); err != nil {
		t.Fatalf("register: %v", err)
	}
}

// recovered registers until it works, within a deadline: the store must
// come back by itself, but its first attempt may still meet a connection
// the outage left behind, on a loaded machine past the query timeout.
func recovered(t *testing.T, s *Store, cseq int) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		err := registerErr(t.Context(), s, cseq)
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("register after the database came back: %v", err)
		}
		<-tick.C
	}
}
