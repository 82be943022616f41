package sqlstore

import (
	"fmt"
	"testing"
	"time"

	"github.com/sipfleet/sipfleet/internal/store"
)

// TestStatementsPerOperation pins the statement counts the package doc
// gives.
func TestStatementsPerOperation(t *testing.T) {
	for _, engine := range engines {
		t.Run(engine, func(t *testing.T) {
			s, ctx := migratedStore(t, engine), t.Context()
			aor := store.AOR{User: "alice", Domain: "example.com"}
			now := time.Now()
			b := store.Binding{AOR: aor, Contact: "sip:alice@192.0.2.4", Expires: now.Add(time.Hour)}
			var cur []store.Binding
			steps := []struct {
				name string
				want uint64
				do   func() error
			}{
				{"lookup", 1, func() (err error) { cur, err = s.Bindings(ctx, aor, now); return err }},
				{"new binding", 1, func() error { return s.Update(ctx, aor, []store.Binding{b}, nil) }},
				{"lookup again", 1, func() (err error) { cur, err = s.Bindings(ctx, aor, now); return err }},
				{"refresh", 1, func() error { return s.Update(ctx, aor, cur, nil) }},
				{"unbind", 1, func() error { return s.Update(ctx, aor, nil, []string{cur[0].RUID}) }},
				{"refresh of a row gone", map[bool]uint64{true: 2, false: 1}[engine == "postgres"], func() error { return s.Update(ctx, aor, cur, nil) }},
				{"two changes", map[bool]uint64{true: 5, false: 4}[engine == "postgres"], func() error {
					c := b
					c.Contact = "sip:alice@192.0.2.5"
					return s.Update(ctx, aor, []store.Binding{c}, []string{cur[0].RUID})
				}},
				{"three aors read at once", 1, func() error {
					_, err := s.BindingsOf(ctx, []store.AOR{aor, {User: "bob"}, {User: "carol", Domain: "example.com"}}, now)
					return err
				}},
				{"three aors saved at once", 1, func() error {
					var cs []store.Change
					for _, u := range []string{"dave", "erin", "frank"} {
						a := store.AOR{User: u, Domain: "example.com"}
						cs = append(cs, store.Change{AOR: a, Put: []store.Binding{{AOR: a, Contact: "sip:" + u + "@192.0.2.4", Expires: now.Add(time.Hour)}}})
					}
					return s.UpdateAll(ctx, cs)
				}},
				{"three aors saved at once with their nonces' first counts", 4, func() error {
					// BEGIN, the nonces' insert, the bindings' upsert, COMMIT.
					var cs []store.Change
					for i, u := range []string{"gina", "hank", "ivy"} {
						a := store.AOR{User: u, Domain: "example.com"}
						use := store.NonceUse{ID: uint64(0x900 + i), NC: 1, Expires: now.Add(time.Minute)}
						cs = append(cs, store.Change{AOR: a, Nonce: &use,
							Put: []store.Binding{{AOR: a, Contact: "sip:" + u + "@192.0.2.4", Expires: now.Add(time.Hour)}}})
					}
					return s.UpdateAll(ctx, cs)
				}},
				{"three subscribers read at once", 1, func() error {
					_, _, err := s.GetAll(ctx, []store.AOR{aor, {User: "bob", Domain: "example.com"}, {User: "carol", Domain: "example.com"}})
					return err
				}},
				{"expire", 1, func() error { _, err := s.Expire(ctx, now, 100); return err }},
				{"get subscriber", 1, func() error { _, err := s.Get(ctx, "alice", "example.com"); return ignoreNotFound(err) }},
			}
			for _, st := range steps {
				before := s.Stats().Statements
				if err := st.do(); err != nil {
					t.Fatalf("%s: %v", st.name, err)
				}
				if got := s.Stats().Statements - before; got != st.want {
					t.Errorf("%s: %d statements; want %d", st.name, got, st.want)
				}
			}
		})
	}
}

func ignoreNotFound(err error) error {
	if err == store.ErrNotFound {
		return nil
	}
	return err
}

// TestEachChunk pins the row counts multi-row writes use: below rowStep
// or a multiple of it, at most maxRows, covering every row once.
func TestEachChunk(t *testing.T) {
	for _, tt := range []struct {
		n    int
		want string
	}{{0, "[]"}, {1, "[1]"}, {8, "[8]"}, {13, "[8 5]"}, {32, "[32]"}, {63, "[56 7]"}, {64, "[64]"}, {150, "[64 64 16 6]"}} {
		var got []int
		next := 0
		each(tt.n, func(i, j int) {
			if i != next {
				t.Errorf("n=%d: chunk starts at %d; want %d", tt.n, i, next)
			}
			got, next = append(got, j-i), j
		})
		if fmt.Sprint(got) != tt.want || next != tt.n {
			t.Errorf("n=%d: chunks %v covering %d; want %s", tt.n, got, next, tt.want)
		}
	}
}
