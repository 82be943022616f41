package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sipfleet/sipfleet/internal/store"
)

// TestAdvanceNonce: counts only go up, a replay is refused, and two
// "nodes" racing on the same count accept it once.
func TestAdvanceNonce(t *testing.T) {
	for _, engine := range []string{"sqlite", "mysql", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			a, b := twoNodes(t, engine)
			ctx := context.Background()
			exp := time.Now().Add(time.Minute).UTC().Truncate(time.Second)
			steps := []struct {
				s    *Store
				nc   uint32
				want bool
			}{{a, 1, true}, {a, 1, false}, {b, 1, false}, {b, 2, true}, {a, 2, false}, {a, 5, true}, {b, 4, false}}
			for i, st := range steps {
				ok, err := st.s.AdvanceNonce(ctx, 0xfeed, st.nc, exp)
				if err != nil || ok != st.want {
					t.Fatalf("step %d nc=%d: %v %v, want %v", i, st.nc, ok, err, st.want)
				}
			}
			var wins atomic.Int32
			var wg sync.WaitGroup
			for i := range 8 {
				wg.Add(1)
				go func(s *Store) {
					defer wg.Done()
					if ok, err := s.AdvanceNonce(ctx, 0xbeef, 1, exp); err == nil && ok {
						wins.Add(1)
					}
				}([]*Store{a, b}[i%2])
			}
			wg.Wait()
			if wins.Load() != 1 {
				t.Fatalf("%d nodes accepted the same count", wins.Load())
			}
			if n, err := a.ExpireNonces(ctx, exp.Add(time.Second)); err != nil || n != 2 {
				t.Fatalf("expired %d, %v", n, err)
			}
		})
	}
}

// TestAdvanceNonces: a batch decides its uses in order, as one at a time
// would, and batches racing on two nodes accept each count of each
// nonce once.
func TestAdvanceNonces(t *testing.T) {
	for _, engine := range engines {
		t.Run(engine, func(t *testing.T) {
			a, b := twoNodes(t, engine)
			ctx := t.Context()
			exp := time.Now().Add(time.Minute).UTC().Truncate(time.Second)
			if ok, err := a.AdvanceNonce(ctx, 0x10, 3, exp); !ok || err != nil {
				t.Fatalf("setup: %v %v", ok, err)
			}
			uses := []store.NonceUse{nonceUse(0x10, 3, exp), nonceUse(0x10, 4, exp), nonceUse(0x11, 1, exp), nonceUse(0x11, 1, exp), nonceUse(0x12, 2, exp), nonceUse(0x11, 2, exp), nonceUse(0x10, 4, exp)}
			got, err := a.AdvanceNonces(ctx, uses)
			if err != nil {
				t.Fatal(err)
			}
			if want := []bool{false, true, true, false, true, true, false}; fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("batch: %v; want %v", got, want)
			}
			for _, u := range []store.NonceUse{nonceUse(0x10, 4, exp), nonceUse(0x11, 2, exp), nonceUse(0x12, 2, exp)} {
				if ok, err := b.AdvanceNonce(ctx, u.ID, u.NC, exp); ok || err != nil {
					t.Errorf("nonce %x count %d again on the other node: %v %v; want a refusal", u.ID, u.NC, ok, err)
				}
			}
			// Batches of the same 6 nonces, counts 1 to 3, on two nodes.
			var wins [6][4]atomic.Int32
			var wg sync.WaitGroup
			errs := make(chan error, 8)
			for w := range 8 {
				s := []*Store{a, b}[w%2]
				wg.Go(func() {
					var batch []store.NonceUse
					for i := range 6 {
						batch = append(batch, nonceUse(uint64(0x100+(i+w)%6), uint32(1+(i+w)%3), exp))
					}
					ok, err := s.AdvanceNonces(ctx, batch)
					if err != nil {
						errs <- err
						return
					}
					for i, u := range batch {
						if ok[i] {
							wins[u.ID-0x100][u.NC].Add(1)
						}
					}
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Error(err)
			}
			for id := range wins {
				for nc := 1; nc <= 3; nc++ {
					if n := wins[id][nc].Load(); n > 1 {
						t.Errorf("nonce %x count %d accepted %d times", 0x100+id, nc, n)
					}
				}
			}
			// First uses, as REGISTERs under load bring them: batches of
			// new nonces from two nodes at once must not fail (MySQL's gap
			// locks deadlocked them under REPEATABLE READ).
			errs = make(chan error, 40)
			for w := range 8 {
				s := []*Store{a, b}[w%2]
				wg.Go(func() {
					for r := range 5 {
						var batch []store.NonceUse
						for i := range 32 {
							batch = append(batch, nonceUse(uint64(0x1000000+(r*8+w)*32+i*7919), 1, exp))
						}
						if _, err := s.AdvanceNonces(ctx, batch); err != nil {
							errs <- err
						}
					}
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Errorf("first uses: %v", err)
			}
		})
	}
}

func nonceUse(id uint64, nc uint32, exp time.Time) store.NonceUse {
	return store.NonceUse{ID: id, NC: nc, Expires: exp}
}

// TestUpdateAllCounted: changes that carry nonce uses are written with
// their counts in one transaction; a change whose count was used before
// is left out and named, the rest are written, and two nodes racing on
// one count write one change.
func TestUpdateAllCounted(t *testing.T) {
	for _, engine := range engines {
		t.Run(engine, func(t *testing.T) {
			a, b := twoNodes(t, engine)
			ctx := t.Context()
			now := time.Now().UTC().Truncate(time.Second)
			exp := now.Add(time.Minute)
			if ok, err := a.AdvanceNonce(ctx, 0x20, 1, exp); !ok || err != nil {
				t.Fatalf("setup: %v %v", ok, err)
			}
			aor := func(u string) store.AOR { return store.AOR{User: u, Domain: "example.com"} }
			bind := func(u string) store.Binding {
				return store.Binding{AOR: aor(u), Contact: "sip:" + u + "@192.0.2.4", Expires: now.Add(time.Hour),
					Q: store.QUnset, CallID: "c-" + u, CSeq: 1}
			}
			use := func(id uint64, nc uint32) *store.NonceUse { u := nonceUse(id, nc, exp); return &u }
			has := func(s *Store, u string) bool {
				bs, err := s.Bindings(ctx, aor(u), now)
				if err != nil {
					t.Fatal(err)
				}
				return len(bs) > 0
			}

			// First uses (guessed), one replay, a use with nothing to
			// write, and a change without a use.
			changes := []store.Change{
				{AOR: aor("alice"), Put: []store.Binding{bind("alice")}, Nonce: use(0x21, 1)},
				{AOR: aor("bob"), Put: []store.Binding{bind("bob")}, Nonce: use(0x20, 1)},
				{AOR: aor("carol"), Nonce: use(0x22, 1)},
				{AOR: aor("dave"), Put: []store.Binding{bind("dave")}},
			}
			err := a.UpdateAll(ctx, changes)
			var replay *store.NonceReplayError
			if !errors.As(err, &replay) || !slices.Equal(replay.Changes, []int{1}) {
				t.Fatalf("UpdateAll: %v, want change 1 refused", err)
			}
			for u, want := range map[string]bool{"alice": true, "bob": false, "carol": false, "dave": true} {
				if got := has(b, u); got != want {
					t.Errorf("%s bound: %v, want %v", u, got, want)
				}
			}
			for _, id := range []uint64{0x21, 0x22} {
				if ok, err := b.AdvanceNonce(ctx, id, 1, exp); ok || err != nil {
					t.Errorf("nonce %x count 1 accepted again (%v)", id, err)
				}
			}

			// A refresh with a nonce's next count, and a removal with a
			// new nonce: read first, no guessing.
			cur, err := a.Bindings(ctx, aor("alice"), now)
			if err != nil || len(cur) != 1 {
				t.Fatalf("alice: %v %v", cur, err)
			}
			refresh := cur[0]
			refresh.CSeq++
			changes = []store.Change{
				{AOR: aor("alice"), Put: []store.Binding{refresh}, Nonce: use(0x21, 2)},
				{AOR: aor("dave"), Del: []string{store.RUID(aor("dave"), "sip:dave@192.0.2.4", "", 0)}, Nonce: use(0x23, 1)},
			}
			if err := b.UpdateAll(ctx, changes); err != nil {
				t.Fatal(err)
			}
			if cur, err = a.Bindings(ctx, aor("alice"), now); err != nil || len(cur) != 1 || cur[0].CSeq != refresh.CSeq {
				t.Fatalf("alice after refresh: %+v %v", cur, err)
			}
			if has(a, "dave") {
				t.Error("dave still bound")
			}

			// Eight REGISTERs with the same nonce-count, through two
			// nodes at once: one is written.
			var wg sync.WaitGroup
			var wins atomic.Int32
			errs := make(chan error, 8)
			for i := range 8 {
				s := []*Store{a, b}[i%2]
				wg.Go(func() {
					u := fmt.Sprintf("race%d", i)
					err := s.UpdateAll(ctx, []store.Change{{AOR: aor(u), Put: []store.Binding{bind(u)}, Nonce: use(0x30, 1)}})
					var replay *store.NonceReplayError
					switch {
					case err == nil:
						wins.Add(1)
					case !errors.As(err, &replay):
						errs <- err
					}
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Error(err)
			}
			bound := 0
			for i := range 8 {
				if has(a, fmt.Sprintf("race%d", i)) {
					bound++
				}
			}
			if wins.Load() != 1 || bound != 1 {
				t.Fatalf("%d accepted, %d bound; want 1 and 1", wins.Load(), bound)
			}
		})
	}
}

// twoNodes opens two stores ("nodes") on one fresh, migrated database.
func twoNodes(t *testing.T, engine string) (a, b *Store) {
	t.Helper()
	dsn := freshDSN(t, engine)
	a = openStore(t, dsn, store.Options{})
	if err := a.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	return a, openStore(t, dsn, store.Options{})
}

// TestExpireNoncesInChunks: the sweep deletes every expired nonce, over
// several statements, and keeps the others.
func TestExpireNoncesInChunks(t *testing.T) {
	for _, engine := range engines {
		t.Run(engine, func(t *testing.T) {
			a, _ := twoNodes(t, engine)
			now := time.Now().UTC().Truncate(time.Second)
			const expired, live = 2*nonceSweepChunk + 300, 200
			var uses []store.NonceUse
			for i := range expired + live {
				exp := now.Add(-time.Minute)
				if i >= expired {
					exp = now.Add(time.Minute)
				}
				uses = append(uses, nonceUse(uint64(0x5000+i), 1, exp))
			}
			for i := 0; i < len(uses); i += 64 {
				if _, err := a.AdvanceNonces(t.Context(), uses[i:min(i+64, len(uses))]); err != nil {
					t.Fatal(err)
				}
			}
			if n, err := a.ExpireNonces(t.Context(), now); err != nil || n != expired {
				t.Fatalf("expired %d, %v; want %d", n, err, expired)
			}
			if ok, err := a.AdvanceNonce(t.Context(), uint64(0x5000+expired), 1, now.Add(time.Minute)); ok || err != nil {
				t.Errorf("a live nonce was forgotten (%v)", err)
			}
		})
	}
}
