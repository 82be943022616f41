package storetest

import (
	"maps"
	"sync"

	"github.com/sipfleet/sipfleet/internal/store"
)

// wantVersions are Kamailio 5.6's table versions.
var wantVersions = map[string]int{"version": 1, "location": 9, "subscriber": 7, "dispatcher": 4, "sipfleet_nonce": 1}

func schemaCases() []testCase {
	return []testCase{
		{"migrate twice", true, func(e *env) {
			for i := range 2 {
				if err := e.s.Migrate(e.ctx); err != nil {
					e.t.Fatalf("migrate %d: %v", i+1, err)
				}
				checkVersions(e, e.s)
			}
		}},
		{"migrate from two nodes at once", true, func(e *env) {
			nodes := []store.Store{e.node(2), e.node(3)}
			var wg sync.WaitGroup
			errs := make([]error, len(nodes))
			for i, n := range nodes {
				wg.Go(func() { errs[i] = n.Migrate(e.ctx) })
			}
			wg.Wait()
			for i, err := range errs {
				if err != nil {
					e.t.Errorf("node %d: migrate: %v", i+2, err)
				}
			}
			checkVersions(e, e.s)
		}},
		{"ping and stats", false, func(e *env) {
			if err := e.s.Ping(e.ctx); err != nil {
				e.t.Fatalf("ping: %v", err)
			}
			if st := e.s.Stats(); !st.Available || st.Ops == 0 || st.OpenConns == 0 {
				e.t.Errorf("stats after a ping: %+v; want available, ops and an open connection", st)
			}
		}},
	}
}

func checkVersions(e *env, s store.Store) {
	e.t.Helper()
	got, err := s.SchemaVersions(e.ctx)
	if err != nil {
		e.t.Fatalf("schema versions: %v", err)
	}
	if !maps.Equal(got, wantVersions) {
		e.t.Errorf("versions %v; want %v", got, wantVersions)
	}
}
