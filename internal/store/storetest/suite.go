// Package storetest is the conformance suite of store.Store: every
// implementation, on every database engine, runs it and passes it. The
// cases cover the schema and its versions, saves, lookups and the expiry
// filter, atomic updates, concurrent saves of one binding through
// several nodes, the expiry sweep racing a refresh, NAT pinger
// pagination by partition, and subscribers.
package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/sipfleet/sipfleet/internal/store"
)

// Backend is one implementation on one engine.
type Backend struct {
	Name string
	// Fresh makes an empty database for one test, dropped when the test
	// ends, and gives a function that opens a store on it. Each call of
	// that function is another node, with the given server id; the
	// stores are closed when the test ends.
	Fresh func(t *testing.T) (open func(t *testing.T, serverID int) store.Store)
	// LaxLengths says that the engine does not enforce VARCHAR lengths
	// (SQLite), so that an over-long value does not fail a statement.
	LaxLengths bool
}

// env is what a case gets: a migrated store on a fresh database, a way
// to open more nodes on it, and a base time.
type env struct {
	t    *testing.T
	b    Backend
	s    store.Store
	open func(t *testing.T, serverID int) store.Store
	now  time.Time
	ctx  context.Context
}

// node opens another migrated store on the same database.
func (e *env) node(serverID int) store.Store {
	return e.open(e.t, serverID)
}

type testCase struct {
	name string
	// bare cases start on an empty database, not migrated.
	bare bool
	run  func(e *env)
}

func cases() []testCase {
	var all []testCase
	for _, group := range [][]testCase{schemaCases(), bindingCases(), concurrencyCases(), natedCases(), subscriberCases()} {
		all = append(all, group...)
	}
	return all
}

// Run runs every case against b, each on its own database.
func Run(t *testing.T, b Backend) {
	for _, c := range cases() {
		t.Run(c.name, func(t *testing.T) {
			open := b.Fresh(t)
			e := &env{t: t, b: b, open: open, now: time.Now().UTC().Truncate(time.Second), ctx: t.Context()}
			e.s = open(t, 1)
			if !c.bare {
				mustMigrate(t, e.s)
			}
			c.run(e)
		})
	}
}

func mustMigrate(t *testing.T, s store.Store) {
	t.Helper()
	if err := s.Migrate(t.Context()); err != nil {
		t.Fatalf("migrate: %v", err)
	}
}
